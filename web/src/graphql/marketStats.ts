import type { ResultOf } from '@graphql-typed-document-node/core';
import { graphql } from './generated';

/*
 * The stats dashboard's order flow (orders accepted, liquidity submitted, time to fill) and
 * operational figures (settlement finality, failed attempts, downtime): daily aggregates
 * only, never one order. Same variables as StatsQuery (graphql/stats.ts).
 */

export type MarketStats = ResultOf<typeof MarketStatsQuery>['stats'];
export type OrderFlow = MarketStats['marketData']['orderFlow'];

export const MarketStatsQuery = graphql(`
  query MarketStats($from: Date, $to: Date, $symbol: String) {
    stats(from: $from, to: $to, symbol: $symbol) {
      symbol
      marketData {
        orderFlow {
          orders
          liquiditySubmitted
          averageOrderSize
          firstFills
          averageTimeToFirstFillSeconds
          completeFills
          averageTimeToFillSeconds
        }
        daily {
          date
          orderFlow { orders liquiditySubmitted averageTimeToFirstFillSeconds averageTimeToFillSeconds }
        }
        symbols {
          symbol
          orderFlow { orders liquiditySubmitted averageOrderSize averageTimeToFillSeconds }
        }
      }
      operations {
        confirmedBatches
        averageSettlementFinalitySeconds
        failedSettlementAttempts
        dailySettlement { date confirmedBatches averageFinalitySeconds failedAttempts }
        downtimeSeconds
        outages
        uptimePercent
        dailyDowntime { date downtimeSeconds }
      }
    }
  }
`);
