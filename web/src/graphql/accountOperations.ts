/** Accounts and sessions: sign-up, sign-in, security settings and the account's own data. */
import type { ResultOf } from '@graphql-typed-document-node/core';
import { graphql } from './generated';
import type { ApiPermission } from './generated/graphql';

export type { ApiPermission, CreateApiKeyInput, LoginInput, RegisterInput } from './generated/graphql';

/**
 * An expected refusal: a member of a mutation's error union. Structural, so every
 * generated error member (`...RefusalFields`) fits it.
 */
export interface Refusal {
  __typename: string;
  code: string;
  message: string;
  /** RateLimitedError only: seconds to wait. */
  retryAfter?: number;
}

export const RefusalFields = graphql(`
  fragment RefusalFields on UserError {
    code
    message
    ... on RateLimitedError { retryAfter }
  }
`);

export const API_PERMISSIONS: readonly ApiPermission[] = ['READ', 'TRADE', 'WITHDRAW'];

export type Account = ResultOf<typeof AccountFields>;

export const AccountFields = graphql(`
  fragment AccountFields on Account {
    id
    email
    emailVerified
    status
    roles
    tier
    kycTier
    termsVersion
    referralCode
    twoFactorEnabled
    walletAddress
    eraseAfter
    createdAt
    balances { ...BalanceFields }
  }
`);

export type SignedIn = Extract<ResultOf<typeof SignedInResultFields>, { __typename: 'SignedIn' }>;

export const SignedInResultFields = graphql(`
  fragment SignedInResultFields on SignedInResult {
    __typename
    ... on SignedIn {
      accessToken
      accessTokenExpiresAt
      refreshToken
      refreshTokenExpiresAt
      account { ...AccountFields }
    }
    ...RefusalFields
  }
`);

export const AcceptedResultFields = graphql(`
  fragment AcceptedResultFields on AcceptedResult {
    __typename
    ... on Accepted { message }
    ...RefusalFields
  }
`);

/* ---------- signing up and in ---------- */

export const OpenDemoAccountMutation = graphql(`
  mutation OpenDemoAccount {
    openDemoAccount { ...SignedInResultFields }
  }
`);

export const RegisterMutation = graphql(`
  mutation Register($input: RegisterInput!) {
    register(input: $input) { ...AcceptedResultFields }
  }
`);

export const VerifyEmailMutation = graphql(`
  mutation VerifyEmail($token: String!) {
    verifyEmail(token: $token) { ...AcceptedResultFields }
  }
`);

export const ResendVerificationMutation = graphql(`
  mutation ResendVerification($email: String!) {
    resendVerification(email: $email) { ...AcceptedResultFields }
  }
`);

export const LoginMutation = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) { ...SignedInResultFields }
  }
`);

export const LogoutMutation = graphql(`
  mutation Logout {
    logout { message }
  }
`);

export const LogoutEverywhereMutation = graphql(`
  mutation LogoutEverywhere {
    logoutEverywhere { message }
  }
`);

export type MailMessage = ResultOf<typeof DemoMailboxQuery>['demoMailbox'][number];

export const DemoMailboxQuery = graphql(`
  query DemoMailbox($email: String!) {
    demoMailbox(email: $email) { id recipient subject body createdAt sentAt }
  }
`);

/* ---------- the account ---------- */

export const MeQuery = graphql(`
  query Me {
    me { ...AccountFields }
  }
`);

export const ChangePasswordMutation = graphql(`
  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
    changePassword(currentPassword: $currentPassword, newPassword: $newPassword) { ...AcceptedResultFields }
  }
`);

export const DeleteAccountMutation = graphql(`
  mutation DeleteAccount($password: String!, $twoFactorCode: String) {
    deleteAccount(password: $password, twoFactorCode: $twoFactorCode) {
      __typename
      ... on DeletionScheduled { eraseAfter }
      ...RefusalFields
    }
  }
`);

export const CancelAccountDeletionMutation = graphql(`
  mutation CancelAccountDeletion {
    cancelAccountDeletion { ...AcceptedResultFields }
  }
`);

/* ---------- two-factor ---------- */

export type TwoFactorSetup = Extract<
  ResultOf<typeof BeginTwoFactorSetupMutation>['beginTwoFactorSetup'],
  { __typename: 'TwoFactorSetup' }
>;

export const BeginTwoFactorSetupMutation = graphql(`
  mutation BeginTwoFactorSetup {
    beginTwoFactorSetup {
      __typename
      ... on TwoFactorSetup { secret otpauthUri qrCode }
      ...RefusalFields
    }
  }
`);

export const ConfirmTwoFactorMutation = graphql(`
  mutation ConfirmTwoFactor($code: String!) {
    confirmTwoFactor(code: $code) {
      __typename
      ... on BackupCodes { codes }
      ...RefusalFields
    }
  }
`);

export const DisableTwoFactorMutation = graphql(`
  mutation DisableTwoFactor($password: String!, $code: String!) {
    disableTwoFactor(password: $password, code: $code) { ...AcceptedResultFields }
  }
`);

/* ---------- API keys ---------- */

export type ApiKey = ResultOf<typeof ApiKeyFields>;

export const ApiKeyFields = graphql(`
  fragment ApiKeyFields on ApiKey {
    id
    name
    permissions
    allowList
    createdAt
    expiresAt
    lastUsedAt
  }
`);

export const ApiKeysQuery = graphql(`
  query ApiKeys {
    apiKeys { ...ApiKeyFields }
  }
`);

export const CreateApiKeyMutation = graphql(`
  mutation CreateApiKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      __typename
      ... on CreatedApiKey {
        key { ...ApiKeyFields }
        secret
      }
      ...RefusalFields
    }
  }
`);

export const UpdateApiKeyMutation = graphql(`
  mutation UpdateApiKey($id: String!, $name: String, $allowList: [String!]) {
    updateApiKey(id: $id, name: $name, allowList: $allowList) {
      __typename
      ... on ApiKey { ...ApiKeyFields }
      ...RefusalFields
    }
  }
`);

export const DeleteApiKeyMutation = graphql(`
  mutation DeleteApiKey($id: String!, $password: String!) {
    deleteApiKey(id: $id, password: $password) { ...AcceptedResultFields }
  }
`);

/* ---------- wallet ---------- */

export type WalletChallenge = Extract<
  ResultOf<typeof WalletChallengeMutation>['walletChallenge'],
  { __typename: 'WalletChallenge' }
>;

export const WalletChallengeMutation = graphql(`
  mutation WalletChallenge($address: String!) {
    walletChallenge(address: $address) {
      __typename
      ... on WalletChallenge { nonce message expiresAt }
      ...RefusalFields
    }
  }
`);

export const LinkWalletMutation = graphql(`
  mutation LinkWallet($nonce: String!, $signature: String!) {
    linkWallet(nonce: $nonce, signature: $signature) {
      __typename
      ... on Account { ...AccountFields }
      ...RefusalFields
    }
  }
`);

export const UnlinkWalletMutation = graphql(`
  mutation UnlinkWallet($password: String!, $twoFactorCode: String) {
    unlinkWallet(password: $password, twoFactorCode: $twoFactorCode) {
      __typename
      ... on Account { ...AccountFields }
      ...RefusalFields
    }
  }
`);

/* ---------- sessions, activity, data ---------- */

export type AuthSession = ResultOf<typeof SessionsQuery>['sessions'][number];

export const SessionsQuery = graphql(`
  query Sessions {
    sessions { id device ip createdAt lastUsedAt current }
  }
`);

export type ActivityEntry = ResultOf<typeof ActivityQuery>['activity'][number];

export const ActivityQuery = graphql(`
  query Activity {
    activity { kind ip userAgent detail at }
  }
`);

export const ExportMyDataQuery = graphql(`
  query ExportMyData {
    exportMyData
  }
`);
