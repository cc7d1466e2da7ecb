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

export const BalancesQuery = gql<{ balances: Balance[] }, Record<string, never>>`
  query Balances {
    balances {
      asset
      available
      locked
      total
    }
  }
`;

export type TransferResult =
  | { __typename: 'TransferSuccess'; entryId: string; replayed: boolean; balances: Balance[] }
  | { __typename: string; code: string; message: string };

export interface TransferInput {
  amount: string;
  idempotencyKey: string;
}

const TRANSFER_RESULT = `
  __typename
  ... on TransferSuccess {
    entryId
    replayed
    balances { asset available locked total }
  }
  ... on UserError { code message }
`;

/** Demo mode: test USDT, at most 10,000 a day. */
export const FaucetMutation = gql<{ faucet: TransferResult }, { input: TransferInput }>`
  mutation Faucet($input: TransferInput!) {
    faucet(input: $input) { ${TRANSFER_RESULT} }
  }
`;

export const WithdrawMutation = gql<{ withdraw: TransferResult }, { input: TransferInput }>`
  mutation Withdraw($input: TransferInput!) {
    withdraw(input: $input) { ${TRANSFER_RESULT} }
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

/* ---------- trading (the signed-in account) ---------- */

export type OrderSide = 'BUY' | 'SELL';
export type PositionSide = 'LONG' | 'SHORT';
/** The ticket offers MARKET and LIMIT; the API also has pegs. */
export type OrderType = 'MARKET' | 'LIMIT' | 'PEG_MID' | 'PEG_BID' | 'PEG_ASK';

export interface Order {
  id: string;
  clientOrderId: string | null;
  symbol: string;
  side: OrderSide;
  /** MARKET, LIMIT, PEG_MID … */
  type: string;
  /** OPEN, PARTIALLY_FILLED, FILLED, CANCELLED, REJECTED, EXPIRED. */
  status: string;
  size: Decimal;
  filled: Decimal;
  remaining: Decimal;
  price: Decimal | null;
  reason: string | null;
  updatedAt: string;
}

export interface Fill {
  tradeId: string;
  orderId: string;
  symbol: string;
  side: OrderSide;
  price: Decimal;
  size: Decimal;
  /** USDT; negative is a rebate. */
  fee: Decimal;
  liquidity: string;
  realizedPnl: Decimal;
  time: string;
}

export interface Position {
  symbol: string;
  side: PositionSide;
  size: Decimal;
  entryPrice: Decimal;
  markPrice: Decimal | null;
  /** Isolated collateral, USDT. */
  margin: Decimal;
  leverage: number;
  unrealizedPnl: Decimal | null;
  realizedPnl: Decimal;
  /** In percent. */
  marginRatio: Decimal | null;
  liquidationPrice: Decimal | null;
}

/** A trade on the public tape: no accounts, no orders. */
export interface Trade {
  id: string;
  symbol: string;
  price: Decimal;
  size: Decimal;
  aggressorSide: OrderSide;
  time: string;
}

/** Every typed refusal of the trading mutations (`... on UserError`). */
export type UserErrorTypename =
  | 'InsufficientMarginError'
  | 'PositionSizeExceededError'
  | 'LeverageNotAllowedError'
  | 'ReduceOnlyError'
  | 'InvalidTickError'
  | 'InvalidSizeError'
  | 'MarketClosedError'
  | 'OracleUnhealthyError'
  | 'OrderNotFoundError'
  | 'NoPositionError'
  | 'EngineUnavailableError'
  | 'InvalidRequestError'
  | 'NotAvailableError';

export interface UserError {
  __typename: UserErrorTypename;
  code: string;
  message: string;
}

export type PlaceOrderResult = ({ __typename: 'OrderPlaced' } & { order: Order; fills: Fill[] }) | UserError;
export type CancelOrderResult = { __typename: 'OrderCancelled'; cancelled: Order[] } | UserError;
export type PositionResult =
  | { __typename: 'PositionUpdated'; position: Position | null; fills: Fill[] }
  | UserError;

export interface PlaceOrderInput {
  symbol: string;
  side: OrderSide;
  type: OrderType;
  size: Decimal;
  leverage: number;
  price?: Decimal | null;
  clientOrderId?: string | null;
}

const ORDER_FIELDS = `
  id
  clientOrderId
  symbol
  side
  type
  status
  size
  filled
  remaining
  price
  reason
  updatedAt
`;

const FILL_FIELDS = `
  tradeId
  orderId
  symbol
  side
  price
  size
  fee
  liquidity
  realizedPnl
  time
`;

const POSITION_FIELDS = `
  symbol
  side
  size
  entryPrice
  markPrice
  margin
  leverage
  unrealizedPnl
  realizedPnl
  marginRatio
  liquidationPrice
`;

export const PlaceOrderMutation = gql<
  { placeOrder: PlaceOrderResult },
  { input: PlaceOrderInput }
>`
  mutation PlaceOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      __typename
      ... on OrderPlaced {
        order { ${ORDER_FIELDS} }
        fills { ${FILL_FIELDS} }
      }
      ... on UserError {
        code
        message
      }
    }
  }
`;

export const CancelOrderMutation = gql<
  { cancelOrder: CancelOrderResult },
  { symbol: string; orderId: string }
>`
  mutation CancelOrder($symbol: String!, $orderId: String!) {
    cancelOrder(symbol: $symbol, orderId: $orderId) {
      __typename
      ... on OrderCancelled {
        cancelled { ${ORDER_FIELDS} }
      }
      ... on UserError {
        code
        message
      }
    }
  }
`;

export const ClosePositionMutation = gql<{ closePosition: PositionResult }, { symbol: string }>`
  mutation ClosePosition($symbol: String!) {
    closePosition(symbol: $symbol) {
      __typename
      ... on PositionUpdated {
        position { ${POSITION_FIELDS} }
        fills { ${FILL_FIELDS} }
      }
      ... on UserError {
        code
        message
      }
    }
  }
`;

export const AdjustMarginMutation = gql<
  { adjustMargin: PositionResult },
  { symbol: string; amount: Decimal }
>`
  mutation AdjustMargin($symbol: String!, $amount: Decimal!) {
    adjustMargin(symbol: $symbol, amount: $amount) {
      __typename
      ... on PositionUpdated {
        position { ${POSITION_FIELDS} }
        fills { ${FILL_FIELDS} }
      }
      ... on UserError {
        code
        message
      }
    }
  }
`;

export const MyOrdersQuery = gql<{ myOrders: Order[] }, Record<string, never>>`
  query MyOrders {
    myOrders { ${ORDER_FIELDS} }
  }
`;

export const MyPositionsQuery = gql<{ myPositions: Position[] }, Record<string, never>>`
  query MyPositions {
    myPositions { ${POSITION_FIELDS} }
  }
`;

export const TradesQuery = gql<{ trades: Trade[] }, { symbol: string; limit: number }>`
  query Trades($symbol: String!, $limit: Int!) {
    trades(symbol: $symbol, limit: $limit) {
      id
      symbol
      price
      size
      aggressorSide
      time
    }
  }
`;

export const TradesSubscription = gql<{ trades: Trade }, { symbol: string }>`
  subscription TradeStream($symbol: String!) {
    trades(symbol: $symbol) {
      id
      symbol
      price
      size
      aggressorSide
      time
    }
  }
`;

export const OrderUpdatesSubscription = gql<{ orderUpdates: Order }, Record<string, never>>`
  subscription OrderUpdates {
    orderUpdates { ${ORDER_FIELDS} }
  }
`;

export const PositionUpdatesSubscription = gql<
  { positionUpdates: Position | null },
  Record<string, never>
>`
  subscription PositionUpdates {
    positionUpdates { ${POSITION_FIELDS} }
  }
`;

/* ---------- live sports ---------- */

export type Sport = 'SOCCER' | 'BASKETBALL' | 'TENNIS';
/** SCHEDULED, LIVE, BREAK or FINISHED. */
export type GameStatus = string;

export interface GameClock {
  /** 0 before the start; halves, quarters (5+ overtime) or sets. */
  period: number;
  elapsedSeconds: number | null;
  remainingSeconds: number | null;
  running: boolean;
}

export interface LiveOutcome {
  outcome: string;
  /** Fair probability in [0, 1], margin removed. */
  probability: Decimal;
}

export interface LiveMarket {
  market: string;
  available: boolean;
  /** QUORUM_NOT_MET or SUSPENDED. */
  unavailableReason: string | null;
  outcomes: LiveOutcome[];
  providers: string[];
}

export interface LiveEvent {
  id: string;
  sport: string;
  home: string;
  away: string;
  startTime: string;
  status: GameStatus;
  clock: GameClock;
  score: { home: number; away: number };
  markets: LiveMarket[];
  updatedAt: string;
  freshProviders: string[];
  staleProviders: string[];
}

export const LiveEventsQuery = gql<{ liveEvents: LiveEvent[] }, { sport: Sport | null }>`
  query LiveEvents($sport: String) {
    liveEvents(sport: $sport) {
      id
      sport
      home
      away
      startTime
      status
      clock {
        period
        elapsedSeconds
        remainingSeconds
        running
      }
      score {
        home
        away
      }
      markets {
        market
        available
        unavailableReason
        outcomes {
          outcome
          probability
        }
        providers
      }
      updatedAt
      freshProviders
      staleProviders
    }
  }
`;
