"""The simulated makers stand at the reference NBBO however it moves, so NBBO-protected
orders fill against them, and they cost no commands while only the price moves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.clock import ManualClock
from engine.matching import OrderType, Side, TimeInForce
from engine.sim.market_makers import MAKER_ACCOUNT, REFRESH, SimulatedMarketMakers
from engine.trading.commands import CancelAllOrders, Command, SubmitOrder
from engine.trading.events import OrderFill
from engine.trading.exchange import Outcome
from tests.unit.trading.helpers import SYMBOL, T0, Venue, qty


class Harness:
    """An exchange with the makers on it; every command goes through `do` in order."""

    def __init__(self) -> None:
        self.venue = Venue()
        self.clock = ManualClock(T0)
        self.maker_commands: list[Command] = []

        async def submit(command: Command) -> Outcome:
            self.maker_commands.append(command)
            return self.venue.do(command)

        self.makers = SimulatedMarketMakers(self.venue.exchange, submit, self.clock)

    def protected_market(self, account: str, side: Side, size: str) -> Outcome:
        return self.venue.do(
            SubmitOrder(
                account,
                SYMBOL,
                side,
                OrderType.MARKET,
                qty(size),
                10,
                self.venue.tick(),
                time_in_force=TimeInForce.IOC,
                nbbo_protection=True,
            )
        )


@pytest.fixture
def harness() -> Iterator[Harness]:
    yield Harness()


def _reference(harness: Harness) -> tuple[int, int]:
    prices = harness.venue.exchange.prices[SYMBOL]
    assert prices.bid is not None and prices.ask is not None
    return prices.bid, prices.ask


async def test_protected_orders_fill_at_the_reference_after_every_kind_of_move(
    harness: Harness,
) -> None:
    venue = harness.venue
    venue.fund("taker", 1_000_000)
    venue.prices("65000.0", "65001.0")
    await harness.makers.fund()
    await harness.makers.requote()
    quoted = len(harness.maker_commands)

    # Moves of less than a basis point, of several, up, down, narrowing and widening: the
    # old makers' limits were left outside the new touch by every one of them.
    for bid, ask in [
        ("65000.5", "65001.2"),
        ("65003.0", "65004.0"),
        ("64990.0", "64990.7"),
        ("64991.1", "64995.9"),
        ("65040.0", "65040.3"),
    ]:
        venue.prices(bid, ask)
        reference_bid, reference_ask = _reference(harness)
        for side in (Side.BUY, Side.SELL):
            outcome = harness.protected_market("taker", side, "0.01")
            assert outcome.accepted, outcome
            fills = [e for e in outcome.events if isinstance(e, OrderFill) and e.account == "taker"]
            assert sum(fill.size for fill in fills) == qty("0.01"), (bid, ask, side)
            # A buy takes the maker's ask peg, a sell its bid peg: at the touch, never outside.
            expected = reference_ask if side is Side.BUY else reference_bid
            assert {fill.price for fill in fills} == {expected}
            assert reference_bid <= expected <= reference_ask

    # The price moves cost the makers nothing: no command of theirs since they quoted.
    assert len(harness.maker_commands) == quoted


async def test_quotes_are_replaced_after_a_fill_and_otherwise_only_on_refresh(
    harness: Harness,
) -> None:
    venue = harness.venue
    venue.fund("taker", 1_000_000)
    venue.prices("65000.0", "65001.0")
    await harness.makers.fund()
    await harness.makers.requote()
    first = len(harness.maker_commands)
    assert [type(c) for c in harness.maker_commands[1:]] == [
        CancelAllOrders,
        SubmitOrder,
        SubmitOrder,
    ]
    assert {c.order_type for c in harness.maker_commands if isinstance(c, SubmitOrder)} == {
        OrderType.PEG_BID,
        OrderType.PEG_ASK,
    }

    venue.prices("65010.0", "65011.0")
    await harness.makers.requote()
    assert len(harness.maker_commands) == first  # a move alone: nothing to do

    assert harness.protected_market("taker", Side.BUY, "0.01").accepted
    await harness.makers.requote()
    assert len(harness.maker_commands) == first + 3  # the fill: quoted again at full size
    orders = venue.exchange.open_orders(MAKER_ACCOUNT)
    assert len(orders) == 2

    harness.clock.advance(REFRESH)
    await harness.makers.requote()
    assert len(harness.maker_commands) == first + 6


async def test_the_makers_book_replays_identically(harness: Harness) -> None:
    """Pegs move inside UpdatePrices: replaying the same journal gives the same state."""
    venue = harness.venue
    venue.fund("taker", 1_000_000)
    journal: list[Command] = []
    original_do = venue.do

    def recording(command: Command) -> Outcome:
        journal.append(command)
        return original_do(command)

    venue.do = recording  # type: ignore[method-assign]
    venue.prices("65000.0", "65001.0")
    await harness.makers.fund()
    await harness.makers.requote()
    for bid, ask in [("65000.4", "65001.1"), ("64980.0", "64981.0"), ("65020.0", "65020.9")]:
        venue.prices(bid, ask)
        harness.protected_market("taker", Side.BUY, "0.02")
        harness.protected_market("taker", Side.SELL, "0.01")

    replayed = Venue()
    replayed.fund("taker", 1_000_000)
    for command in journal:
        replayed.do(command)
    assert replayed.exchange.ledger.balances() == venue.exchange.ledger.balances()
    assert replayed.exchange.positions == venue.exchange.positions
    assert replayed.exchange.books[SYMBOL].state_hash() == venue.exchange.books[SYMBOL].state_hash()
    assert replayed.exchange.open_orders(MAKER_ACCOUNT) == venue.exchange.open_orders(MAKER_ACCOUNT)
