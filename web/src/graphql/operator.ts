/** Operators (ADMIN / EMERGENCY roles): approvals, AML flags, the outbox, the emergency pause. */
import { gql } from 'urql';
import type { MailMessage, Outcome } from './accountOperations';

const REFUSAL = `... on UserError { code message }`;

export type CriticalOperation = 'CHANGE_FEES' | 'CHANGE_RISK_PARAMETERS' | 'WITHDRAW_INSURANCE_FUND' | 'ADD_MARKET';

export interface Proposal {
  id: string;
  operation: string;
  parameters: Record<string, string>;
  /** PENDING, APPROVED (timelock running), EXECUTED, CANCELLED, EXPIRED. */
  status: string;
  proposedBy: string;
  proposedAt: string;
  approvals: { admin: string; at: string }[];
  approvalsNeeded: number;
  executableAt: string | null;
  executedAt: string | null;
}

const PROPOSAL = `id operation parameters status proposedBy proposedAt approvals { admin at }
  approvalsNeeded executableAt executedAt`;

export type ProposalResult = Outcome<'Proposal', Proposal>;
export type AcceptedResult = Outcome<'Accepted', { message: string }>;

export const ProposalsQuery = gql<{ proposals: Proposal[] }, Record<string, never>>`
  query Proposals { proposals { ${PROPOSAL} } }
`;

export const ProposeOperationMutation = gql<
  { proposeOperation: ProposalResult },
  { operation: CriticalOperation; parameters: Record<string, string> }
>`
  mutation ProposeOperation($operation: String!, $parameters: JSON!) {
    proposeOperation(operation: $operation, parameters: $parameters) { __typename ... on Proposal { ${PROPOSAL} } ${REFUSAL} }
  }
`;

export const ApproveProposalMutation = gql<{ approveProposal: ProposalResult }, { id: string }>`
  mutation ApproveProposal($id: String!) {
    approveProposal(id: $id) { __typename ... on Proposal { ${PROPOSAL} } ${REFUSAL} }
  }
`;

export const ExecuteProposalMutation = gql<{ executeProposal: ProposalResult }, { id: string }>`
  mutation ExecuteProposal($id: String!) {
    executeProposal(id: $id) { __typename ... on Proposal { ${PROPOSAL} } ${REFUSAL} }
  }
`;

export const CancelProposalMutation = gql<{ cancelProposal: ProposalResult }, { id: string }>`
  mutation CancelProposal($id: String!) {
    cancelProposal(id: $id) { __typename ... on Proposal { ${PROPOSAL} } ${REFUSAL} }
  }
`;

export interface AmlFlag {
  id: string;
  accountId: string;
  rule: string;
  detail: string;
  raisedAt: string;
  resolvedAt: string | null;
}

export const AmlFlagsQuery = gql<{ amlFlags: AmlFlag[] }, Record<string, never>>`
  query AmlFlags { amlFlags { id accountId rule detail raisedAt resolvedAt } }
`;

export const ResolveAmlFlagMutation = gql<{ resolveAmlFlag: AcceptedResult }, { id: string }>`
  mutation ResolveAmlFlag($id: String!) {
    resolveAmlFlag(id: $id) { __typename ... on Accepted { message } ${REFUSAL} }
  }
`;

export const MailOutboxQuery = gql<{ mailOutbox: MailMessage[] }, { limit: number }>`
  query MailOutbox($limit: Int!) { mailOutbox(limit: $limit) { id recipient subject body createdAt sentAt } }
`;

export const EmergencyPauseQuery = gql<{ emergencyPause: { level: number; until: string | null } }, Record<string, never>>`
  query EmergencyPause { emergencyPause { level until } }
`;

export const SetEmergencyPauseMutation = gql<{ setEmergencyPause: AcceptedResult }, { level: number; reason: string }>`
  mutation SetEmergencyPause($level: Int!, $reason: String!) {
    setEmergencyPause(level: $level, reason: $reason) { __typename ... on Accepted { message } ${REFUSAL} }
  }
`;

export type Role = 'USER' | 'LIQUIDATOR' | 'RELAYER' | 'ORACLE_UPDATER' | 'ADMIN' | 'EMERGENCY';
export const ROLES: readonly Role[] = ['USER', 'LIQUIDATOR', 'RELAYER', 'ORACLE_UPDATER', 'ADMIN', 'EMERGENCY'];

export const SetAccountRolesMutation = gql<{ setAccountRoles: AcceptedResult }, { accountId: string; roles: Role[] }>`
  mutation SetAccountRoles($accountId: String!, $roles: [Role!]!) {
    setAccountRoles(accountId: $accountId, roles: $roles) { __typename ... on Accepted { message } ${REFUSAL} }
  }
`;

export type RateTier = 'FREE' | 'BASIC' | 'PRO' | 'MARKET_MAKER';
export type KycTier = 'NONE' | 'BASIC' | 'FULL';

export const SetAccountTiersMutation = gql<
  { setAccountTiers: AcceptedResult },
  { accountId: string; tier: RateTier | null; kycTier: KycTier | null }
>`
  mutation SetAccountTiers($accountId: String!, $tier: RateTier, $kycTier: KycTier) {
    setAccountTiers(accountId: $accountId, tier: $tier, kycTier: $kycTier) { __typename ... on Accepted { message } ${REFUSAL} }
  }
`;
