"""The demo account's balances and transfers."""

from __future__ import annotations

from decimal import Decimal as PyDecimal

from engine.errors import DomainError
from engine.ledger import ASSETS, Asset, format_units, to_units
from engine.ledger.assets import USDT
from engine.sim.demo_account import DEMO_DISPLAY_NAME, DEMO_OWNER_ID, DemoBalance
from resolvers.context import Info
from resolvers.errors import user_error
from schema import scalars as schema_scalars
from schema.errors import NotAvailableError
from schema.ledger import (
    Balance,
    DemoAccount,
    DemoTransferInput,
    DemoTransferResult,
    DemoTransferSuccess,
)


def demo_account(info: Info) -> DemoAccount | None:
    demo = info.context.venue.demo
    if demo is None:
        return None
    return _demo_account(demo.balances())


async def demo_deposit(info: Info, input: DemoTransferInput) -> DemoTransferResult:
    return await _demo_transfer(info, input, deposit=True)


async def demo_withdraw(info: Info, input: DemoTransferInput) -> DemoTransferResult:
    return await _demo_transfer(info, input, deposit=False)


async def _demo_transfer(
    info: Info, input: DemoTransferInput, *, deposit: bool
) -> DemoTransferResult:
    demo = info.context.venue.demo
    if demo is None:
        return NotAvailableError(
            code="NOT_AVAILABLE", message="the demo account exists in demo mode only"
        )
    try:
        units = to_units(input.amount, USDT)
        move = demo.deposit if deposit else demo.withdraw
        transfer = await move(units, input.idempotency_key)
    except DomainError as error:
        return user_error(error)
    return DemoTransferSuccess(
        entry_id=str(transfer.sequence),
        replayed=transfer.replayed,
        account=_demo_account(demo.balances()),
    )


def _demo_account(balances: list[DemoBalance]) -> DemoAccount:
    return DemoAccount(
        id=DEMO_OWNER_ID,
        display_name=DEMO_DISPLAY_NAME,
        balances=[_balance(b.asset, b.available, b.locked) for b in balances],
    )


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
