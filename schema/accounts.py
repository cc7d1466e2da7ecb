"""Accounts: sign-up, sessions, two-factor, wallets, API keys, activity and admin."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, TypeAlias

import strawberry
from strawberry.scalars import JSON

from schema.errors import InvalidRequestError, NotAvailableError, RateLimitedError, UserError
from schema.ledger import Balance
from schema.scalars import Decimal


@strawberry.enum
class ApiPermission(Enum):
    READ = "READ"
    TRADE = "TRADE"
    WITHDRAW = "WITHDRAW"


@strawberry.enum
class Role(Enum):
    USER = "USER"
    LIQUIDATOR = "LIQUIDATOR"
    RELAYER = "RELAYER"
    ORACLE_UPDATER = "ORACLE_UPDATER"
    ADMIN = "ADMIN"
    EMERGENCY = "EMERGENCY"


@strawberry.enum
class RateTier(Enum):
    FREE = "FREE"
    BASIC = "BASIC"
    PRO = "PRO"
    MARKET_MAKER = "MARKET_MAKER"


@strawberry.enum
class KycTier(Enum):
    NONE = "NONE"
    BASIC = "BASIC"
    FULL = "FULL"


@strawberry.type
class Account:
    id: str
    email: str
    email_verified: bool
    status: str = strawberry.field(description="ACTIVE or DELETION_PENDING.")
    roles: list[Role]
    tier: str = strawberry.field(description="Rate-limit tier: FREE, BASIC, PRO, MARKET_MAKER.")
    kyc_tier: str
    terms_version: str
    referral_code: str
    two_factor_enabled: bool
    wallet_address: str | None
    erase_after: datetime | None = strawberry.field(
        description="When a requested deletion erases the personal data."
    )
    created_at: datetime
    balances: list[Balance]


@strawberry.type(
    description="Your referral programme: code, link, sign-ups, what your referees traded and "
    "what it earned you. Referees are counted, never named."
)
class ReferralStats:
    code: str
    link: str = strawberry.field(description="The sign-up link that carries your code.")
    sign_ups: int = strawberry.field(description="Accounts opened with your code.")
    active_referees: int = strawberry.field(description="Those of them who have traded.")
    referee_volume: Decimal = strawberry.field(description="Their traded notional, USDT.")
    referee_trades: int
    rewards_paid: Decimal = strawberry.field(description="USDT credited to your balance.")
    rewards_pending: Decimal = strawberry.field(
        description="USDT earned on days not paid yet; a UTC day is paid shortly after it ends."
    )
    fee_share_percent: Decimal = strawberry.field(
        description="Your share of the trading fees your referees pay."
    )
    reward_period_days: int = strawberry.field(
        description="How long after a referee signs up its fees earn you rewards."
    )


@strawberry.type
class SignedIn:
    access_token: str = strawberry.field(description="JWT for `Authorization: Bearer`, 15 min.")
    access_token_expires_at: datetime
    refresh_token: str = strawberry.field(description="Single use; 7 days. Keep it secret.")
    refresh_token_expires_at: datetime
    account: Account


@strawberry.type
class Accepted:
    message: str


@strawberry.type
class AuthSession:
    id: str
    device: str
    ip: str
    created_at: datetime
    last_used_at: datetime
    current: bool


@strawberry.type
class ActivityEntry:
    kind: str
    ip: str
    user_agent: str
    detail: str
    at: datetime


@strawberry.type
class TwoFactorSetup:
    secret: str = strawberry.field(description="Base32, for apps that cannot scan the QR code.")
    otpauth_uri: str
    qr_code: str = strawberry.field(description="PNG data URL of the otpauth URI.")


@strawberry.type
class BackupCodes:
    codes: list[str] = strawberry.field(description="Ten single-use codes, shown this once.")


@strawberry.type
class DeletionScheduled:
    erase_after: datetime


@strawberry.type
class WalletChallenge:
    nonce: str
    message: str = strawberry.field(description="Sign exactly this text with the wallet.")
    expires_at: datetime


@strawberry.type
class ApiKey:
    id: str
    name: str
    permissions: list[ApiPermission]
    allow_list: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


@strawberry.type
class CreatedApiKey:
    key: ApiKey
    secret: str = strawberry.field(description="Shown once: store it now.")


@strawberry.type
class MailMessage:
    id: str
    recipient: str
    subject: str
    body: str
    created_at: datetime
    sent_at: datetime | None


@strawberry.type
class AmlFlag:
    id: str
    account_id: str
    rule: str
    detail: str
    raised_at: datetime
    resolved_at: datetime | None


@strawberry.type
class ProposalApproval:
    admin: str
    at: datetime


@strawberry.type
class AuditEntry:
    at: datetime
    admin: str | None
    action: str
    detail: str


@strawberry.type
class Proposal:
    id: str
    operation: str
    parameters: JSON
    status: str = strawberry.field(
        description="PENDING, APPROVED (waiting out the timelock), EXECUTED, CANCELLED, EXPIRED."
    )
    proposed_by: str
    proposed_at: datetime
    approvals: list[ProposalApproval]
    approvals_needed: int
    executable_at: datetime | None
    executed_at: datetime | None
    audit: list[AuditEntry]


@strawberry.input
class RegisterInput:
    email: str
    password: str
    accept_terms_version: str = strawberry.field(
        description="The Terms of Service version the person accepted (see serverInfo)."
    )
    referral_code: str | None = None


@strawberry.input
class LoginInput:
    email: str
    password: str
    two_factor_code: str | None = strawberry.field(
        default=None, description="The authenticator's 6 digits, or a backup code."
    )


@strawberry.input
class CreateApiKeyInput:
    name: str
    permissions: list[ApiPermission]
    allow_list: list[str] = strawberry.field(
        default_factory=list, description="IPs or CIDR networks; empty = any address."
    )
    expires_at: datetime | None = None


@strawberry.type
class InvalidCredentialsError(UserError):
    pass


@strawberry.type
class TwoFactorRequiredError(UserError):
    pass


@strawberry.type
class EmailNotVerifiedError(UserError):
    pass


@strawberry.type
class InvalidTokenError(UserError):
    pass


@strawberry.type
class ValidationError(UserError):
    """Input that breaks a rule: weak password, malformed email, bad signature, ..."""


@strawberry.type
class StateError(UserError):
    """The account is not in a state that allows this (2FA already on, wallet taken, ...)."""


@strawberry.type
class NotFoundError(UserError):
    pass


AccountError: TypeAlias = (
    InvalidCredentialsError
    | TwoFactorRequiredError
    | EmailNotVerifiedError
    | InvalidTokenError
    | ValidationError
    | StateError
    | NotFoundError
    | RateLimitedError
    | NotAvailableError
    | InvalidRequestError
)

AcceptedResult = Annotated[Accepted | AccountError, strawberry.union("AcceptedResult")]
SignedInResult = Annotated[SignedIn | AccountError, strawberry.union("SignedInResult")]
TwoFactorSetupResult = Annotated[
    TwoFactorSetup | AccountError, strawberry.union("TwoFactorSetupResult")
]
BackupCodesResult = Annotated[BackupCodes | AccountError, strawberry.union("BackupCodesResult")]
DeletionResult = Annotated[DeletionScheduled | AccountError, strawberry.union("DeletionResult")]
WalletChallengeResult = Annotated[
    WalletChallenge | AccountError, strawberry.union("WalletChallengeResult")
]
AccountResult = Annotated[Account | AccountError, strawberry.union("AccountResult")]
CreateApiKeyResult = Annotated[CreatedApiKey | AccountError, strawberry.union("CreateApiKeyResult")]
ApiKeyResult = Annotated[ApiKey | AccountError, strawberry.union("ApiKeyResult")]
ProposalResult = Annotated[Proposal | AccountError, strawberry.union("ProposalResult")]
