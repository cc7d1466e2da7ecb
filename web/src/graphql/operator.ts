/** Operators (ADMIN / EMERGENCY roles): approvals, AML flags, the outbox, the emergency pause. */
import type { ResultOf } from '@graphql-typed-document-node/core';
import { graphql } from './generated';
import type { Role } from './generated/graphql';

export type { KycTier, RateTier, Role } from './generated/graphql';

export type CriticalOperation = 'CHANGE_FEES' | 'CHANGE_RISK_PARAMETERS' | 'WITHDRAW_INSURANCE_FUND' | 'ADD_MARKET';

/** `status`: PENDING, APPROVED (timelock running), EXECUTED, CANCELLED, EXPIRED. */
export type Proposal = ResultOf<typeof ProposalFields>;

export const ProposalFields = graphql(`
  fragment ProposalFields on Proposal {
    id operation parameters status proposedBy proposedAt approvals { admin at }
    approvalsNeeded executableAt executedAt
  }
`);

export type ProposalResult = ResultOf<typeof ApproveProposalMutation>['approveProposal'];
export type AcceptedResult = ResultOf<typeof ResolveAmlFlagMutation>['resolveAmlFlag'];

export const ProposalsQuery = graphql(`
  query Proposals { proposals { ...ProposalFields } }
`);

export const ProposeOperationMutation = graphql(`
  mutation ProposeOperation($operation: String!, $parameters: JSON!) {
    proposeOperation(operation: $operation, parameters: $parameters) { __typename ... on Proposal { ...ProposalFields } ... on UserError { code message } }
  }
`);

export const ApproveProposalMutation = graphql(`
  mutation ApproveProposal($id: String!) {
    approveProposal(id: $id) { __typename ... on Proposal { ...ProposalFields } ... on UserError { code message } }
  }
`);

export const ExecuteProposalMutation = graphql(`
  mutation ExecuteProposal($id: String!) {
    executeProposal(id: $id) { __typename ... on Proposal { ...ProposalFields } ... on UserError { code message } }
  }
`);

export const CancelProposalMutation = graphql(`
  mutation CancelProposal($id: String!) {
    cancelProposal(id: $id) { __typename ... on Proposal { ...ProposalFields } ... on UserError { code message } }
  }
`);

export type AmlFlag = ResultOf<typeof AmlFlagsQuery>['amlFlags'][number];

export const AmlFlagsQuery = graphql(`
  query AmlFlags { amlFlags { id accountId rule detail raisedAt resolvedAt } }
`);

export const ResolveAmlFlagMutation = graphql(`
  mutation ResolveAmlFlag($id: String!) {
    resolveAmlFlag(id: $id) { __typename ... on Accepted { message } ... on UserError { code message } }
  }
`);

export const MailOutboxQuery = graphql(`
  query MailOutbox($limit: Int!) { mailOutbox(limit: $limit) { id recipient subject body createdAt sentAt } }
`);

export const EmergencyPauseQuery = graphql(`
  query EmergencyPause { emergencyPause { level until } }
`);

export const SetEmergencyPauseMutation = graphql(`
  mutation SetEmergencyPause($level: Int!, $reason: String!) {
    setEmergencyPause(level: $level, reason: $reason) { __typename ... on Accepted { message } ... on UserError { code message } }
  }
`);

export const ROLES: readonly Role[] = ['USER', 'LIQUIDATOR', 'RELAYER', 'ORACLE_UPDATER', 'ADMIN', 'EMERGENCY'];

export const SetAccountRolesMutation = graphql(`
  mutation SetAccountRoles($accountId: String!, $roles: [Role!]!) {
    setAccountRoles(accountId: $accountId, roles: $roles) { __typename ... on Accepted { message } ... on UserError { code message } }
  }
`);

export const SetAccountTiersMutation = graphql(`
  mutation SetAccountTiers($accountId: String!, $tier: RateTier, $kycTier: KycTier) {
    setAccountTiers(accountId: $accountId, tier: $tier, kycTier: $kycTier) { __typename ... on Accepted { message } ... on UserError { code message } }
  }
`);
