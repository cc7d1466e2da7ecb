/*
 * Documents of the basic app: server info, balances, markets, trading, live sports.
 * Result and variable types come from schema.graphql through GraphQL Code Generator
 * (web/codegen.ts); the names below are aliases that components import.
 */
import type { ResultOf } from '@graphql-typed-document-node/core';
import { graphql } from './generated';

export type {
  CandleInterval,
  OracleTier,
  OrderSide,
  OrderType,
  PlaceOrderInput,
  PositionSide,
  PriceKind,
  PriceSourceExclusion,
  ServerMode,
  TransferInput,
} from './generated/graphql';

export type ServerInfo = ResultOf<typeof ServerInfoQuery>['serverInfo'];
export type Balance = ResultOf<typeof BalanceFields>;
export type Heartbeat = ResultOf<typeof HeartbeatSubscription>['heartbeat'];

export const BalanceFields = graphql(`
  fragment BalanceFields on Balance {
    asset
    available
    locked
    total
  }
`);

export const ServerInfoQuery = graphql(`
  query ServerInfo {
    serverInfo {
      version
      serverTime
      mode
    }
  }
`);

export const BalancesQuery = graphql(`
  query Balances {
    balances { ...BalanceFields }
  }
`);

export type TransferResult = ResultOf<typeof TransferResultFields>;

export const TransferResultFields = graphql(`
  fragment TransferResultFields on TransferResult {
    __typename
    ... on TransferSuccess {
      entryId
      replayed
      balances { ...BalanceFields }
    }
    ... on UserError { code message }
  }
`);

/** Demo mode: test USDT, at most 10,000 a day. */
export const FaucetMutation = graphql(`
  mutation Faucet($input: TransferInput!) {
    faucet(input: $input) { ...TransferResultFields }
  }
`);

export const WithdrawMutation = graphql(`
  mutation Withdraw($input: TransferInput!) {
    withdraw(input: $input) { ...TransferResultFields }
  }
`);

export const HeartbeatSubscription = graphql(`
  subscription Heartbeat {
    heartbeat {
      sequence
      serverTime
    }
  }
`);

/* ---------- markets & oracle ---------- */

/** Decimal scalar: an exact number as a string. Format it for display; no arithmetic on it. */
export type Decimal = string;

export type Market = ResultOf<typeof MarketsQuery>['markets'][number];
/** Best bid / offer of the lit reference market, not our dark book. */
export type Nbbo = Market['nbbo'];
/** `deviation`: distance from the median of the fresh sources, in percent. */
export type PriceSource = Market['priceSources'][number];
export type ReferenceBook = ResultOf<typeof ReferenceBookQuery>['referenceBook'];
export type BookLevel = ReferenceBook['bids'][number];
export type Candle = ResultOf<typeof CandlesQuery>['candles'][number];
export type Ticker = ResultOf<typeof TickerSubscription>['ticker'];

export const MarketsQuery = graphql(`
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
`);

export const ReferenceBookQuery = graphql(`
  query ReferenceBook($symbol: String!, $depth: Int!) {
    referenceBook(symbol: $symbol, depth: $depth) { ...ReferenceBookFields }
  }
`);

/** The book at once, then at most twice a second while it changes (public, shared). */
export const ReferenceBookSubscription = graphql(`
  subscription ReferenceBookStream($symbol: String!, $depth: Int!) {
    referenceBook(symbol: $symbol, depth: $depth) { ...ReferenceBookFields }
  }
`);

export const ReferenceBookFields = graphql(`
  fragment ReferenceBookFields on ReferenceBook {
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
`);

export const CandlesQuery = graphql(`
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
`);

export const TickerSubscription = graphql(`
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
`);

/* ---------- trading (the signed-in account) ---------- */

/** `type`: MARKET, LIMIT, PEG_MID …; `status`: OPEN, PARTIALLY_FILLED, FILLED, CANCELLED, REJECTED, EXPIRED. */
export type Order = ResultOf<typeof OrderFields>;
/** `fee` in USDT; negative is a rebate. */
export type Fill = ResultOf<typeof FillFields>;
/** `margin`: isolated collateral, USDT; `marginRatio` in percent. */
export type Position = ResultOf<typeof PositionFields>;
/** A trade on the public tape: no accounts, no orders. */
export type Trade = ResultOf<typeof TradesQuery>['trades'][number];

export type PlaceOrderResult = ResultOf<typeof PlaceOrderMutation>['placeOrder'];
export type CancelOrderResult = ResultOf<typeof CancelOrderMutation>['cancelOrder'];
export type PositionResult = ResultOf<typeof ClosePositionMutation>['closePosition'];
/** Every typed refusal of the trading mutations (`... on UserError`). */
export type UserError = Extract<PlaceOrderResult, { code: string }>;
export type UserErrorTypename = UserError['__typename'];

export const OrderFields = graphql(`
  fragment OrderFields on Order {
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
  }
`);

export const FillFields = graphql(`
  fragment FillFields on Fill {
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
  }
`);

export const PositionFields = graphql(`
  fragment PositionFields on Position {
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
  }
`);

export const PlaceOrderMutation = graphql(`
  mutation PlaceOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      __typename
      ... on OrderPlaced {
        order { ...OrderFields }
        fills { ...FillFields }
      }
      ... on UserError {
        code
        message
      }
    }
  }
`);

export const CancelOrderMutation = graphql(`
  mutation CancelOrder($symbol: String!, $orderId: String!) {
    cancelOrder(symbol: $symbol, orderId: $orderId) {
      __typename
      ... on OrderCancelled {
        cancelled { ...OrderFields }
      }
      ... on UserError {
        code
        message
      }
    }
  }
`);

export const ClosePositionMutation = graphql(`
  mutation ClosePosition($symbol: String!) {
    closePosition(symbol: $symbol) {
      __typename
      ... on PositionUpdated {
        position { ...PositionFields }
        fills { ...FillFields }
      }
      ... on UserError {
        code
        message
      }
    }
  }
`);

export const AdjustMarginMutation = graphql(`
  mutation AdjustMargin($symbol: String!, $amount: Decimal!) {
    adjustMargin(symbol: $symbol, amount: $amount) {
      __typename
      ... on PositionUpdated {
        position { ...PositionFields }
        fills { ...FillFields }
      }
      ... on UserError {
        code
        message
      }
    }
  }
`);

export const MyOrdersQuery = graphql(`
  query MyOrders {
    myOrders { ...OrderFields }
  }
`);

export const MyPositionsQuery = graphql(`
  query MyPositions {
    myPositions { ...PositionFields }
  }
`);

export const TradesQuery = graphql(`
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
`);

export const TradesSubscription = graphql(`
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
`);

export const OrderUpdatesSubscription = graphql(`
  subscription OrderUpdates {
    orderUpdates { ...OrderFields }
  }
`);

export const PositionUpdatesSubscription = graphql(`
  subscription PositionUpdates {
    positionUpdates { ...PositionFields }
  }
`);

/* ---------- live sports ---------- */

export type Sport = 'SOCCER' | 'BASKETBALL' | 'TENNIS';
export type LiveEvent = ResultOf<typeof LiveEventsQuery>['liveEvents'][number];
/** SCHEDULED, LIVE, BREAK or FINISHED. */
export type GameStatus = LiveEvent['status'];
/** `period`: 0 before the start; halves, quarters (5+ overtime) or sets. */
export type GameClock = LiveEvent['clock'];
/** `unavailableReason`: QUORUM_NOT_MET or SUSPENDED. */
export type LiveMarket = LiveEvent['markets'][number];
/** `probability`: fair probability in [0, 1], margin removed. */
export type LiveOutcome = LiveMarket['outcomes'][number];

export const LiveEventsQuery = graphql(`
  query LiveEvents($sport: String) {
    liveEvents(sport: $sport) { ...LiveEventFields }
  }
`);

/** One game at once, then at each change (public, shared by the server). */
export const LiveEventSubscription = graphql(`
  subscription LiveEvent($id: String!) {
    liveEvent(id: $id) { ...LiveEventFields }
  }
`);

export const LiveEventFields = graphql(`
  fragment LiveEventFields on LiveEvent {
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
`);
