import type { ResultOf } from '@graphql-typed-document-node/core';
import { graphql } from '../../graphql/generated';

export type { BatchStatus } from '../../graphql/generated/graphql';

export type SettlementBatch = ResultOf<typeof SettlementBatchFields>;
export type SettlementStatus = ResultOf<typeof SettlementQuery>['settlementStatus'];
export type TradeProof = NonNullable<ResultOf<typeof TradeProofQuery>['tradeProof']>;
export type Wallet = ResultOf<typeof WalletQuery>['wallet'];
export type Vault = ResultOf<typeof VaultFields>;

export const SettlementBatchFields = graphql(`
  fragment SettlementBatchFields on SettlementBatch {
    id
    status
    merkleRoot
    tradeCount
    txSignature
    attempts
    createdAt
    confirmedAt
  }
`);

export const VaultFields = graphql(`
  fragment VaultFields on Vault { approved used withdrawn available active }
`);

export const SettlementQuery = graphql(`
  query Settlement($limit: Int!) {
    settlementBatches(limit: $limit) { ...SettlementBatchFields }
    settlementStatus { lagSeconds matched pending confirmed failed withdrawalsHalted chain vaultTokenAccount }
  }
`);

/** A batch at each status change; the Settlement card refetches its summary on it. */
export const SettlementsSubscription = graphql(`
  subscription Settlements {
    settlements { id status }
  }
`);

export const BatchTradesQuery = graphql(`
  query BatchTrades($id: String!) { batch(id: $id) { id tradeIds } }
`);

export const MyFillsQuery = graphql(`
  query MyFills($limit: Int!) { myTrades(limit: $limit) { tradeId symbol side price size time } }
`);

export const TradeProofQuery = graphql(`
  query TradeProof($tradeId: String!) {
    tradeProof(tradeId: $tradeId) { tradeId batchId status leafIndex treeSize path merkleRoot leafData txSignature }
  }
`);

export const WalletQuery = graphql(`
  query WalletAndVault {
    wallet { address kind tokenAccount balance delegated }
    vault { ...VaultFields }
  }
`);

export const AuthorizeVaultMutation = graphql(`
  mutation AuthorizeVault($amount: Decimal!) {
    authorizeVault(amount: $amount) {
      __typename
      ... on VaultUpdated { vault { ...VaultFields } }
      ... on UserError { code message }
    }
  }
`);

export const RevokeVaultMutation = graphql(`
  mutation RevokeVault {
    revokeVault {
      __typename
      ... on VaultUpdated { vault { ...VaultFields } }
      ... on UserError { code message }
    }
  }
`);

export const ChainFaucetMutation = graphql(`
  mutation ChainFaucet($amount: Decimal!) {
    chainFaucet(amount: $amount) {
      __typename
      ... on WalletFunded { signature }
      ... on UserError { code message }
    }
  }
`);
