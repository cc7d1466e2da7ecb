import type { ResultOf, VariablesOf } from '@graphql-typed-document-node/core';
import { graphql } from './generated';

/* The public stats dashboard (Query.stats): aggregates only, nothing private. */

export type VenueStats = ResultOf<typeof StatsQuery>['stats'];
export type SavingsDay = VenueStats['executionQuality']['daily'][number];
export type Execution = VenueStats['executionQuality']['recent'][number];
export type MarketDay = VenueStats['marketData']['daily'][number];
export type StatsVariables = VariablesOf<typeof StatsQuery>;

export const StatsQuery = graphql(`
  query Stats($from: Date, $to: Date, $symbol: String) {
    stats(from: $from, to: $to, symbol: $symbol) {
      from
      to
      symbol
      symbols
      executionQuality {
        savings
        improvementBps
        comparedTrades
        insideSpreadPercent
        daily { date savings cumulativeSavings improvementBps comparedTrades }
        recent { tradeId symbol time aggressorSide price size referenceBid referenceAsk savings improvementBps }
      }
      marketData {
        trades
        volume
        buyVolume
        sellVolume
        buyPercent
        averageTradeSize
        daily { date trades volume buyVolume sellVolume buyPercent averageTradeSize }
        symbols { symbol trades volume buyPercent averageTradeSize }
      }
      operations {
        feesCollected
        tradingFees
        dailyFees { date fees }
        startedAt
        uptimeSeconds
        averageApiResponseSeconds
        apiOperations
        settlementLagSeconds
        settlementBatches { status count }
        failedSettlements
      }
    }
  }
`);
