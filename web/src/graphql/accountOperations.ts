/** Accounts and sessions: sign-up, sign-in, security settings and the account's own data. */
import { gql } from 'urql';
import type { Balance } from './operations';

/** An expected refusal: a member of a mutation's error union. */
export interface Refusal {
  __typename: string;
  code: string;
  message: string;
  /** RateLimitedError only: seconds to wait. */
  retryAfter?: number;
}

/** `X | Refusal` as returned by a mutation whose success type is `Name`. */
export type Outcome<Name extends string, T> = ({ __typename: Name } & T) | Refusal;

export function isRefusal<Name extends string, T>(
  outcome: Outcome<Name, T>,
  success: Name,
): outcome is Refusal {
  return outcome.__typename !== success;
}

const REFUSAL = `
  ... on UserError { code message }
  ... on RateLimitedError { retryAfter }
`;

export type ApiPermission = 'READ' | 'TRADE' | 'WITHDRAW';
export const API_PERMISSIONS: readonly ApiPermission[] = ['READ', 'TRADE', 'WITHDRAW'];

export interface Account {
  id: string;
  email: string;
  emailVerified: boolean;
  status: string;
  roles: string[];
  tier: string;
  kycTier: string;
  termsVersion: string;
  referralCode: string;
  twoFactorEnabled: boolean;
  walletAddress: string | null;
  eraseAfter: string | null;
  createdAt: string;
  balances: Balance[];
}

const ACCOUNT_FIELDS = `
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
  balances { asset available locked total }
`;

export interface SignedIn {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  refreshTokenExpiresAt: string;
  account: Account;
}

const SIGNED_IN = `
  __typename
  ... on SignedIn {
    accessToken
    accessTokenExpiresAt
    refreshToken
    refreshTokenExpiresAt
    account { ${ACCOUNT_FIELDS} }
  }
  ${REFUSAL}
`;

const ACCEPTED = `
  __typename
  ... on Accepted { message }
  ${REFUSAL}
`;

type SignedInResult = Outcome<'SignedIn', SignedIn>;
type AcceptedResult = Outcome<'Accepted', { message: string }>;
type NoVariables = Record<string, never>;

/* ---------- signing up and in ---------- */

export const OpenDemoAccountMutation = gql<{ openDemoAccount: SignedInResult }, NoVariables>`
  mutation OpenDemoAccount {
    openDemoAccount { ${SIGNED_IN} }
  }
`;

export interface RegisterInput {
  email: string;
  password: string;
  acceptTermsVersion: string;
  referralCode: string | null;
}

export const RegisterMutation = gql<{ register: AcceptedResult }, { input: RegisterInput }>`
  mutation Register($input: RegisterInput!) {
    register(input: $input) { ${ACCEPTED} }
  }
`;

export const VerifyEmailMutation = gql<{ verifyEmail: AcceptedResult }, { token: string }>`
  mutation VerifyEmail($token: String!) {
    verifyEmail(token: $token) { ${ACCEPTED} }
  }
`;

export const ResendVerificationMutation = gql<{ resendVerification: AcceptedResult }, { email: string }>`
  mutation ResendVerification($email: String!) {
    resendVerification(email: $email) { ${ACCEPTED} }
  }
`;

export interface LoginInput {
  email: string;
  password: string;
  twoFactorCode: string | null;
}

export const LoginMutation = gql<{ login: SignedInResult }, { input: LoginInput }>`
  mutation Login($input: LoginInput!) {
    login(input: $input) { ${SIGNED_IN} }
  }
`;

export const LogoutMutation = gql<{ logout: { message: string } }, NoVariables>`
  mutation Logout {
    logout { message }
  }
`;

export const LogoutEverywhereMutation = gql<{ logoutEverywhere: { message: string } }, NoVariables>`
  mutation LogoutEverywhere {
    logoutEverywhere { message }
  }
`;

export interface MailMessage {
  id: string;
  recipient: string;
  subject: string;
  body: string;
  createdAt: string;
  sentAt: string | null;
}

export const DemoMailboxQuery = gql<{ demoMailbox: MailMessage[] }, { email: string }>`
  query DemoMailbox($email: String!) {
    demoMailbox(email: $email) { id recipient subject body createdAt sentAt }
  }
`;

/* ---------- the account ---------- */

export const MeQuery = gql<{ me: Account | null }, NoVariables>`
  query Me {
    me { ${ACCOUNT_FIELDS} }
  }
`;

export const ChangePasswordMutation = gql<
  { changePassword: AcceptedResult },
  { currentPassword: string; newPassword: string }
>`
  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
    changePassword(currentPassword: $currentPassword, newPassword: $newPassword) { ${ACCEPTED} }
  }
`;

export const DeleteAccountMutation = gql<
  { deleteAccount: Outcome<'DeletionScheduled', { eraseAfter: string }> },
  { password: string; twoFactorCode: string | null }
>`
  mutation DeleteAccount($password: String!, $twoFactorCode: String) {
    deleteAccount(password: $password, twoFactorCode: $twoFactorCode) {
      __typename
      ... on DeletionScheduled { eraseAfter }
      ${REFUSAL}
    }
  }
`;

export const CancelAccountDeletionMutation = gql<{ cancelAccountDeletion: AcceptedResult }, NoVariables>`
  mutation CancelAccountDeletion {
    cancelAccountDeletion { ${ACCEPTED} }
  }
`;

/* ---------- two-factor ---------- */

export interface TwoFactorSetup {
  secret: string;
  otpauthUri: string;
  qrCode: string;
}

export const BeginTwoFactorSetupMutation = gql<
  { beginTwoFactorSetup: Outcome<'TwoFactorSetup', TwoFactorSetup> },
  NoVariables
>`
  mutation BeginTwoFactorSetup {
    beginTwoFactorSetup {
      __typename
      ... on TwoFactorSetup { secret otpauthUri qrCode }
      ${REFUSAL}
    }
  }
`;

export const ConfirmTwoFactorMutation = gql<
  { confirmTwoFactor: Outcome<'BackupCodes', { codes: string[] }> },
  { code: string }
>`
  mutation ConfirmTwoFactor($code: String!) {
    confirmTwoFactor(code: $code) {
      __typename
      ... on BackupCodes { codes }
      ${REFUSAL}
    }
  }
`;

export const DisableTwoFactorMutation = gql<
  { disableTwoFactor: AcceptedResult },
  { password: string; code: string }
>`
  mutation DisableTwoFactor($password: String!, $code: String!) {
    disableTwoFactor(password: $password, code: $code) { ${ACCEPTED} }
  }
`;

/* ---------- API keys ---------- */

export interface ApiKey {
  id: string;
  name: string;
  permissions: ApiPermission[];
  allowList: string[];
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

const API_KEY_FIELDS = 'id name permissions allowList createdAt expiresAt lastUsedAt';

export const ApiKeysQuery = gql<{ apiKeys: ApiKey[] }, NoVariables>`
  query ApiKeys {
    apiKeys { ${API_KEY_FIELDS} }
  }
`;

export interface CreateApiKeyInput {
  name: string;
  permissions: ApiPermission[];
  allowList: string[];
  expiresAt: string | null;
}

export const CreateApiKeyMutation = gql<
  { createApiKey: Outcome<'CreatedApiKey', { key: ApiKey; secret: string }> },
  { input: CreateApiKeyInput }
>`
  mutation CreateApiKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      __typename
      ... on CreatedApiKey {
        key { ${API_KEY_FIELDS} }
        secret
      }
      ${REFUSAL}
    }
  }
`;

export const UpdateApiKeyMutation = gql<
  { updateApiKey: Outcome<'ApiKey', ApiKey> },
  { id: string; name: string | null; allowList: string[] | null }
>`
  mutation UpdateApiKey($id: String!, $name: String, $allowList: [String!]) {
    updateApiKey(id: $id, name: $name, allowList: $allowList) {
      __typename
      ... on ApiKey { ${API_KEY_FIELDS} }
      ${REFUSAL}
    }
  }
`;

export const DeleteApiKeyMutation = gql<{ deleteApiKey: AcceptedResult }, { id: string; password: string }>`
  mutation DeleteApiKey($id: String!, $password: String!) {
    deleteApiKey(id: $id, password: $password) { ${ACCEPTED} }
  }
`;

/* ---------- wallet ---------- */

export interface WalletChallenge {
  nonce: string;
  message: string;
  expiresAt: string;
}

export const WalletChallengeMutation = gql<
  { walletChallenge: Outcome<'WalletChallenge', WalletChallenge> },
  { address: string }
>`
  mutation WalletChallenge($address: String!) {
    walletChallenge(address: $address) {
      __typename
      ... on WalletChallenge { nonce message expiresAt }
      ${REFUSAL}
    }
  }
`;

type AccountResult = Outcome<'Account', Account>;

export const LinkWalletMutation = gql<{ linkWallet: AccountResult }, { nonce: string; signature: string }>`
  mutation LinkWallet($nonce: String!, $signature: String!) {
    linkWallet(nonce: $nonce, signature: $signature) {
      __typename
      ... on Account { ${ACCOUNT_FIELDS} }
      ${REFUSAL}
    }
  }
`;

export const UnlinkWalletMutation = gql<
  { unlinkWallet: AccountResult },
  { password: string; twoFactorCode: string | null }
>`
  mutation UnlinkWallet($password: String!, $twoFactorCode: String) {
    unlinkWallet(password: $password, twoFactorCode: $twoFactorCode) {
      __typename
      ... on Account { ${ACCOUNT_FIELDS} }
      ${REFUSAL}
    }
  }
`;

/* ---------- sessions, activity, data ---------- */

export interface AuthSession {
  id: string;
  device: string;
  ip: string;
  createdAt: string;
  lastUsedAt: string;
  current: boolean;
}

export const SessionsQuery = gql<{ sessions: AuthSession[] }, NoVariables>`
  query Sessions {
    sessions { id device ip createdAt lastUsedAt current }
  }
`;

export interface ActivityEntry {
  kind: string;
  ip: string;
  userAgent: string;
  detail: string;
  at: string;
}

export const ActivityQuery = gql<{ activity: ActivityEntry[] }, NoVariables>`
  query Activity {
    activity { kind ip userAgent detail at }
  }
`;

export const ExportMyDataQuery = gql<{ exportMyData: unknown }, NoVariables>`
  query ExportMyData {
    exportMyData
  }
`;
