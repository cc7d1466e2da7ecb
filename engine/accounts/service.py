"""Accounts: registration, email verification, login with 2FA, sessions, passwords, deletion.

Answers never tell whether an email is registered: register, resend and reset requests
return the same for both, and a login with an unknown email fails like a wrong password,
after spending the same Argon2 time.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from engine.accounts import mail, totp
from engine.accounts.apikeys import SealedSecretUnreadable, SecretBox, derive_key
from engine.accounts.compliance import CURRENT_TERMS_VERSION, KycTier, check_terms
from engine.accounts.emails import email_lookup_key, normalise_email
from engine.accounts.passwords import PasswordHasher, check_password_policy
from engine.accounts.ratelimit import RateLimiter
from engine.accounts.roles import Principal, Role, Unauthenticated, format_roles, parse_roles
from engine.accounts.store import AccountStore, moment
from engine.accounts.tokens import (
    ACCESS_TOKEN_LIFETIME,
    REFRESH_TOKEN_LIFETIME,
    AccessTokens,
    new_id,
    new_opaque_token,
    token_hash,
)
from engine.clock import Clock
from engine.errors import DomainError
from engine.store.database import Database, StoredRow
from engine.store.tables import (
    AccountRow,
    AccountTokenRow,
    ActivityRow,
    ApiKeyRow,
    AuthSessionRow,
    FundsMovementRow,
    RefreshTokenRow,
    WalletNonceRow,
)

VERIFICATION_LIFETIME = timedelta(hours=24)
RESET_LIFETIME = timedelta(hours=1)
DELETION_GRACE = timedelta(days=30)
MAX_REFERRAL_CODE = 16
MAX_DEVICE = 256
ACTIVITY_SHOWN = 200
DEMO_TIER = "BASIC"
NO_PASSWORD = "!"  # matches no password: Argon2 cannot parse it
# Sessions revoked within an access token's lifetime must be refused at once; older ones
# cannot present a live token any more.
REVOCATION_MEMORY = ACCESS_TOKEN_LIFETIME + timedelta(minutes=1)
REVOCATION_TOPIC = "accounts.sessions_revoked"


class InvalidCredentials(DomainError):
    code = "INVALID_CREDENTIALS"


class TwoFactorRequired(DomainError):
    code = "TWO_FACTOR_REQUIRED"


class InvalidTwoFactorCode(DomainError):
    code = "INVALID_TWO_FACTOR_CODE"


class EmailNotVerified(DomainError):
    code = "EMAIL_NOT_VERIFIED"


class InvalidToken(DomainError):
    code = "INVALID_TOKEN"


class LoginThrottled(DomainError):
    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TwoFactorState(DomainError):
    code = "TWO_FACTOR_STATE"


class AccountNotEmpty(DomainError):
    code = "ACCOUNT_NOT_EMPTY"


class AccountClosing(DomainError):
    code = "ACCOUNT_CLOSING"


@dataclass(frozen=True, slots=True)
class RequestMeta:
    ip: str = "unknown"
    user_agent: str = ""
    country: str | None = None


@dataclass(frozen=True, slots=True)
class SessionTokens:
    account_id: str
    session_id: str
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime


@dataclass(frozen=True, slots=True)
class TwoFactorSetup:
    secret: str
    otpauth_uri: str
    qr_code: str  # PNG data URL


@dataclass(frozen=True, slots=True)
class AccountsConfig:
    master_secret: str
    demo: bool = True
    public_url: str = "http://127.0.0.1:8000"
    terms_version: str = CURRENT_TERMS_VERSION
    totp_issuer: str = "GoDark"


# Whether the account still holds positions or money; the trading engine answers.
Holdings = Callable[[str], Awaitable[bool]]


class AccountService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        config: AccountsConfig,
        limiter: RateLimiter,
        announce: Callable[[str, dict[str, Any]], Awaitable[None]] | None = None,
    ) -> None:
        self.store = AccountStore(database)
        # Tells the other API processes that sessions ended (their revocation sets).
        self._announce = announce
        self.database = database
        self.clock = clock
        self.config = config
        self.limiter = limiter
        self.passwords = PasswordHasher()
        self.tokens = AccessTokens(derive_key(config.master_secret, "jwt"))
        self._totp_box = SecretBox(derive_key(config.master_secret, "totp-secret"))
        self._backup_key = derive_key(config.master_secret, "backup-codes")
        self._lookup_key = derive_key(config.master_secret, "email-lookup")
        self._totp = totp.TotpVerifier()
        self._revoked: dict[str, datetime] = {}

    async def start(self) -> None:
        """Remember the sessions revoked recently enough that a live token might name them."""
        since = self.clock.now() - REVOCATION_MEMORY
        for row in await self.store.many(AuthSessionRow, limit=100_000):
            revoked = moment(row.revoked_at)
            if revoked is not None and revoked >= since:
                self._revoked[row.id] = revoked

    # --- registration and verification ---------------------------------------------------

    async def register(
        self,
        email: str,
        password: str,
        *,
        accepted_terms: str | None,
        referral_code: str | None,
        meta: RequestMeta,
    ) -> None:
        """Create the account and mail a verification link; silent when the email is taken."""
        address = normalise_email(email)
        check_password_policy(password, email=address)
        check_terms(accepted_terms, self.config.terms_version)
        password_hash = await self.passwords.hash_async(password)
        referrer = await self._referrer(referral_code)
        now = self.clock.now()
        account_id = new_id("acc")
        try:
            async with self.database.transaction() as connection:
                await AccountStore.insert(
                    connection,
                    AccountRow,
                    id=account_id,
                    email=address,
                    password_hash=password_hash,
                    status="ACTIVE",
                    roles=format_roles([Role.USER]),
                    tier="FREE",
                    kyc_tier=KycTier.NONE.value,
                    terms_version=self.config.terms_version,
                    referral_code=_referral_code(),
                    referred_by=referrer,
                    totp_enabled=False,
                    backup_codes="",
                    created_at=now,
                )
                await self._activity(connection, account_id, "REGISTERED", meta, now)
                await self._mail_verification(connection, account_id, address, now)
        except IntegrityError:
            await self._mail_existing_owner(address, now)

    async def open_demo_account(self, meta: RequestMeta) -> SessionTokens:
        """A verified account for "try the demo": no email of anyone's, signed in at once."""
        now = self.clock.now()
        account_id = new_id("acc")
        async with self.database.transaction() as connection:
            await AccountStore.insert(
                connection,
                AccountRow,
                id=account_id,
                email=f"{account_id}@demo.godark.invalid",
                # No password until the visitor sets one (changePassword with current "").
                password_hash=NO_PASSWORD,
                status="ACTIVE",
                roles=format_roles([Role.USER]),
                # A trial should feel like the product: the BASIC tier's order rates.
                tier=DEMO_TIER,
                kyc_tier=KycTier.NONE.value,
                terms_version=self.config.terms_version,
                referral_code=_referral_code(),
                email_verified_at=now,
                totp_enabled=False,
                backup_codes="",
                created_at=now,
            )
            await self._activity(connection, account_id, "DEMO_OPENED", meta, now)
        return await self._open_session(account_id, meta)

    async def verify_email(self, token: str) -> str:
        account_id = await self._use_token(token, "VERIFY_EMAIL")
        async with self.database.transaction() as connection:
            await AccountStore.update(
                connection,
                AccountRow,
                {"id": account_id},
                only_if_null="email_verified_at",
                email_verified_at=self.clock.now(),
            )
            await self._activity(connection, account_id, "EMAIL_VERIFIED", RequestMeta(), None)
        return account_id

    async def resend_verification(self, email: str) -> None:
        address = normalise_email(email)
        account = await self.store.one(AccountRow, email=address)
        if account is None or account.email_verified_at is not None:
            return
        async with self.database.transaction() as connection:
            await self._mail_verification(connection, account.id, address, self.clock.now())

    # --- login and sessions ----------------------------------------------------------------

    async def login(
        self, email: str, password: str, *, two_factor_code: str | None, meta: RequestMeta
    ) -> SessionTokens:
        try:
            address = normalise_email(email)
        except DomainError:
            address = email.strip().lower()[:254]
        throttle_key = email_lookup_key(address, self._lookup_key)
        decision = await self.limiter.login_allowed(throttle_key, meta.ip)
        if not decision.allowed:
            raise LoginThrottled(
                "too many failed logins; wait before trying again", decision.retry_after
            )
        account = await self.store.one(AccountRow, email=address)
        if account is None or account.status == "ERASED":
            await self.passwords.dummy_verify_async(password)
            await self.limiter.record_login_failure(throttle_key, meta.ip)
            raise InvalidCredentials("the email or the password is wrong")
        if not await self.passwords.verify_async(account.password_hash, password):
            await self.limiter.record_login_failure(throttle_key, meta.ip)
            await self._log(account.id, "LOGIN_FAILED", meta, "wrong password")
            raise InvalidCredentials("the email or the password is wrong")
        if account.totp_enabled:
            if not two_factor_code:
                raise TwoFactorRequired("enter the code from your authenticator app")
            if not await self._second_factor(account, two_factor_code):
                await self.limiter.record_login_failure(throttle_key, meta.ip)
                await self._log(account.id, "LOGIN_FAILED", meta, "wrong 2FA code")
                raise InvalidTwoFactorCode("the two-factor code is wrong or already used")
        if account.email_verified_at is None:
            raise EmailNotVerified("confirm your email first: follow the link we sent")
        await self.limiter.record_login_success(throttle_key)
        if self.passwords.needs_rehash(account.password_hash):
            await self._set_password_hash(account.id, password)
        return await self._open_session(account.id, meta)

    async def refresh(self, refresh_token: str, meta: RequestMeta) -> SessionTokens:
        """Trade a refresh token for new tokens; a reused one revokes its whole session."""
        hashed = token_hash(refresh_token)
        row = await self.store.one(RefreshTokenRow, token_hash=hashed)
        if row is None:
            raise InvalidToken("the refresh token is not valid")
        session = await self.store.one(AuthSessionRow, id=row.session_id)
        now = self.clock.now()
        if session is None or session.revoked_at is not None:
            raise InvalidToken("the session has ended; log in again")
        expires = moment(session.expires_at)
        if expires is not None and expires <= now:
            raise InvalidToken("the session has expired; log in again")
        async with self.database.transaction() as connection:
            claimed = await AccountStore.update(
                connection,
                RefreshTokenRow,
                {"token_hash": hashed},
                only_if_null="used_at",
                used_at=now,
            )
            if not claimed:
                await self._revoke(connection, [session.id], "REFRESH_REUSED", now)
                await self._activity(
                    connection, session.account_id, "REFRESH_REUSE_DETECTED", meta, now
                )
        if not claimed:
            raise InvalidToken("this refresh token was already used; the session is revoked")
        return await self._issue(session.account_id, session.id, now, meta=meta)

    async def logout(self, principal: Principal) -> None:
        if principal.session_id is None:
            return
        async with self.database.transaction() as connection:
            await self._revoke(connection, [principal.session_id], "LOGOUT", self.clock.now())

    async def logout_everywhere(self, account_id: str, meta: RequestMeta) -> int:
        now = self.clock.now()
        async with self.database.transaction() as connection:
            count = await self._revoke_all(connection, account_id, "LOGOUT_EVERYWHERE", now)
            await self._activity(connection, account_id, "LOGOUT_EVERYWHERE", meta, now)
        return count

    async def sessions(self, account_id: str) -> list[StoredRow]:
        now = self.clock.now()
        rows = await self.store.many(
            AuthSessionRow, account_id=account_id, newest_first="last_used_at"
        )
        return [r for r in rows if r.revoked_at is None and (moment(r.expires_at) or now) > now]

    def authenticate_access_token(self, token: str) -> Principal:
        claims = self.tokens.verify(token, at=self.clock.now())
        if claims.session_id in self._revoked:
            raise Unauthenticated("the session has ended; log in again")
        return Principal(
            account_id=claims.account_id,
            roles=parse_roles(claims.roles),
            tier=claims.tier,
            session_id=claims.session_id,
            terms_version=claims.terms,
        )

    # --- two-factor authentication --------------------------------------------------------

    async def begin_two_factor(self, account_id: str) -> TwoFactorSetup:
        account = await self._account(account_id)
        if account.totp_enabled:
            raise TwoFactorState("two-factor authentication is already on")
        secret = totp.new_totp_secret()
        sealed = self._totp_box.seal(secret, associated_data=account_id.encode()).hex()
        async with self.database.transaction() as connection:
            await AccountStore.update(
                connection, AccountRow, {"id": account_id}, totp_secret=sealed
            )
        uri = totp.provisioning_uri(secret, account.email, issuer=self.config.totp_issuer)
        return TwoFactorSetup(secret=secret, otpauth_uri=uri, qr_code=totp.qr_png_data_url(uri))

    async def confirm_two_factor(self, account_id: str, code: str, meta: RequestMeta) -> list[str]:
        """Turn 2FA on with a first code; returns the ten backup codes, shown this once."""
        account = await self._account(account_id)
        if account.totp_enabled:
            raise TwoFactorState("two-factor authentication is already on")
        secret = self._totp_secret(account)
        if secret is None:
            raise TwoFactorState("start the two-factor setup first")
        step = self._totp.verify(secret, code, self.clock.now(), None)
        if step is None:
            raise InvalidTwoFactorCode("the code is wrong; check the time on your phone")
        codes = totp.new_backup_codes()
        hashes = ",".join(totp.hash_backup_code(c, self._backup_key) for c in codes)
        now = self.clock.now()
        async with self.database.transaction() as connection:
            await AccountStore.update(
                connection,
                AccountRow,
                {"id": account_id},
                totp_enabled=True,
                totp_last_step=step,
                backup_codes=hashes,
            )
            await self._activity(connection, account_id, "TWO_FACTOR_ENABLED", meta, now)
        return codes

    async def disable_two_factor(
        self, account_id: str, password: str, code: str, meta: RequestMeta
    ) -> None:
        account = await self.check_password_and_code(account_id, password, code)
        if not account.totp_enabled:
            raise TwoFactorState("two-factor authentication is not on")
        now = self.clock.now()
        async with self.database.transaction() as connection:
            await AccountStore.update(
                connection,
                AccountRow,
                {"id": account_id},
                totp_enabled=False,
                totp_secret=None,
                totp_last_step=None,
                backup_codes="",
            )
            await self._activity(connection, account_id, "TWO_FACTOR_DISABLED", meta, now)

    async def check_password_and_code(
        self, account_id: str, password: str, code: str | None
    ) -> StoredRow:
        """Re-authentication for sensitive changes: the password, and the 2FA code when on."""
        account = await self._account(account_id)
        if not await self.passwords.verify_async(account.password_hash, password):
            raise InvalidCredentials("the password is wrong")
        if account.totp_enabled and not (code and await self._second_factor(account, code)):
            raise InvalidTwoFactorCode("the two-factor code is wrong or already used")
        return account

    # --- passwords --------------------------------------------------------------------------

    async def change_password(
        self, principal: Principal, current: str, new: str, meta: RequestMeta
    ) -> None:
        account = await self._account(principal.account_id)
        first_password = account.password_hash == NO_PASSWORD and current == ""
        if not first_password and not await self.passwords.verify_async(
            account.password_hash, current
        ):
            raise InvalidCredentials("the current password is wrong")
        check_password_policy(new, email=account.email)
        await self._set_password_hash(account.id, new)
        now = self.clock.now()
        async with self.database.transaction() as connection:
            # Every other device must log in again with the new password.
            sessions = await self.store.many(AuthSessionRow, account_id=account.id)
            others = [
                s.id for s in sessions if s.id != principal.session_id and s.revoked_at is None
            ]
            await self._revoke(connection, others, "PASSWORD_CHANGED", now)
            await self._activity(connection, account.id, "PASSWORD_CHANGED", meta, now)

    async def request_password_reset(self, email: str) -> None:
        address = normalise_email(email)
        account = await self.store.one(AccountRow, email=address)
        if account is None or account.status == "ERASED":
            return
        now = self.clock.now()
        token = new_opaque_token()
        async with self.database.transaction() as connection:
            await self._store_token(connection, account.id, token, "RESET_PASSWORD", now)
            await mail.enqueue(
                connection,
                recipient=address,
                subject="Reset your GoDark password",
                body=(
                    "Someone asked to reset the password of your GoDark account. If it was "
                    "you, choose a new one here within the hour:\n\n"
                    f"{self.config.public_url}/reset-password?token={token}\n\n"
                    "If it was not you, ignore this message: your password stays as it is."
                ),
                at=now,
            )

    async def reset_password(self, token: str, new: str, meta: RequestMeta) -> None:
        hashed = token_hash(token)
        row = await self.store.one(AccountTokenRow, token_hash=hashed, purpose="RESET_PASSWORD")
        if row is None:
            raise InvalidToken("the reset link is not valid")
        account = await self._account(row.account_id)
        check_password_policy(new, email=account.email)
        await self._use_token(token, "RESET_PASSWORD")
        await self._set_password_hash(account.id, new)
        now = self.clock.now()
        async with self.database.transaction() as connection:
            await self._revoke_all(connection, account.id, "PASSWORD_RESET", now)
            await self._activity(connection, account.id, "PASSWORD_RESET", meta, now)

    # --- deletion, activity, export ----------------------------------------------------------

    async def request_deletion(
        self,
        account_id: str,
        password: str,
        code: str | None,
        holdings: Holdings,
        meta: RequestMeta,
    ) -> datetime:
        await self.check_password_and_code(account_id, password, code)
        if await holdings(account_id):
            raise AccountNotEmpty(
                "close your positions and withdraw your balance before deleting the account"
            )
        now = self.clock.now()
        erase_after = now + DELETION_GRACE
        async with self.database.transaction() as connection:
            await AccountStore.update(
                connection,
                AccountRow,
                {"id": account_id},
                status="DELETION_PENDING",
                deletion_requested_at=now,
                erase_after=erase_after,
            )
            await self._activity(connection, account_id, "DELETION_REQUESTED", meta, now)
            await self._revoke_all(connection, account_id, "ACCOUNT_DELETION", now)
        return erase_after

    async def cancel_deletion(self, account_id: str, meta: RequestMeta) -> None:
        async with self.database.transaction() as connection:
            await AccountStore.update(
                connection,
                AccountRow,
                {"id": account_id, "status": "DELETION_PENDING"},
                status="ACTIVE",
                deletion_requested_at=None,
                erase_after=None,
            )
            await self._activity(connection, account_id, "DELETION_CANCELLED", meta, None)

    async def erase_due_accounts(self) -> int:
        """Erase personal data of accounts whose grace period is over; trades keep the id."""
        now = self.clock.now()
        erased = 0
        for account in await self.store.many(AccountRow, status="DELETION_PENDING"):
            due = moment(account.erase_after)
            if due is None or due > now:
                continue
            async with self.database.transaction() as connection:
                await AccountStore.update(
                    connection,
                    AccountRow,
                    {"id": account.id},
                    status="ERASED",
                    email=f"erased:{account.id}",
                    password_hash=NO_PASSWORD,
                    totp_secret=None,
                    totp_enabled=False,
                    backup_codes="",
                    wallet_address=None,
                )
                await AccountStore.update(
                    connection, ActivityRow, {"account_id": account.id}, ip="", user_agent=""
                )
            erased += 1
        return erased

    async def activity(self, account_id: str) -> list[StoredRow]:
        return list(
            await self.store.many(
                ActivityRow, account_id=account_id, newest_first="id", limit=ACTIVITY_SHOWN
            )
        )

    async def export(self, account_id: str, trading: dict[str, Any]) -> dict[str, Any]:
        """Everything we hold about the account, as one JSON document (GDPR art. 15 and 20)."""
        account = await self._account(account_id)
        document = {
            "account": {
                "id": account.id,
                "email": account.email,
                "status": account.status,
                "roles": account.roles,
                "tier": account.tier,
                "kycTier": account.kyc_tier,
                "termsVersion": account.terms_version,
                "referralCode": account.referral_code,
                "referredBy": account.referred_by,
                "emailVerifiedAt": _iso(account.email_verified_at),
                "twoFactorEnabled": account.totp_enabled,
                "walletAddress": account.wallet_address,
                "walletLinkedAt": _iso(account.wallet_linked_at),
                "createdAt": _iso(account.created_at),
            },
            "sessions": [
                {
                    "id": s.id,
                    "device": s.device,
                    "ip": s.ip,
                    "createdAt": _iso(s.created_at),
                    "lastUsedAt": _iso(s.last_used_at),
                    "revokedAt": _iso(s.revoked_at),
                }
                for s in await self.store.many(AuthSessionRow, account_id=account_id)
            ],
            "activity": [
                {
                    "kind": a.kind,
                    "ip": a.ip,
                    "userAgent": a.user_agent,
                    "detail": a.detail,
                    "at": _iso(a.at),
                }
                for a in await self.store.many(ActivityRow, account_id=account_id, limit=10_000)
            ],
            "apiKeys": [
                {
                    "id": k.id,
                    "name": k.name,
                    "permissions": k.permissions,
                    "allowList": k.allow_list,
                    "createdAt": _iso(k.created_at),
                    "revokedAt": _iso(k.revoked_at),
                }
                for k in await self.store.many(ApiKeyRow, account_id=account_id)
            ],
            "walletChallenges": [
                {"address": n.address, "expiresAt": _iso(n.expires_at)}
                for n in await self.store.many(WalletNonceRow, account_id=account_id)
            ],
            "fundsMovements": [
                {"kind": m.kind, "amount": str(m.amount), "at": _iso(m.at)}
                for m in await self.store.many(FundsMovementRow, account_id=account_id)
            ],
            "trading": trading,
        }
        return document

    async def accept_terms(
        self, principal: Principal, version: str, meta: RequestMeta
    ) -> SessionTokens | None:
        """Record the acceptance; a session gets tokens that carry it (keys reload it)."""
        check_terms(version, self.config.terms_version)
        async with self.database.transaction() as connection:
            await AccountStore.update(
                connection, AccountRow, {"id": principal.account_id}, terms_version=version
            )
            await self._activity(
                connection, principal.account_id, "TERMS_ACCEPTED", meta, None, version
            )
        if principal.session_id is None:
            return None
        return await self._issue(
            principal.account_id, principal.session_id, self.clock.now(), meta=None
        )

    async def account(self, account_id: str) -> StoredRow:
        return await self._account(account_id)

    async def log_event(
        self, account_id: str, kind: str, meta: RequestMeta, detail: str = ""
    ) -> None:
        await self._log(account_id, kind, meta, detail)

    # --- internals -------------------------------------------------------------------------

    async def _account(self, account_id: str) -> StoredRow:
        account = await self.store.one(AccountRow, id=account_id)
        if account is None or account.status == "ERASED":
            raise Unauthenticated("the account no longer exists")
        return account

    async def _open_session(self, account_id: str, meta: RequestMeta) -> SessionTokens:
        now = self.clock.now()
        session_id = new_id("ses")
        async with self.database.transaction() as connection:
            await AccountStore.insert(
                connection,
                AuthSessionRow,
                id=session_id,
                account_id=account_id,
                device=meta.user_agent[:MAX_DEVICE],
                ip=meta.ip[:64],
                created_at=now,
                last_used_at=now,
                expires_at=now + REFRESH_TOKEN_LIFETIME,
            )
            await self._activity(connection, account_id, "LOGIN", meta, now)
        return await self._issue(account_id, session_id, now, meta=None)

    async def _issue(
        self, account_id: str, session_id: str, now: datetime, *, meta: RequestMeta | None
    ) -> SessionTokens:
        account = await self._account(account_id)
        refresh = new_opaque_token()
        async with self.database.transaction() as connection:
            await AccountStore.insert(
                connection,
                RefreshTokenRow,
                token_hash=token_hash(refresh),
                session_id=session_id,
                issued_at=now,
            )
            # A refresh extends the session's life; a login starts it.
            changes: dict[str, Any] = {"last_used_at": now}
            if meta is not None:
                changes["expires_at"] = now + REFRESH_TOKEN_LIFETIME
                changes["ip"] = meta.ip[:64]
            await AccountStore.update(connection, AuthSessionRow, {"id": session_id}, **changes)
        access = self.tokens.issue(
            account_id=account_id,
            session_id=session_id,
            roles=account.roles,
            tier=account.tier,
            at=now,
            terms=account.terms_version,
        )
        return SessionTokens(
            account_id=account_id,
            session_id=session_id,
            access_token=access,
            access_expires_at=now + ACCESS_TOKEN_LIFETIME,
            refresh_token=refresh,
            refresh_expires_at=now + REFRESH_TOKEN_LIFETIME,
        )

    async def _revoke(
        self, connection: Any, session_ids: list[str], reason: str, now: datetime
    ) -> None:
        for session_id in session_ids:
            await AccountStore.update(
                connection,
                AuthSessionRow,
                {"id": session_id},
                only_if_null="revoked_at",
                revoked_at=now,
                revoked_reason=reason,
            )
            self._revoked[session_id] = now
            if self._announce is not None:
                await self._announce(
                    REVOCATION_TOPIC, {"session_id": session_id, "at": now.isoformat()}
                )
        self._forget_old_revocations(now)

    def remember_revocation(self, session_id: str, at: datetime) -> None:
        """A session another process ended: refuse its access tokens here too."""
        self._revoked[session_id] = at
        self._forget_old_revocations(self.clock.now())

    async def _revoke_all(
        self, connection: Any, account_id: str, reason: str, now: datetime
    ) -> int:
        sessions = await self.store.many(AuthSessionRow, account_id=account_id, limit=10_000)
        live = [s.id for s in sessions if s.revoked_at is None]
        await self._revoke(connection, live, reason, now)
        return len(live)

    def _forget_old_revocations(self, now: datetime) -> None:
        cutoff = now - REVOCATION_MEMORY
        for session_id in [s for s, at in self._revoked.items() if at < cutoff]:
            del self._revoked[session_id]

    async def _second_factor(self, account: StoredRow, code: str) -> bool:
        """A TOTP code (never the same step twice) or an unused backup code (then spent)."""
        secret = self._totp_secret(account)
        if secret is None:
            return False
        cleaned = code.strip()
        if cleaned.isdigit():
            step = self._totp.verify(secret, cleaned, self.clock.now(), account.totp_last_step)
            if step is None:
                return False
            async with self.database.transaction() as connection:
                return bool(
                    await AccountStore.update(
                        connection,
                        AccountRow,
                        {"id": account.id, "totp_last_step": account.totp_last_step},
                        totp_last_step=step,
                    )
                )
        hashes = account.backup_codes.split(",") if account.backup_codes else []
        index = totp.match_backup_code(cleaned, self._backup_key, hashes)
        if index is None:
            return False
        remaining = list(hashes)
        remaining[index] = ""
        async with self.database.transaction() as connection:
            return bool(
                await AccountStore.update(
                    connection,
                    AccountRow,
                    {"id": account.id, "backup_codes": account.backup_codes},
                    backup_codes=",".join(remaining),
                )
            )

    def _totp_secret(self, account: StoredRow) -> str | None:
        if not account.totp_secret:
            return None
        try:
            return self._totp_box.open(
                bytes.fromhex(account.totp_secret), associated_data=account.id.encode()
            )
        except (SealedSecretUnreadable, ValueError):
            return None

    async def _set_password_hash(self, account_id: str, password: str) -> None:
        hashed = await self.passwords.hash_async(password)
        async with self.database.transaction() as connection:
            await AccountStore.update(
                connection, AccountRow, {"id": account_id}, password_hash=hashed
            )

    async def _referrer(self, referral_code: str | None) -> str | None:
        if not referral_code:
            return None
        code = referral_code.strip().upper()[:MAX_REFERRAL_CODE]
        row = await self.store.one(AccountRow, referral_code=code)
        return None if row is None else str(row.id)

    async def _mail_verification(
        self, connection: Any, account_id: str, address: str, now: datetime
    ) -> None:
        token = new_opaque_token()
        await self._store_token(connection, account_id, token, "VERIFY_EMAIL", now)
        await mail.enqueue(
            connection,
            recipient=address,
            subject="Confirm your GoDark email",
            body=(
                "Welcome to GoDark. Confirm this address within 24 hours to start trading:\n\n"
                f"{self.config.public_url}/verify-email?token={token}\n\n"
                "If you did not register, ignore this message."
            ),
            at=now,
        )

    async def _mail_existing_owner(self, address: str, now: datetime) -> None:
        async with self.database.transaction() as connection:
            await mail.enqueue(
                connection,
                recipient=address,
                subject="Someone tried to register with your email",
                body=(
                    "Someone tried to open a GoDark account with this address, which already "
                    "has one. If it was you, log in instead, or reset your password at:\n\n"
                    f"{self.config.public_url}/forgot-password"
                ),
                at=now,
            )

    async def _store_token(
        self, connection: Any, account_id: str, token: str, purpose: str, now: datetime
    ) -> None:
        lifetime = VERIFICATION_LIFETIME if purpose == "VERIFY_EMAIL" else RESET_LIFETIME
        await AccountStore.insert(
            connection,
            AccountTokenRow,
            token_hash=token_hash(token),
            account_id=account_id,
            purpose=purpose,
            expires_at=now + lifetime,
        )

    async def _use_token(self, token: str, purpose: str) -> str:
        """Spend a single-use emailed token; returns its account."""
        hashed = token_hash(token[:200])
        row = await self.store.one(AccountTokenRow, token_hash=hashed, purpose=purpose)
        now = self.clock.now()
        expires = None if row is None else moment(row.expires_at)
        if row is None or row.used_at is not None or expires is None or expires <= now:
            raise InvalidToken("the link is not valid, already used or expired")
        async with self.database.transaction() as connection:
            spent = await AccountStore.update(
                connection,
                AccountTokenRow,
                {"token_hash": hashed},
                only_if_null="used_at",
                used_at=now,
            )
        if not spent:
            raise InvalidToken("the link is not valid, already used or expired")
        return str(row.account_id)

    async def _log(self, account_id: str, kind: str, meta: RequestMeta, detail: str) -> None:
        async with self.database.transaction() as connection:
            await self._activity(connection, account_id, kind, meta, None, detail)

    async def _activity(
        self,
        connection: Any,
        account_id: str,
        kind: str,
        meta: RequestMeta,
        at: datetime | None,
        detail: str = "",
    ) -> None:
        await AccountStore.insert(
            connection,
            ActivityRow,
            account_id=account_id,
            kind=kind,
            ip=meta.ip[:64],
            user_agent=meta.user_agent[:256],
            detail=detail[:500],
            at=at if at is not None else self.clock.now(),
        )


def _referral_code() -> str:
    return secrets.token_hex(4).upper()


def _iso(value: Any) -> str | None:
    at = moment(value)
    return None if at is None else at.isoformat()
