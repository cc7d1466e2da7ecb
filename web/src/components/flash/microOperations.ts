/* Micro-bets on pre-funded sessions (schema.graphql: MicroSession, microMarkets, microEvents). */
import type { ResultOf } from '@graphql-typed-document-node/core';
import { graphql } from '../../graphql/generated';

export type {
  MicroBetStatus,
  MicroBetType,
  MicroEventKind,
} from '../../graphql/generated/graphql';

export type MicroMarket = ResultOf<typeof MicroMarketsQuery>['microMarkets'][number];
export type MicroOutcome = MicroMarket['outcomes'][number];
export type MicroSession = ResultOf<typeof MicroSessionFields>;
export type MicroBet = ResultOf<typeof MicroBetFields>;
export type MicroEvent = ResultOf<typeof MicroEventsSubscription>['microEvents'];
export type StreetEvent = NonNullable<MicroEvent['street']>;
/** A typed refusal of the micro-bet mutations; TooFastError also says when to retry. */
export type MicroError = Extract<
  ResultOf<typeof PlaceMicroBetMutation>['placeMicroBet'],
  { code: string }
>;

export const MicroBetFields = graphql(`
  fragment MicroBetFields on MicroBet {
    id
    marketId
    question
    outcome
    stake
    decimalOdds
    potentialPayout
    status
    returned
    placedAt
    closesAt
  }
`);

export const MicroSessionFields = graphql(`
  fragment MicroSessionFields on MicroSession {
    id
    status
    deposit
    reserve
    balance
    inPlay
    openBets
    maxStake
    maxOpenBets
    openedAt
    closedAt
    bets { ...MicroBetFields }
  }
`);

export const MicroMarketsQuery = graphql(`
  query MicroMarkets {
    microMarkets { id betType question opensAt closesAt houseMarginPercent outcomes { outcome probability decimalOdds } }
  }
`);

/** The same list, pushed whenever an offer is listed or settled. */
export const MicroMarketsSubscription = graphql(`
  subscription MicroMarketsLive {
    microMarkets { id betType question opensAt closesAt houseMarginPercent outcomes { outcome probability decimalOdds } }
  }
`);

export const MyMicroSessionsQuery = graphql(`
  query MyMicroSessions { myMicroSessions { ...MicroSessionFields } }
`);

export const OpenMicroSessionMutation = graphql(`
  mutation OpenMicroSession($deposit: Decimal!) {
    openMicroSession(deposit: $deposit) {
      __typename
      ... on UserError { code message }
      ... on MicroSession { ...MicroSessionFields }
    }
  }
`);

export const PlaceMicroBetMutation = graphql(`
  mutation PlaceMicroBet($input: PlaceMicroBetInput!) {
    placeMicroBet(input: $input) {
      __typename
      ... on UserError { code message }
      ... on TooFastError { retryAfter }
      ... on MicroBetPlaced { bet { ...MicroBetFields } session { ...MicroSessionFields } }
    }
  }
`);

export const CloseMicroSessionMutation = graphql(`
  mutation CloseMicroSession($sessionId: String!) {
    closeMicroSession(sessionId: $sessionId) {
      __typename
      ... on UserError { code message }
      ... on MicroSessionClosed { reserveReturned balanceReturned totalReturned session { ...MicroSessionFields } }
    }
  }
`);

export const MicroEventsSubscription = graphql(`
  subscription MicroEvents($sessionId: String!) {
    microEvents(sessionId: $sessionId) {
      kind time
      session { ...MicroSessionFields }
      street { occurredAt kind colour direction observers }
    }
  }
`);
