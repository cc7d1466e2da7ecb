/* Flash markets: the live ticker, quotes, bets and their results (schema.graphql, "Flash"). */
import { gql } from 'urql';

export type FlashMarketStatus = 'OPEN' | 'HALTED' | 'CLOSED' | 'COLLAPSED' | 'VOIDED';
export type FlashBetStatus = 'OPEN' | 'WON' | 'LOST' | 'REFUNDED';
export type FlashUpdateKind = 'SNAPSHOT' | 'OPENED' | 'PRICE' | 'STATUS' | 'COLLAPSED' | 'VOIDED';
export type CollapseType = 'SETTLE_SLOT' | 'MAX_PROBABILITY' | 'EMERGENCY';

export interface FlashOutcome {
  outcome: string;
  /** Probability, "0.523000". */
  price: string;
  decimalOdds: string | null;
}

export interface FlashCollapse {
  proposalId: string;
  winningOutcome: string | null;
  probability: string;
  collapseType: CollapseType | null;
  time: string;
}

export interface FlashMarket {
  id: string;
  title: string;
  sport: string;
  eventId: string;
  status: FlashMarketStatus;
  outcomes: FlashOutcome[];
  deadline: string;
  settlesBy: string;
  feePercent: string;
  volume: string;
  collapse: FlashCollapse | null;
}

export interface FlashMarketUpdate {
  kind: FlashUpdateKind;
  reason: string | null;
  totalPayout: string | null;
  time: string;
  market: FlashMarket;
}

export interface FlashQuote {
  __typename: 'FlashQuote';
  marketId: string;
  outcome: string;
  stake: string;
  fee: string;
  shares: string;
  averagePrice: string;
  priceBefore: string;
  priceAfter: string;
  priceImpact: string;
  potentialPayout: string;
}

export interface FlashBet {
  id: string;
  marketId: string;
  marketTitle: string | null;
  outcome: string;
  stake: string;
  fee: string;
  shares: string;
  averagePrice: string;
  potentialPayout: string;
  status: FlashBetStatus;
  payout: string;
  placedAt: string;
}

export interface FlashUserError {
  __typename: string;
  code: string;
  message: string;
}

const MARKET = `
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
`;

const BET = `
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
`;

export const FlashTickerSubscription = gql<{ flashTicker: FlashMarketUpdate }, Record<string, never>>`
  subscription FlashTicker {
    flashTicker {
      kind
      reason
      totalPayout
      time
      market { ${MARKET} }
    }
  }
`;

export const FlashMarketsQuery = gql<{ flashMarkets: FlashMarket[] }, Record<string, never>>`
  query FlashMarkets {
    flashMarkets { ${MARKET} }
  }
`;

export const QuoteFlashQuery = gql<
  { quoteFlash: FlashQuote | FlashUserError },
  { marketId: string; outcome: string; stake: string }
>`
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
`;

export interface PlaceFlashBetInput {
  marketId: string;
  outcome: string;
  stake: string;
  clientBetId?: string | null;
  maxAveragePrice?: string | null;
}

export type PlaceFlashBetResult =
  | { __typename: 'FlashBetPlaced'; replayed: boolean; bet: FlashBet }
  | FlashUserError;

export const PlaceFlashBetMutation = gql<
  { placeFlashBet: PlaceFlashBetResult },
  { input: PlaceFlashBetInput }
>`
  mutation PlaceFlashBet($input: PlaceFlashBetInput!) {
    placeFlashBet(input: $input) {
      __typename
      ... on UserError { code message }
      ... on FlashBetPlaced { replayed bet { ${BET} } }
    }
  }
`;

export const MyFlashBetsQuery = gql<{ myFlashBets: FlashBet[] }, Record<string, never>>`
  query MyFlashBets {
    myFlashBets { ${BET} }
  }
`;

export const MyFlashBetsSubscription = gql<
  { myFlashBets: { kind: string; time: string; bet: FlashBet } },
  Record<string, never>
>`
  subscription MyFlashBetUpdates {
    myFlashBets { kind time bet { ${BET} } }
  }
`;

/* ---------- responsible gaming ---------- */

export type LimitKind = 'DEPOSIT' | 'LOSS';
export type LimitPeriod = 'DAY' | 'WEEK' | 'MONTH';

export interface RealityCheck {
  dueAt: string;
  timePlayedSeconds: number;
  netResult: string;
  reason: string;
}

export interface ResponsibleGaming {
  limits: Array<{
    kind: LimitKind;
    period: LimitPeriod;
    amount: string | null;
    used: string;
    remaining: string | null;
    pending: { amount: string | null; effectiveAt: string } | null;
  }>;
  coolOffUntil: string | null;
  selfExcludedUntil: string | null;
  nextRealityCheckAt: string | null;
  slowedUntil: string | null;
  realityCheck: RealityCheck | null;
}

const RG = `
  limits { kind period amount used remaining pending { amount effectiveAt } }
  coolOffUntil
  selfExcludedUntil
  nextRealityCheckAt
  slowedUntil
  realityCheck { dueAt timePlayedSeconds netResult reason }
`;

export type ResponsibleGamingResult =
  | ({ __typename: 'ResponsibleGaming' } & ResponsibleGaming)
  | FlashUserError;

export const ResponsibleGamingQuery = gql<{ responsibleGaming: ResponsibleGaming }, Record<string, never>>`
  query ResponsibleGaming { responsibleGaming { ${RG} } }
`;

export const SetLimitsMutation = gql<
  { setLimits: ResponsibleGamingResult },
  { limits: Array<{ kind: LimitKind; period: LimitPeriod; amount: string | null }> }
>`
  mutation SetLimits($limits: [LimitInput!]!) {
    setLimits(limits: $limits) { __typename ... on UserError { code message } ... on ResponsibleGaming { ${RG} } }
  }
`;

export const StartCoolOffMutation = gql<{ startCoolOff: ResponsibleGamingResult }, { hours: number }>`
  mutation StartCoolOff($hours: Int!) {
    startCoolOff(hours: $hours) { __typename ... on UserError { code message } ... on ResponsibleGaming { ${RG} } }
  }
`;

export const SelfExcludeMutation = gql<{ selfExclude: ResponsibleGamingResult }, { days: number; confirm: boolean }>`
  mutation SelfExclude($days: Int!, $confirm: Boolean!) {
    selfExclude(days: $days, confirm: $confirm) { __typename ... on UserError { code message } ... on ResponsibleGaming { ${RG} } }
  }
`;

export const AcknowledgeRealityCheckMutation = gql<
  { acknowledgeRealityCheck: ResponsibleGamingResult },
  Record<string, never>
>`
  mutation AcknowledgeRealityCheck {
    acknowledgeRealityCheck { __typename ... on UserError { code message } ... on ResponsibleGaming { ${RG} } }
  }
`;

export const RealityCheckSubscription = gql<{ realityCheck: RealityCheck }, Record<string, never>>`
  subscription RealityCheckDue { realityCheck { dueAt timePlayedSeconds netResult reason } }
`;
