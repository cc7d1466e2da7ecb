import { gql } from 'urql';

export type ServerMode = 'DEMO' | 'PRODUCTION';

export interface ServerInfo {
  version: string;
  serverTime: string;
  mode: ServerMode;
}

export interface Balance {
  asset: string;
  available: string;
  locked: string;
  total: string;
}

export interface DemoAccount {
  id: string;
  displayName: string;
  balances: Balance[];
}

export interface Heartbeat {
  sequence: number;
  serverTime: string;
}

export const ServerInfoQuery = gql<{ serverInfo: ServerInfo }, Record<string, never>>`
  query ServerInfo {
    serverInfo {
      version
      serverTime
      mode
    }
  }
`;

export const DemoAccountQuery = gql<{ demoAccount: DemoAccount | null }, Record<string, never>>`
  query DemoAccount {
    demoAccount {
      id
      displayName
      balances {
        asset
        available
        locked
        total
      }
    }
  }
`;

export const HeartbeatSubscription = gql<{ heartbeat: Heartbeat }, Record<string, never>>`
  subscription Heartbeat {
    heartbeat {
      sequence
      serverTime
    }
  }
`;

/* ---------- markets & oracle ---------- */

/** Decimal scalar: an exact number as a string. Format it for display; no arithmetic on it. */
export type Decimal = string;

export type OracleTier = 'PRIMARY' | 'FALLBACK' | 'UNAVAILABLE';
export type PriceSourceExclusion = 'NO_DATA' | 'STALE' | 'DEVIATION';
export type CandleInterval = 'ONE_SECOND' | 'ONE_MINUTE' | 'FIVE_MINUTES' | 'ONE_HOUR';
export type PriceKind = 'INDEX' | 'MARK';

/** Best bid / offer of the lit reference market, not our dark book. */
export interface Nbbo {
  bid: Decimal | null;
  ask: Decimal | null;
  mid: Decimal | null;
}

export interface PriceSource {
  name: string;
  healthy: boolean;
  price: Decimal | null;
  /** Distance from the median of the fresh sources, in percent. */
  deviation: Decimal | null;
  excludedReason: PriceSourceExclusion | null;
  lastUpdate: string | null;
}

export interface Market {
  symbol: string;
  baseAsset: string;
  indexPrice: Decimal | null;
  markPrice: Decimal | null;
  oracleConfidence: number;
  oracleHealthy: boolean;
  oracleTier: OracleTier;
  nbbo: Nbbo & { crossed: boolean; locked: boolean; label: string };
  priceSources: PriceSource[];
  updatedAt: string | null;
}

export interface BookLevel {
  price: Decimal;
  size: Decimal;
}

export interface ReferenceBook {
  symbol: string;
  label: string;
  bids: BookLevel[];
  asks: BookLevel[];
  sources: string[];
  updatedAt: string | null;
}

export interface Candle {
  start: string;
  close: Decimal;
}

export interface Ticker {
  symbol: string;
  indexPrice: Decimal | null;
  markPrice: Decimal | null;
  nbbo: Nbbo;
  oracleConfidence: number;
  oracleHealthy: boolean;
  oracleTier: OracleTier;
  time: string;
}

export const MarketsQuery = gql<{ markets: Market[] }, Record<string, never>>`
  query Markets {
    markets {
      symbol
      baseAsset
      indexPrice
      markPrice
      oracleConfidence
      oracleHealthy
      oracleTier
      nbbo {
        bid
        ask
        mid
        crossed
        locked
        label
      }
      priceSources {
        name
        healthy
        price
        deviation
        excludedReason
        lastUpdate
      }
      updatedAt
    }
  }
`;

export const ReferenceBookQuery = gql<
  { referenceBook: ReferenceBook },
  { symbol: string; depth: number }
>`
  query ReferenceBook($symbol: String!, $depth: Int!) {
    referenceBook(symbol: $symbol, depth: $depth) {
      symbol
      label
      bids {
        price
        size
      }
      asks {
        price
        size
      }
      sources
      updatedAt
    }
  }
`;

export const CandlesQuery = gql<
  { candles: Candle[] },
  { symbol: string; interval: CandleInterval; from: string; to: string; kind: PriceKind }
>`
  query Candles(
    $symbol: String!
    $interval: CandleInterval!
    $from: DateTime!
    $to: DateTime!
    $kind: PriceKind!
  ) {
    candles(symbol: $symbol, interval: $interval, from: $from, to: $to, kind: $kind) {
      start
      close
    }
  }
`;

export const TickerSubscription = gql<{ ticker: Ticker }, { symbol: string }>`
  subscription Ticker($symbol: String!) {
    ticker(symbol: $symbol) {
      symbol
      indexPrice
      markPrice
      nbbo {
        bid
        ask
        mid
      }
      oracleConfidence
      oracleHealthy
      oracleTier
      time
    }
  }
`;
