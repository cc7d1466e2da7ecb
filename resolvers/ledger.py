"""Balances of the signed-in account, the demo faucet, and withdrawals."""

from __future__ import annotations

from decimal import Decimal as PyDecimal

from engine.accounts.roles import Action
from engine.errors import DomainError
from engine.ledger import ASSETS, Asset, InvalidAmount, InvalidEntry, format_units, to_units
from engine.ledger.assets import USDT
from engine.settlement.vaults import vault_reference
from engine.sim.demo_account import DEMO_MAX_DEPOSIT, MAX_CLIENT_KEY_LENGTH, DemoAccount
from resolvers.context import Info
from resolvers.errors import user_error
from schema import scalars as schema_scalars
from schema.errors import NotAvailableError
from schema.ledger import (
    Balance,
    LimitExceededError,
    TransferInput,
    TransferResult,
    TransferSuccess,
)

_LIMIT_CODES = frozenset({"KYC_LIMIT_EXCEEDED", "RESTRICTED_JURISDICTION"})


def my_balances(info: Info) -> list[Balance]:
    principal = info.context.require(Action.READ)
    return balances_of(info, principal.account_id)


async def faucet(info: Info, input: TransferInput) -> TransferResult:
    """Demo mode: test USDT, at most 10,000 a day per account."""
    principal = info.context.require(Action.TRADE)
    venue = info.context.venue
    if not venue.config.demo_mode:
        return NotAvailableError(code="NOT_AVAILABLE", message="the faucet is a demo feature")
    account = principal.account_id
    try:
        units = to_units(input.amount, USDT)
        if not 0 < units <= DEMO_MAX_DEPOSIT:
            raise InvalidAmount(f"between 0 and {DEMO_MAX_DEPOSIT // USDT.unit} USDT at a time")
        # Minted on chain to the account's wallet (capped per day), authorised and deposited
        # into the vault; the ledger Deposit carries the same reference.
        sequence, replayed = await venue.settlement.vaults.faucet_and_deposit(
            account, units, _vault_reference(account, "fct", input.idempotency_key)
        )
    except DomainError as error:
        return user_error(error)
    return TransferSuccess(
        entry_id=str(sequence), replayed=replayed, balances=balances_of(info, account)
    )


async def withdraw(info: Info, input: TransferInput) -> TransferResult:
    """Out of the venue, within the KYC tier's daily limit; AML rules screen every one."""
    principal = info.context.require(Action.WITHDRAW)
    venue = info.context.venue
    account = principal.account_id
    try:
        units = to_units(input.amount, USDT)
        if units <= 0:
            raise InvalidAmount("the amount must be greater than zero")
        row = await venue.accounts.account(account)
        await venue.funds.check_withdrawal(account, row.kyc_tier, units)
        # Vault -> the account's wallet on chain, mirrored by a ledger Withdraw (one click,
        # no signature); refused while reconciliation halts the vault.
        sequence, replayed = await venue.settlement.vaults.withdraw(
            account, units, _vault_reference(account, "wd", input.idempotency_key)
        )
        if not replayed:
            await venue.funds.record(account, "WITHDRAWAL", units)
            trades = [fill.at for fill in venue.exchange.fills_of.get(account, ())]
            await venue.funds.screen(account, trades)
    except DomainError as error:
        if error.code in _LIMIT_CODES:
            return LimitExceededError(code=error.code, message=error.message)
        return user_error(error)
    return TransferSuccess(
        entry_id=str(sequence), replayed=replayed, balances=balances_of(info, account)
    )


def _vault_reference(account: str, kind: str, idempotency_key: str) -> str:
    key = idempotency_key.strip()
    if not key or len(key) > MAX_CLIENT_KEY_LENGTH:
        raise InvalidEntry(f"idempotency key must be 1 to {MAX_CLIENT_KEY_LENGTH} characters")
    return vault_reference(account, kind, key)


def balances_of(info: Info, account: str) -> list[Balance]:
    return [_balance(b.asset, b.available, b.locked) for b in funds_of(info, account).balances()]


def funds_of(info: Info, account: str) -> DemoAccount:
    venue = info.context.venue
    return DemoAccount(venue.exchange, venue.submit, venue.clock, account=account)


def _balance(symbol: str, available: int, locked: int) -> Balance:
    asset = ASSETS[symbol]
    return Balance(
        asset=symbol,
        available=_decimal(available, asset),
        locked=_decimal(locked, asset),
        total=_decimal(available + locked, asset),
    )


def _decimal(units: int, asset: Asset) -> schema_scalars.Decimal:
    return schema_scalars.Decimal(PyDecimal(format_units(units, asset)))
