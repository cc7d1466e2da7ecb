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
