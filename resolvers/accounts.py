"""Sign-up, sign-in, sessions, two-factor, wallets, API keys, activity and data export."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal as PyDecimal
from typing import Any, TypeVar

from strawberry.scalars import JSON

from engine.accounts.emails import normalise_email
from engine.accounts.referrals import REFERRAL_FEE_SHARE_BPS, REFERRAL_PERIOD
from engine.accounts.roles import Action, Role
from engine.accounts.service import LoginThrottled, SessionTokens
from engine.accounts.store import moment
from engine.errors import DomainError
from engine.ledger import USDT, format_units
from engine.store.database import StoredRow
from engine.store.tables import MailOutboxRow
from engine.trading.sequencer import SequencerStopped
from resolvers.context import Info
from resolvers.ledger import balances_of, funds_of
from schema import accounts as schema
from schema.errors import NotAvailableError, RateLimitedError, UserError
from schema.scalars import Decimal

T = TypeVar("T")

_ERRORS: dict[str, type[UserError]] = {
    "INVALID_CREDENTIALS": schema.InvalidCredentialsError,
    "TWO_FACTOR_REQUIRED": schema.TwoFactorRequiredError,
    "INVALID_TWO_FACTOR_CODE": schema.InvalidCredentialsError,
    "EMAIL_NOT_VERIFIED": schema.EmailNotVerifiedError,
    "INVALID_TOKEN": schema.InvalidTokenError,
    "INVALID_NONCE": schema.InvalidTokenError,
    "NOT_FOUND": schema.NotFoundError,
    "TWO_FACTOR_STATE": schema.StateError,
    "ACCOUNT_NOT_EMPTY": schema.StateError,
    "WALLET_STATE": schema.StateError,
    "WALLET_TAKEN": schema.StateError,
    "TOO_MANY_KEYS": schema.StateError,
    "NOT_AVAILABLE": NotAvailableError,
}
# Everything else a user can fix by changing the input.
_DEFAULT_ERROR = schema.ValidationError


def error_of(refusal: DomainError) -> UserError:
    if isinstance(refusal, LoginThrottled):
        return RateLimitedError(
            code=refusal.code, message=refusal.message, retry_after=refusal.retry_after
        )
    error_type = _ERRORS.get(refusal.code, _DEFAULT_ERROR)
    return error_type(code=refusal.code, message=refusal.message)


async def _attempt(action: Awaitable[T]) -> T | UserError:
    try:
        return await action
    except DomainError as refusal:
        return error_of(refusal)


def _accepted(message: str) -> Callable[[Any], schema.Accepted]:
    return lambda _result: schema.Accepted(message=message)


async def _answer(action: Awaitable[T], build: Callable[[T], Any]) -> Any:
    result = await _attempt(action)
    return result if isinstance(result, UserError) else build(result)


# --- sign-up and sign-in --------------------------------------------------------------------


async def register(info: Info, input: schema.RegisterInput) -> schema.AcceptedResult:
    accounts = info.context.venue.accounts
    return await _answer(  # type: ignore[no-any-return]
        accounts.register(
            input.email,
            input.password,
            accepted_terms=input.accept_terms_version,
            referral_code=input.referral_code,
            meta=info.context.meta,
        ),
        _accepted("check your inbox: we sent a link to confirm the address"),
    )


async def verify_email(info: Info, token: str) -> schema.AcceptedResult:
    return await _answer(  # type: ignore[no-any-return]
        info.context.venue.accounts.verify_email(token),
        _accepted("your email is confirmed; you can log in"),
    )


async def resend_verification(info: Info, email: str) -> schema.AcceptedResult:
    return await _answer(  # type: ignore[no-any-return]
        info.context.venue.accounts.resend_verification(email),
        _accepted("if the address has an unconfirmed account, a new link is on its way"),
    )


async def login(info: Info, input: schema.LoginInput) -> schema.SignedInResult:
    accounts = info.context.venue.accounts
    result = await _attempt(
        accounts.login(
            input.email,
            input.password,
            two_factor_code=input.two_factor_code,
            meta=info.context.meta,
        )
    )
    return result if isinstance(result, UserError) else await _signed_in(info, result)  # type: ignore[return-value]


async def refresh_session(info: Info, refresh_token: str) -> schema.SignedInResult:
    result = await _attempt(
        info.context.venue.accounts.refresh(refresh_token[:200], info.context.meta)
    )
    return result if isinstance(result, UserError) else await _signed_in(info, result)  # type: ignore[return-value]


async def open_demo_account(info: Info) -> schema.SignedInResult:
    """Demo mode: a fresh account with test USDT, signed in at once."""
    venue = info.context.venue
    if not venue.config.demo_mode:
        return NotAvailableError(
            code="NOT_AVAILABLE", message="demo accounts exist in demo mode only"
        )
    tokens = await venue.accounts.open_demo_account(info.context.meta)
    # A wallet with 10,000 USDT minted on chain, authorised to the vault and deposited: the
    # ledger shows the same 10,000 (the faucet's daily allowance is then used up).
    try:
        await venue.settlement.vaults.fund_demo(tokens.account_id)
    except SequencerStopped:  # the engine's queue timed out: nothing was deposited
        return _demo_not_funded("ENGINE_UNAVAILABLE")
    except DomainError as refusal:  # e.g. ENGINE_UNAVAILABLE from another process's engine
        return _demo_not_funded(refusal.code)
    return await _signed_in(info, tokens)


def _demo_not_funded(code: str) -> NotAvailableError:
    # The unfunded account is left unused: a retry opens (and funds) a fresh one.
    return NotAvailableError(
        code=code, message="the demo account could not be funded just now; try again"
    )


async def accept_terms(info: Info, version: str) -> schema.SignedInResult:
    """Accept the current Terms of Service; a session gets new tokens that carry it."""
    principal = info.context.require(Action.MANAGE_ACCOUNT)
    venue = info.context.venue
    result = await _attempt(venue.accounts.accept_terms(principal, version[:16], info.context.meta))
    if isinstance(result, UserError):
        return result  # type: ignore[return-value]
    venue.keys.forget_account(principal.account_id)
    assert result is not None  # a MANAGE_ACCOUNT principal is a session
    return await _signed_in(info, result)


async def logout(info: Info) -> schema.Accepted:
    principal = info.context.require(Action.READ)
    await info.context.venue.accounts.logout(principal)
    return schema.Accepted(message="signed out")


async def logout_everywhere(info: Info) -> schema.Accepted:
    principal = info.context.require(Action.MANAGE_ACCOUNT)
    count = await info.context.venue.accounts.logout_everywhere(
        principal.account_id, info.context.meta
    )
    return schema.Accepted(message=f"{count} sessions ended")


# --- the signed-in account ---------------------------------------------------------------------


async def me(info: Info) -> schema.Account | None:
    principal = info.context.principal
    if principal is None:
        return None
    info.context.require(Action.READ)
    return await _account(info, principal.account_id)


async def my_referrals(info: Info) -> schema.ReferralStats:
    principal = info.context.require(Action.READ)
    venue = info.context.venue
    row = await venue.accounts.account(principal.account_id)
    summary = await venue.referrals.summary(principal.account_id, row.referral_code)
    return schema.ReferralStats(
        code=summary.referral_code,
        link=f"{venue.accounts.config.public_url}/register?ref={summary.referral_code}",
        sign_ups=summary.sign_ups,
        active_referees=summary.active_referees,
        referee_volume=_usdt(summary.referee_volume),
        referee_trades=summary.referee_trades,
        rewards_paid=_usdt(summary.rewards_paid),
        rewards_pending=_usdt(summary.rewards_pending),
        fee_share_percent=Decimal(PyDecimal(REFERRAL_FEE_SHARE_BPS) / 100),
        reward_period_days=REFERRAL_PERIOD.days,
    )


def _usdt(units: int) -> Decimal:
    return Decimal(PyDecimal(format_units(units, USDT)))


async def sessions(info: Info) -> list[schema.AuthSession]:
    principal = info.context.require(Action.MANAGE_ACCOUNT)
    rows = await info.context.venue.accounts.sessions(principal.account_id)
    return [
        schema.AuthSession(
            id=row.id,
            device=row.device,
            ip=row.ip,
            created_at=_at(row.created_at),
            last_used_at=_at(row.last_used_at),
            current=row.id == principal.session_id,
        )
        for row in rows
    ]


async def activity(info: Info) -> list[schema.ActivityEntry]:
    principal = info.context.require(Action.READ)
    return [
        schema.ActivityEntry(
            kind=row.kind, ip=row.ip, user_agent=row.user_agent, detail=row.detail, at=_at(row.at)
        )
        for row in await info.context.venue.accounts.activity(principal.account_id)
    ]


async def export_my_data(info: Info) -> JSON:
    principal = info.context.require(Action.MANAGE_ACCOUNT)
    venue = info.context.venue
    account = principal.account_id
    trading = {
        "positions": [
            {"symbol": p.symbol, "size": str(p.size), "entryPrice": str(p.entry_price)}
            for p in venue.exchange.positions_of(account)
        ],
        "openOrders": [
            {"orderId": o.order_id, "symbol": o.symbol, "status": o.status}
            for o in venue.exchange.open_orders(account)
        ],
        "fills": [
            {
                "orderId": f.order_id,
                "symbol": f.symbol,
                "side": f.side.value,
                "price": str(f.price),
                "size": str(f.size),
                "fee": str(f.fee),
                "at": f.at.isoformat(),
            }
            for f in venue.exchange.fills_of.get(account, ())
        ],
        "balances": [
            {"asset": b.asset, "available": str(b.available), "locked": str(b.locked)}
            for b in balances_of(info, account)
        ],
    }
    document: JSON = await venue.accounts.export(account, trading)  # type: ignore[assignment]
    return document


async def change_password(
    info: Info, current_password: str, new_password: str
) -> schema.AcceptedResult:
    principal = info.context.require(Action.MANAGE_ACCOUNT)
    return await _answer(  # type: ignore[no-any-return]
        info.context.venue.accounts.change_password(
            principal, current_password, new_password, info.context.meta
        ),
        _accepted("password changed; your other sessions were signed out"),
    )


async def request_password_reset(info: Info, email: str) -> schema.AcceptedResult:
    return await _answer(  # type: ignore[no-any-return]
        info.context.venue.accounts.request_password_reset(email),
        _accepted("if the address has an account, a reset link is on its way"),
    )


async def reset_password(info: Info, token: str, new_password: str) -> schema.AcceptedResult:
    return await _answer(  # type: ignore[no-any-return]
        info.context.venue.accounts.reset_password(token, new_password, info.context.meta),
        _accepted("password reset; every session was signed out, log in again"),
    )


async def delete_account(
    info: Info, password: str, two_factor_code: str | None = None
) -> schema.DeletionResult:
    principal = info.context.require(Action.MANAGE_ACCOUNT)
    return await _answer(  # type: ignore[no-any-return]
        info.context.venue.accounts.request_deletion(
            principal.account_id,
            password,
            two_factor_code,
            _holdings_check(info),
            info.context.meta,
        ),
        lambda erase_after: schema.DeletionScheduled(erase_after=erase_after),
    )


async def cancel_account_deletion(info: Info) -> schema.AcceptedResult:
    principal = info.context.require(Action.MANAGE_ACCOUNT)
    await info.context.venue.accounts.cancel_deletion(principal.account_id, info.context.meta)
    return schema.Accepted(message="the deletion is cancelled")


# --- two-factor ---------------------------------------------------------------------------------


async def begin_two_factor_setup(info: Info) -> schema.TwoFactorSetupResult:
    principal = info.context.require(Action.MANAGE_ACCOUNT)
    return await _answer(  # type: ignore[no-any-return]
        info.context.venue.accounts.begin_two_factor(principal.account_id),
        lambda setup: schema.TwoFactorSetup(
            secret=setup.secret, otpauth_uri=setup.otpauth_uri, qr_code=setup.qr_code
        ),
    )


async def confirm_two_factor(info: Info, code: str) -> schema.BackupCodesResult:
    principal = info.context.require(Action.MANAGE_ACCOUNT)
    return await _answer(  # type: ignore[no-any-return]
        info.context.venue.accounts.confirm_two_factor(
            principal.account_id, code[:32], info.context.meta
        ),
        lambda codes: schema.BackupCodes(codes=codes),
    )


async def disable_two_factor(info: Info, password: str, code: str) -> schema.AcceptedResult:
    principal = info.context.require(Action.MANAGE_ACCOUNT)
    return await _answer(  # type: ignore[no-any-return]
        info.context.venue.accounts.disable_two_factor(
            principal.account_id, password, code[:32], info.context.meta
        ),
        _accepted("two-factor authentication is off"),
    )


# --- wallets ----------------------------------------------------------------------------------


async def wallet_challenge(info: Info, address: str) -> schema.WalletChallengeResult:
    principal = info.context.require(Action.MANAGE_ACCOUNT)
    return await _answer(  # type: ignore[no-any-return]
        info.context.venue.keys.wallet_challenge(principal.account_id, address[:64]),
        lambda c: schema.WalletChallenge(nonce=c.nonce, message=c.message, expires_at=c.expires_at),
    )


async def link_wallet(info: Info, nonce: str, signature: str) -> schema.AccountResult:
    principal = info.context.require(Action.MANAGE_ACCOUNT)
    result = await _attempt(
        info.context.venue.keys.link_wallet(
            principal.account_id, nonce, signature[:200], info.context.meta
        )
    )
    if isinstance(result, UserError):
        return result  # type: ignore[return-value]
    return await _account(info, principal.account_id)


async def unlink_wallet(
    info: Info, password: str, two_factor_code: str | None = None
) -> schema.AccountResult:
    principal = info.context.require(Action.MANAGE_ACCOUNT)
    venue = info.context.venue
    result = await _attempt(
        venue.keys.unlink_wallet(
            principal.account_id,
            password,
            two_factor_code,
            _positions_check(info),
            info.context.meta,
        )
    )
    if isinstance(result, UserError):
        return result  # type: ignore[return-value]
    return await _account(info, principal.account_id)


# --- API keys ---------------------------------------------------------------------------------


async def api_keys(info: Info) -> list[schema.ApiKey]:
    principal = info.context.require(Action.MANAGE_ACCOUNT)
    return [
        _api_key(row) for row in await info.context.venue.keys.active_keys(principal.account_id)
    ]


async def create_api_key(info: Info, input: schema.CreateApiKeyInput) -> schema.CreateApiKeyResult:
    principal = info.context.require(Action.MANAGE_ACCOUNT)
    return await _answer(  # type: ignore[no-any-return]
        info.context.venue.keys.create_key(
            principal.account_id,
            input.name,
            [p.value for p in input.permissions],
            input.allow_list,
            input.expires_at,
            info.context.meta,
        ),
        lambda created: schema.CreatedApiKey(key=_api_key(created.key), secret=created.secret),
    )


async def update_api_key(
    info: Info, id: str, name: str | None = None, allow_list: list[str] | None = None
) -> schema.ApiKeyResult:
    principal = info.context.require(Action.MANAGE_ACCOUNT)
    return await _answer(  # type: ignore[no-any-return]
        info.context.venue.keys.update_key(principal.account_id, id, name, allow_list),
        _api_key,
    )


async def delete_api_key(info: Info, id: str, password: str) -> schema.AcceptedResult:
    principal = info.context.require(Action.MANAGE_ACCOUNT)
    return await _answer(  # type: ignore[no-any-return]
        info.context.venue.keys.delete_key(principal.account_id, id, password, info.context.meta),
        _accepted("the key is deleted"),
    )


# --- demo mailbox -------------------------------------------------------------------------------


async def demo_mailbox(info: Info, email: str) -> list[schema.MailMessage]:
    """Demo mode only: the mail we would have sent to an address (no real mail leaves)."""
    venue = info.context.venue
    if not venue.config.demo_mode or venue.config.smtp is not None:
        return []
    try:
        address = normalise_email(email)
    except DomainError:
        return []
    rows = await venue.accounts.store.many(
        MailOutboxRow, recipient=address, newest_first="id", limit=20
    )
    return [mail_message(row) for row in rows]


def mail_message(row: StoredRow) -> schema.MailMessage:
    return schema.MailMessage(
        id=str(row.id),
        recipient=row.recipient,
        subject=row.subject,
        body=row.body,
        created_at=_at(row.created_at),
        sent_at=moment(row.sent_at),
    )


# --- helpers ------------------------------------------------------------------------------------


async def _signed_in(info: Info, tokens: SessionTokens) -> schema.SignedIn:
    return schema.SignedIn(
        access_token=tokens.access_token,
        access_token_expires_at=tokens.access_expires_at,
        refresh_token=tokens.refresh_token,
        refresh_token_expires_at=tokens.refresh_expires_at,
        account=await _account(info, tokens.account_id),
    )


async def _account(info: Info, account_id: str) -> schema.Account:
    row = await info.context.venue.accounts.account(account_id)
    return schema.Account(
        id=row.id,
        email=row.email,
        email_verified=row.email_verified_at is not None,
        status=row.status,
        roles=[schema.Role(r) for r in row.roles.split(",") if r in Role.__members__],
        tier=row.tier,
        kyc_tier=row.kyc_tier,
        terms_version=row.terms_version,
        referral_code=row.referral_code,
        two_factor_enabled=bool(row.totp_enabled),
        wallet_address=row.wallet_address,
        erase_after=moment(row.erase_after),
        created_at=_at(row.created_at),
        balances=balances_of(info, account_id),
    )


def _api_key(row: StoredRow) -> schema.ApiKey:
    return schema.ApiKey(
        id=row.id,
        name=row.name,
        permissions=[schema.ApiPermission(p) for p in row.permissions.split(",") if p],
        allow_list=[e for e in row.allow_list.split(",") if e],
        created_at=_at(row.created_at),
        expires_at=moment(row.expires_at),
        last_used_at=moment(row.last_used_at),
    )


def _holdings_check(info: Info) -> Callable[[str], Awaitable[bool]]:
    async def holds_anything(account: str) -> bool:
        venue = info.context.venue
        if venue.exchange.positions_of(account) or venue.exchange.open_orders(account):
            return True
        return any(b.available + b.locked > 0 for b in funds_of(info, account).balances())

    return holds_anything


def _positions_check(info: Info) -> Callable[[str], Awaitable[bool]]:
    async def has_positions(account: str) -> bool:
        return bool(info.context.venue.exchange.positions_of(account))

    return has_positions


def _at(value: Any) -> datetime:
    at = moment(value)
    assert at is not None
    return at
