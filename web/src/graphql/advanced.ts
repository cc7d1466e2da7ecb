/* Documents of the Advanced trading mode (every order type, amend, history, TP/SL). */
import type { ResultOf } from '@graphql-typed-document-node/core';
import { graphql } from './generated';

export type { OrderStatusFilter, PlaceOrderInput as FullOrderInput, TimeInForce } from './generated/graphql';

export type Ohlcv = ResultOf<typeof OhlcvQuery>['candles'][number];

export const OhlcvQuery = graphql(`
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
`);

export const ManagedPositionFields = graphql(`
  fragment ManagedPositionFields on Position {
    ...PositionFields
    takeProfit
    stopLoss
  }
`);

export type PlaceResult = ResultOf<typeof PlaceFullOrderMutation>['placeOrder'];

export const PlaceFullOrderMutation = graphql(`
  mutation PlaceFullOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      __typename
      ... on OrderPlaced { order { ...OrderFields } fills { ...FillFields } }
      ... on UserError { code message }
    }
  }
`);

export const AmendOrderMutation = graphql(`
  mutation AmendOrder($symbol: String!, $orderId: String!, $size: Decimal!) {
    amendOrder(symbol: $symbol, orderId: $orderId, size: $size) {
      __typename
      ... on OrderPlaced { order { ...OrderFields } }
      ... on UserError { code message }
    }
  }
`);

export const CancelAllOrdersMutation = graphql(`
  mutation CancelAllOrders($symbol: String!) {
    cancelAllOrders(symbol: $symbol) {
      __typename
      ... on OrderCancelled { cancelled { id } }
      ... on UserError { code message }
    }
  }
`);

export const OrdersByStatusQuery = graphql(`
  query OrdersByStatus($status: OrderStatusFilter!) {
    myOrders(status: $status) { ...OrderFields }
  }
`);

/** A position with its take-profit and stop-loss triggers. */
export type ManagedPosition = ResultOf<typeof ManagedPositionFields>;
export type ManagedPositionResult = ResultOf<typeof SetTpSlMutation>['setTpSl'];

export const ManagedPositionsQuery = graphql(`
  query ManagedPositions {
    myPositions { ...ManagedPositionFields }
  }
`);

export const SetTpSlMutation = graphql(`
  mutation SetTpSl($symbol: String!, $takeProfit: Decimal, $stopLoss: Decimal) {
    setTpSl(symbol: $symbol, takeProfit: $takeProfit, stopLoss: $stopLoss) {
      __typename
      ... on PositionUpdated { position { ...ManagedPositionFields } }
      ... on UserError { code message }
    }
  }
`);

export const AdjustMarginFullMutation = graphql(`
  mutation AdjustMarginFull($symbol: String!, $amount: Decimal!) {
    adjustMargin(symbol: $symbol, amount: $amount) {
      __typename
      ... on PositionUpdated { position { ...ManagedPositionFields } }
      ... on UserError { code message }
    }
  }
`);

export const ClosePositionFullMutation = graphql(`
  mutation ClosePositionFull($symbol: String!) {
    closePosition(symbol: $symbol) {
      __typename
      ... on PositionUpdated { position { ...ManagedPositionFields } fills { ...FillFields } }
      ... on UserError { code message }
    }
  }
`);
