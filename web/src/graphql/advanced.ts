import { gql } from 'urql';
import type {
  CandleInterval,
  Decimal,
  Fill,
  Order,
  OrderSide,
  OrderType,
  Position,
  PriceKind,
  UserError,
} from './operations';

/* Documents of the Advanced trading mode (every order type, amend, history, TP/SL). */

export interface Ohlcv {
  start: string;
  open: Decimal;
  high: Decimal;
  low: Decimal;
  close: Decimal;
  volume: Decimal;
}

export const OhlcvQuery = gql<
  { candles: Ohlcv[] },
  { symbol: string; interval: CandleInterval; from: string; to: string; kind: PriceKind }
>`
  query Ohlcv($symbol: String!, $interval: CandleInterval!, $from: DateTime!, $to: DateTime!, $kind: PriceKind!) {
    candles(symbol: $symbol, interval: $interval, from: $from, to: $to, kind: $kind) {
      start
      open
      high
      low
      close
      volume
    }
  }
`;

export type TimeInForce = 'IOC' | 'FOK' | 'GTC' | 'GTD';
export type OrderStatusFilter = 'OPEN' | 'CLOSED' | 'ALL';

/** Every field of PlaceOrderInput (schema.graphql). */
export interface FullOrderInput {
  symbol: string;
  side: OrderSide;
  type: OrderType;
  size: Decimal;
  leverage: number;
  price: Decimal | null;
  timeInForce: TimeInForce | null;
  reduceOnly: boolean;
  clientOrderId: string | null;
  minQuantity: Decimal | null;
  allOrNone: boolean;
  nbboProtection: boolean;
  expiresAt: string | null;
}

const ORDER = `id clientOrderId symbol side type status size filled remaining price reason updatedAt`;
const FILL = `tradeId orderId symbol side price size fee liquidity realizedPnl time`;
const POSITION = `symbol side size entryPrice markPrice margin leverage unrealizedPnl realizedPnl
  marginRatio liquidationPrice takeProfit stopLoss`;

export type PlaceResult = { __typename: 'OrderPlaced'; order: Order; fills: Fill[] } | UserError;

export const PlaceFullOrderMutation = gql<{ placeOrder: PlaceResult }, { input: FullOrderInput }>`
  mutation PlaceFullOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      __typename
      ... on OrderPlaced { order { ${ORDER} } fills { ${FILL} } }
      ... on UserError { code message }
    }
  }
`;

export const AmendOrderMutation = gql<
  { amendOrder: PlaceResult },
  { symbol: string; orderId: string; size: Decimal }
>`
  mutation AmendOrder($symbol: String!, $orderId: String!, $size: Decimal!) {
    amendOrder(symbol: $symbol, orderId: $orderId, size: $size) {
      __typename
      ... on OrderPlaced { order { ${ORDER} } }
      ... on UserError { code message }
    }
  }
`;

export const CancelAllOrdersMutation = gql<
  { cancelAllOrders: { __typename: 'OrderCancelled'; cancelled: Order[] } | UserError },
  { symbol: string }
>`
  mutation CancelAllOrders($symbol: String!) {
    cancelAllOrders(symbol: $symbol) {
      __typename
      ... on OrderCancelled { cancelled { id } }
      ... on UserError { code message }
    }
  }
`;

export const OrdersByStatusQuery = gql<{ myOrders: Order[] }, { status: OrderStatusFilter }>`
  query OrdersByStatus($status: OrderStatusFilter!) {
    myOrders(status: $status) { ${ORDER} }
  }
`;

export interface ManagedPosition extends Position {
  takeProfit: Decimal | null;
  stopLoss: Decimal | null;
}

export type ManagedPositionResult =
  | { __typename: 'PositionUpdated'; position: ManagedPosition | null; fills: Fill[] }
  | UserError;

export const ManagedPositionsQuery = gql<{ myPositions: ManagedPosition[] }, Record<string, never>>`
  query ManagedPositions {
    myPositions { ${POSITION} }
  }
`;

export const SetTpSlMutation = gql<
  { setTpSl: ManagedPositionResult },
  { symbol: string; takeProfit: Decimal | null; stopLoss: Decimal | null }
>`
  mutation SetTpSl($symbol: String!, $takeProfit: Decimal, $stopLoss: Decimal) {
    setTpSl(symbol: $symbol, takeProfit: $takeProfit, stopLoss: $stopLoss) {
      __typename
      ... on PositionUpdated { position { ${POSITION} } }
      ... on UserError { code message }
    }
  }
`;

export const AdjustMarginFullMutation = gql<
  { adjustMargin: ManagedPositionResult },
  { symbol: string; amount: Decimal }
>`
  mutation AdjustMarginFull($symbol: String!, $amount: Decimal!) {
    adjustMargin(symbol: $symbol, amount: $amount) {
      __typename
      ... on PositionUpdated { position { ${POSITION} } }
      ... on UserError { code message }
    }
  }
`;

export const ClosePositionFullMutation = gql<{ closePosition: ManagedPositionResult }, { symbol: string }>`
  mutation ClosePositionFull($symbol: String!) {
    closePosition(symbol: $symbol) {
      __typename
      ... on PositionUpdated { position { ${POSITION} } fills { ${FILL} } }
      ... on UserError { code message }
    }
  }
`;
