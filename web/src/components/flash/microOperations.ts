/* Micro-bets on pre-funded sessions (schema.graphql: MicroSession, microMarkets, microEvents). */
import { gql } from 'urql';

export type MicroBetType = 'BINARY' | 'QUANTITY' | 'TIMING' | 'PATTERN';
export type MicroBetStatus = 'OPEN' | 'WON' | 'LOST' | 'VOID';
export type MicroEventKind =
  | 'SNAPSHOT'
  | 'SESSION_OPENED'
  | 'BET_PLACED'
  | 'BET_SETTLED'
  | 'SESSION_CLOSED'
  | 'STREET_EVENT';

export interface MicroOutcome {
  outcome: string;
  probability: string;
  decimalOdds: string;
}

export interface MicroMarket {
  id: string;
  betType: MicroBetType;
  question: string;
  opensAt: string;
  closesAt: string;
  houseMarginPercent: string;
  outcomes: MicroOutcome[];
}

export interface MicroBet {
  id: string;
  marketId: string;
  question: string | null;
  outcome: string;
  stake: string;
  decimalOdds: string;
  potentialPayout: string;
  status: MicroBetStatus;
  returned: string;
  placedAt: string;
  closesAt: string;
}

export interface MicroSession {
  id: string;
  status: 'OPEN' | 'CLOSED';
  deposit: string;
  reserve: string;
  balance: string;
  inPlay: string;
  openBets: number;
  maxStake: string;
  maxOpenBets: number;
  openedAt: string;
  closedAt: string | null;
  bets: MicroBet[];
}

export interface StreetEvent {
  occurredAt: string;
  kind: string;
  colour: string | null;
  direction: string | null;
  observers: number;
}

export interface MicroEvent {
  kind: MicroEventKind;
  time: string;
  session: MicroSession | null;
  street: StreetEvent | null;
}

export interface MicroError {
  __typename: string;
  code: string;
  message: string;
  retryAfter?: number | null;
}

const SESSION_FIELDS = `
  id status deposit reserve balance inPlay openBets maxStake maxOpenBets openedAt closedAt
  bets { id marketId question outcome stake decimalOdds potentialPayout status returned placedAt closesAt }
`;

export const MicroMarketsQuery = gql<{ microMarkets: MicroMarket[] }, Record<string, never>>`
  query MicroMarkets {
    microMarkets { id betType question opensAt closesAt houseMarginPercent outcomes { outcome probability decimalOdds } }
  }
`;

export const MyMicroSessionsQuery = gql<{ myMicroSessions: MicroSession[] }, Record<string, never>>`
  query MyMicroSessions { myMicroSessions { ${SESSION_FIELDS} } }
`;

export const OpenMicroSessionMutation = gql<
  { openMicroSession: ({ __typename: 'MicroSession' } & MicroSession) | MicroError },
  { deposit: string }
>`
  mutation OpenMicroSession($deposit: Decimal!) {
    openMicroSession(deposit: $deposit) {
      __typename
      ... on UserError { code message }
      ... on MicroSession { ${SESSION_FIELDS} }
    }
  }
`;

export const PlaceMicroBetMutation = gql<
  { placeMicroBet: { __typename: 'MicroBetPlaced'; bet: MicroBet; session: MicroSession } | MicroError },
  { input: { sessionId: string; marketId: string; outcome: string; stake: string; clientBetId: string } }
>`
  mutation PlaceMicroBet($input: PlaceMicroBetInput!) {
    placeMicroBet(input: $input) {
      __typename
      ... on UserError { code message }
      ... on TooFastError { retryAfter }
      ... on MicroBetPlaced { bet { id marketId question outcome stake decimalOdds potentialPayout status returned placedAt closesAt } session { ${SESSION_FIELDS} } }
    }
  }
`;

export const CloseMicroSessionMutation = gql<
  {
    closeMicroSession:
      | {
          __typename: 'MicroSessionClosed';
          reserveReturned: string;
          balanceReturned: string;
          totalReturned: string;
          session: MicroSession;
        }
      | MicroError;
  },
  { sessionId: string }
>`
  mutation CloseMicroSession($sessionId: String!) {
    closeMicroSession(sessionId: $sessionId) {
      __typename
      ... on UserError { code message }
      ... on MicroSessionClosed { reserveReturned balanceReturned totalReturned session { ${SESSION_FIELDS} } }
    }
  }
`;

export const MicroEventsSubscription = gql<{ microEvents: MicroEvent }, { sessionId: string }>`
  subscription MicroEvents($sessionId: String!) {
    microEvents(sessionId: $sessionId) {
      kind time
      session { ${SESSION_FIELDS} }
      street { occurredAt kind colour direction observers }
    }
  }
`;
