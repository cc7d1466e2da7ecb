"""Auto-deposit (seed 004 E) against the real embedded chain (LiteSVM) and database: an
order funded entirely from the wallet's authorisation survives the reference moving
between the funding check and the engine applying it, and whatever the order does not
reserve stays in the available balance, withdrawable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from engine.accounts.funds import Funds
from engine.clock import ManualClock
from engine.ledger import USDT
from engine.matching import OrderType, Side, TimeInForce
from engine.perps.position import OrderSide
from engine.perps.risk import OrderRequest, check_order
from engine.settlement.chain.litesvm import LiteSvmChain
from engine.settlement.vaults import (
    AUTO_DEPOSIT_PRICE_ALLOWANCE_BPS,
    VaultService,
    collateral_shortfall,
)
from engine.store.database import Database
from engine.trading import accounts
from engine.trading.commands import Command, SubmitOrder
from engine.trading.events import OrderFill
from engine.trading.exchange import Outcome
from tests.unit.trading.helpers import SYMBOL, Venue, px, qty

USER = "alice"


@dataclass
class Setup:
    venue: Venue
    vaults: VaultService
    chain: LiteSvmChain


@pytest.fixture
async def setup(database: Database, clock: ManualClock) -> AsyncIterator[Setup]:
    venue = Venue()

    async def submit(command: Command) -> Outcome:
        return venue.do(command)

    chain = LiteSvmChain(clock=clock)
    vaults = VaultService(
        database,
        chain,
        clock,
        master_secret="vault-tests-secret-" + "v" * 32,
        submit=submit,
        exchange=lambda: venue.exchange,
        funds=Funds(database, clock),
    )
    await chain.start()
    await vaults.start(reconcile_every=None)
    venue.prices("65000.0", "65001.0")
    venue.fund("maker", 1_000_000)
    yield Setup(venue, vaults, chain)
    await vaults.stop()


async def wallet_with(setup: Setup, tokens: int, authorised: int) -> None:
    """The user's wallet holds `tokens` and authorised `authorised`; nothing is deposited."""
    wallet = await setup.vaults.wallet(USER)
    await setup.chain.faucet(wallet.address, tokens)
    await setup.vaults.authorize(USER, authorised)


def market_buy(setup: Setup, size: str = "0.1") -> SubmitOrder:
    return SubmitOrder(
        USER,
        SYMBOL,
        Side.BUY,
        OrderType.MARKET,
        qty(size),
        10,
        setup.venue.tick(),
        time_in_force=TimeInForce.IOC,
    )


def available(setup: Setup) -> int:
    ledger = setup.venue.exchange.ledger
    key = accounts.available(USER)
    return ledger.balance(key) if ledger.has_account(key) else 0


def requirement(setup: Setup, order: SubmitOrder) -> int:
    """What the engine reserves for `order` now (margin and taker fee at the reference)."""
    exchange = setup.venue.exchange
    prices = exchange.prices[SYMBOL]
    assert prices.ask is not None
    return check_order(
        exchange.markets[SYMBOL],
        None,
        OrderRequest(OrderSide.BUY, order.size, prices.ask, order.leverage, False),
        1 << 62,
    ).total


def user_fills(outcome: Outcome) -> list[OrderFill]:
    return [e for e in outcome.events if isinstance(e, OrderFill) and e.account == USER]


async def test_a_vault_funded_market_order_fills_when_the_mark_moves_up_before_it_applies(
    setup: Setup,
) -> None:
    venue = setup.venue
    await wallet_with(setup, 2_000 * USDT.unit, 2_000 * USDT.unit)
    assert available(setup) == 0
    # The lit market moves up 5 bps after the check; the maker is there when it does.
    moved_bid, moved_ask = "65032.5", "65033.5"
    assert venue.limit("maker", Side.SELL, "1", moved_ask).accepted

    order = market_buy(setup)
    shortfall_now = collateral_shortfall(venue.exchange, order, allowance_bps=0)
    deposited = await setup.vaults.ensure_collateral(order)
    assert deposited > shortfall_now > 0
    assert available(setup) == deposited

    venue.prices(moved_bid, moved_ask)
    # Exactly the shortfall (the old rule) is no longer enough at the moved price ...
    assert requirement(setup, order) > shortfall_now
    # ... the allowance is: the first click fills.
    outcome = venue.do(order)
    assert outcome.accepted, (outcome.code, outcome.message)
    assert sum(fill.size for fill in user_fills(outcome)) == qty("0.1")
    [position] = [p for (owner, _), p in venue.exchange.positions.items() if owner == USER]
    assert position.size == qty("0.1")

    # The unused part of the deposit stays in the available balance and can go back.
    left = available(setup)
    assert 0 < left < deposited
    state = await setup.vaults.vault(USER)
    assert state.used == deposited and state.available == 2_000 * USDT.unit - deposited
    await setup.vaults.withdraw(USER, left, "give-back")
    assert available(setup) == 0
    assert (await setup.vaults.reconcile()).matches


async def test_the_allowance_is_capped_by_the_authorisation_and_the_wallet(
    setup: Setup,
) -> None:
    venue = setup.venue
    order = market_buy(setup)
    exact = collateral_shortfall(venue.exchange, order, allowance_bps=0)
    with_allowance = collateral_shortfall(venue.exchange, order)
    assert with_allowance > exact

    # Authorised less than the allowance wants but more than today's shortfall: all of it.
    between = (exact + with_allowance) // 2
    await wallet_with(setup, 10 * with_allowance, between)
    assert await setup.vaults.ensure_collateral(order) == between
    assert available(setup) == between


async def test_no_more_than_the_wallet_holds_and_nothing_below_the_shortfall(
    setup: Setup,
) -> None:
    venue = setup.venue
    order = market_buy(setup)
    exact = collateral_shortfall(venue.exchange, order, allowance_bps=0)
    # The wallet authorised plenty but holds only today's shortfall: that is pulled.
    await wallet_with(setup, exact, 10 * exact)
    assert await setup.vaults.ensure_collateral(order) == exact
    assert available(setup) == exact

    # A bigger order the wallet cannot cover even at today's price: nothing moves.
    bigger = market_buy(setup, "0.5")
    short = collateral_shortfall(venue.exchange, bigger, allowance_bps=0)
    wallet = setup.vaults.wallet_of(USER)
    assert wallet is not None
    await setup.chain.faucet(wallet.address, short // 2)
    assert await setup.vaults.ensure_collateral(bigger) == 0
    assert (await setup.vaults.vault(USER)).used == exact
    assert available(setup) == exact


async def test_a_limit_order_is_funded_exactly_its_price_cannot_move(setup: Setup) -> None:
    venue = setup.venue
    await wallet_with(setup, 2_000 * USDT.unit, 2_000 * USDT.unit)
    order = SubmitOrder(
        USER,
        SYMBOL,
        Side.BUY,
        OrderType.LIMIT,
        qty("0.1"),
        10,
        venue.tick(),
        limit_price=px("64000.0"),
    )
    exact = collateral_shortfall(venue.exchange, order, allowance_bps=0)
    assert collateral_shortfall(venue.exchange, order) == exact
    assert await setup.vaults.ensure_collateral(order) == exact
    outcome = venue.do(order)
    assert outcome.accepted
    assert available(setup) == 0
    assert AUTO_DEPOSIT_PRICE_ALLOWANCE_BPS > 0
