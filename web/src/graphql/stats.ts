import { gql } from 'urql';
import type { Decimal } from './operations';

/* The public stats dashboard (Query.stats): aggregates only, nothing private. */

export interface SavingsDay {
  date: string;
  savings: Decimal;
  cumulativeSavings: Decimal;
  improvementBps: Decimal | null;
  comparedTrades: number;
}

export interface Execution {
  tradeId: string;
  symbol: string;
  time: string;
  aggressorSide: string;
  price: Decimal;
  size: Decimal;
  referenceBid: Decimal | null;
  referenceAsk: Decimal | null;
  savings: Decimal | null;
  improvementBps: Decimal | null;
}

export interface MarketDay {
  date: string;
  trades: number;
  volume: Decimal;
  buyVolume: Decimal;
  sellVolume: Decimal;
  buyPercent: Decimal | null;
  averageTradeSize: Decimal | null;
}

export interface VenueStats {
  from: string;
  to: string;
  symbol: string | null;
  symbols: string[];
  executionQuality: {
    savings: Decimal;
    improvementBps: Decimal | null;
    comparedTrades: number;
    insideSpreadPercent: Decimal | null;
    daily: SavingsDay[];
    recent: Execution[];
  };
  marketData: {
    trades: number;
    volume: Decimal;
    buyVolume: Decimal;
    sellVolume: Decimal;
    buyPercent: Decimal | null;
    averageTradeSize: Decimal | null;
    daily: MarketDay[];
    symbols: { symbol: string; trades: number; volume: Decimal; buyPercent: Decimal | null; averageTradeSize: Decimal | null }[];
  };
  operations: {
    feesCollected: Decimal;
    tradingFees: Decimal;
    dailyFees: { date: string; fees: Decimal }[];
    startedAt: string | null;
    uptimeSeconds: number;
    averageApiResponseSeconds: number | null;
    apiOperations: number;
    settlementLagSeconds: number | null;
    settlementBatches: { status: string; count: number }[];
    failedSettlements: number | null;
  };
}

export interface StatsVariables {
  from: string | null;
  to: string | null;
  symbol: string | null;
}

export const StatsQuery = gql<{ stats: VenueStats }, StatsVariables>`
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
`;
