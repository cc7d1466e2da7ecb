import { gql } from 'urql';

export type BatchStatus = 'MATCHED' | 'PENDING' | 'CONFIRMED' | 'FAILED';

export interface SettlementBatch {
  id: string;
  status: BatchStatus;
  merkleRoot: string;
  tradeCount: number;
  txSignature: string | null;
  attempts: number;
  createdAt: string;
  confirmedAt: string | null;
}

export interface TradeProof {
  tradeId: string;
  batchId: string;
  status: BatchStatus;
  leafIndex: number;
  treeSize: number;
  path: string[];
  merkleRoot: string;
  leafData: string;
  txSignature: string | null;
}

export interface SettlementStatus {
  lagSeconds: number;
  matched: number;
  pending: number;
  confirmed: number;
  failed: number;
  withdrawalsHalted: boolean;
  chain: string;
  vaultTokenAccount: string;
}

export interface Wallet {
  address: string;
  kind: string;
  tokenAccount: string;
  balance: string;
  delegated: string;
}

export interface Vault {
  approved: string;
  used: string;
  withdrawn: string;
  available: string;
  active: boolean;
}

const BATCH_FIELDS = 'id status merkleRoot tradeCount txSignature attempts createdAt confirmedAt';

export const SettlementQuery = gql<
  { settlementBatches: SettlementBatch[]; settlementStatus: SettlementStatus },
  { limit: number }
>`
  query Settlement($limit: Int!) {
    settlementBatches(limit: $limit) { ${BATCH_FIELDS} }
    settlementStatus { lagSeconds matched pending confirmed failed withdrawalsHalted chain vaultTokenAccount }
  }
`;

export const BatchTradesQuery = gql<{ batch: { id: string; tradeIds: string[] | null } | null }, { id: string }>`
  query BatchTrades($id: String!) { batch(id: $id) { id tradeIds } }
`;

export const MyFillsQuery = gql<
  { myTrades: { tradeId: string; symbol: string; side: string; price: string; size: string; time: string }[] },
  { limit: number }
>`
  query MyFills($limit: Int!) { myTrades(limit: $limit) { tradeId symbol side price size time } }
`;

export const TradeProofQuery = gql<{ tradeProof: TradeProof | null }, { tradeId: string }>`
  query TradeProof($tradeId: String!) {
    tradeProof(tradeId: $tradeId) { tradeId batchId status leafIndex treeSize path merkleRoot leafData txSignature }
  }
`;

export const WalletQuery = gql<{ wallet: Wallet; vault: Vault }, Record<string, never>>`
  query WalletAndVault {
    wallet { address kind tokenAccount balance delegated }
    vault { approved used withdrawn available active }
  }
`;

type Failure = { __typename: string; code: string; message: string };

export const AuthorizeVaultMutation = gql<
  { authorizeVault: { __typename: 'VaultUpdated'; vault: Vault } | Failure },
  { amount: string }
>`
  mutation AuthorizeVault($amount: Decimal!) {
    authorizeVault(amount: $amount) {
      __typename
      ... on VaultUpdated { vault { approved used withdrawn available active } }
      ... on UserError { code message }
    }
  }
`;

export const RevokeVaultMutation = gql<
  { revokeVault: { __typename: 'VaultUpdated'; vault: Vault } | Failure },
  Record<string, never>
>`
  mutation RevokeVault {
    revokeVault {
      __typename
      ... on VaultUpdated { vault { approved used withdrawn available active } }
      ... on UserError { code message }
    }
  }
`;

export const ChainFaucetMutation = gql<
  { chainFaucet: { __typename: 'WalletFunded'; signature: string } | Failure },
  { amount: string }
>`
  mutation ChainFaucet($amount: Decimal!) {
    chainFaucet(amount: $amount) {
      __typename
      ... on WalletFunded { signature }
      ... on UserError { code message }
    }
  }
`;
