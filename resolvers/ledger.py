"""Balances of the signed-in account, the demo faucet, and withdrawals."""

from __future__ import annotations

from decimal import Decimal as PyDecimal

from engine.accounts.roles import Action
from engine.errors import DomainError
from engine.ledger import ASSETS, Asset, InvalidAmount, format_units, to_units
from engine.ledger.assets import USDT
from engine.sim.demo_account import DemoAccount
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
    funds = _funds(info, principal.account_id)
    try:
        units = to_units(input.amount, USDT)
        await venue.funds.check_faucet(principal.account_id, units)
        transfer = await funds.deposit(units, input.idempotency_key)
        if not transfer.replayed:
            await venue.funds.record(principal.account_id, "FAUCET", units)
    except DomainError as error:
        return user_error(error)
    return TransferSuccess(
        entry_id=str(transfer.sequence),
        replayed=transfer.replayed,
        balances=balances_of(info, principal.account_id),
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
        transfer = await _funds(info, account).withdraw(units, input.idempotency_key)
        if not transfer.replayed:
            await venue.funds.record(account, "WITHDRAWAL", units)
            trades = [fill.at for fill in venue.exchange.fills_of.get(account, ())]
            await venue.funds.screen(account, trades)
    except DomainError as error:
        if error.code in _LIMIT_CODES:
            return LimitExceededError(code=error.code, message=error.message)
        return user_error(error)
    return TransferSuccess(
        entry_id=str(transfer.sequence),
        replayed=transfer.replayed,
        balances=balances_of(info, account),
    )


def balances_of(info: Info, account: str) -> list[Balance]:
    return [_balance(b.asset, b.available, b.locked) for b in _funds(info, account).balances()]


def _funds(info: Info, account: str) -> DemoAccount:
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
