/* Flash markets: the live ticker, quotes, bets and their results (schema.graphql, "Flash"). */
import type { ResultOf } from '@graphql-typed-document-node/core';
import { graphql } from './generated';

export type {
  CollapseType,
  FlashBetStatus,
  FlashMarketStatus,
  FlashUpdateKind,
  LimitKind,
  LimitPeriod,
  PlaceFlashBetInput,
} from './generated/graphql';

/** `outcomes[].price`: probability, "0.523000". */
export type FlashMarket = ResultOf<typeof FlashMarketFields>;
export type FlashOutcome = FlashMarket['outcomes'][number];
export type FlashCollapse = NonNullable<FlashMarket['collapse']>;
export type FlashMarketUpdate = ResultOf<typeof FlashTickerSubscription>['flashTicker'];
export type FlashBet = ResultOf<typeof FlashBetFields>;

export type FlashQuoteResult = ResultOf<typeof QuoteFlashQuery>['quoteFlash'];
export type FlashQuote = Extract<FlashQuoteResult, { __typename: 'FlashQuote' }>;
/** A typed refusal of the flash queries and mutations (`... on UserError`). */
export type FlashUserError = Extract<FlashQuoteResult, { code: string }>;

export const FlashMarketFields = graphql(`
  fragment FlashMarketFields on FlashMarket {
    id
    title
    sport
    eventId
    status
    outcomes { outcome price decimalOdds }
    deadline
    settlesBy
    feePercent
    volume
    collapse { proposalId winningOutcome probability collapseType time }
  }
`);

export const FlashBetFields = graphql(`
  fragment FlashBetFields on FlashBet {
    id
    marketId
    marketTitle
    outcome
    stake
    fee
    shares
    averagePrice
    potentialPayout
    status
    payout
    placedAt
  }
`);

export const FlashTickerSubscription = graphql(`
  subscription FlashTicker {
    flashTicker {
      kind
      reason
      totalPayout
      time
      market { ...FlashMarketFields }
    }
  }
`);

export const FlashMarketsQuery = graphql(`
  query FlashMarkets {
    flashMarkets { ...FlashMarketFields }
  }
`);

export const QuoteFlashQuery = graphql(`
  query QuoteFlash($marketId: String!, $outcome: String!, $stake: Decimal!) {
    quoteFlash(marketId: $marketId, outcome: $outcome, stake: $stake) {
      __typename
      ... on UserError { code message }
      ... on FlashQuote {
        marketId
        outcome
        stake
        fee
        shares
        averagePrice
        priceBefore
        priceAfter
        priceImpact
        potentialPayout
      }
    }
  }
`);

export type PlaceFlashBetResult = ResultOf<typeof PlaceFlashBetMutation>['placeFlashBet'];

export const PlaceFlashBetMutation = graphql(`
  mutation PlaceFlashBet($input: PlaceFlashBetInput!) {
    placeFlashBet(input: $input) {
      __typename
      ... on UserError { code message }
      ... on FlashBetPlaced { replayed bet { ...FlashBetFields } }
    }
  }
`);

export const MyFlashBetsQuery = graphql(`
  query MyFlashBets {
    myFlashBets { ...FlashBetFields }
  }
`);

export const MyFlashBetsSubscription = graphql(`
  subscription MyFlashBetUpdates {
    myFlashBets { kind time bet { ...FlashBetFields } }
  }
`);

/* ---------- responsible gaming ---------- */

export type ResponsibleGaming = ResultOf<typeof ResponsibleGamingFields>;
export type RealityCheck = ResultOf<typeof RealityCheckSubscription>['realityCheck'];

export const ResponsibleGamingFields = graphql(`
  fragment ResponsibleGamingFields on ResponsibleGaming {
    limits { kind period amount used remaining pending { amount effectiveAt } }
    coolOffUntil
    selfExcludedUntil
    nextRealityCheckAt
    slowedUntil
    realityCheck { dueAt timePlayedSeconds netResult reason }
  }
`);

export type ResponsibleGamingResult = ResultOf<typeof SetLimitsMutation>['setLimits'];

export const ResponsibleGamingQuery = graphql(`
  query ResponsibleGaming { responsibleGaming { ...ResponsibleGamingFields } }
`);

export const SetLimitsMutation = graphql(`
  mutation SetLimits($limits: [LimitInput!]!) {
    setLimits(limits: $limits) { __typename ... on UserError { code message } ... on ResponsibleGaming { ...ResponsibleGamingFields } }
  }
`);

export const StartCoolOffMutation = graphql(`
  mutation StartCoolOff($hours: Int!) {
    startCoolOff(hours: $hours) { __typename ... on UserError { code message } ... on ResponsibleGaming { ...ResponsibleGamingFields } }
  }
`);

export const SelfExcludeMutation = graphql(`
  mutation SelfExclude($days: Int!, $confirm: Boolean!) {
    selfExclude(days: $days, confirm: $confirm) { __typename ... on UserError { code message } ... on ResponsibleGaming { ...ResponsibleGamingFields } }
  }
`);

export const AcknowledgeRealityCheckMutation = graphql(`
  mutation AcknowledgeRealityCheck {
    acknowledgeRealityCheck { __typename ... on UserError { code message } ... on ResponsibleGaming { ...ResponsibleGamingFields } }
  }
`);

export const RealityCheckSubscription = graphql(`
  subscription RealityCheckDue { realityCheck { dueAt timePlayedSeconds netResult reason } }
`);
