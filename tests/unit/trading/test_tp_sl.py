"""Take-profit and stop-loss close a position at market when the mark reaches them."""

from __future__ import annotations

import pytest

from engine.matching import Side
from engine.trading.commands import SetTpSl
from engine.trading.events import OrderFill
from engine.trading.snapshot import restore_exchange, snapshot_exchange
from tests.unit.trading.helpers import BTC, SYMBOL, Venue, px


def long_position(venue: Venue) -> None:
    for name in ("alice", "bob", "carol"):
        venue.fund(name, 10_000)
    venue.prices("59990", "60010")
    venue.limit("alice", Side.BUY, "0.1", "60000")
    venue.market("bob", Side.SELL, "0.1")


def test_a_stop_loss_closes_the_long_when_the_mark_falls_to_it() -> None:
    venue = Venue()
    long_position(venue)
    assert venue.do(SetTpSl("alice", SYMBOL, px("62000"), px("59000"), venue.tick())).accepted
    venue.limit("carol", Side.BUY, "0.1", "58900")  # liquidity for the close
    venue.prices("59500", "59520")
    assert ("alice", SYMBOL) in venue.exchange.positions
    fired = venue.prices("58990", "59000")
    fills = [e for e in fired.events if isinstance(e, OrderFill) and e.account == "alice"]
    assert fills and fills[0].realised_pnl < 0
    assert ("alice", SYMBOL) not in venue.exchange.positions
    assert venue.exchange.tp_sl == {}


def test_triggers_on_the_wrong_side_of_the_mark_are_refused() -> None:
    venue = Venue()
    long_position(venue)
    wrong = venue.do(SetTpSl("alice", SYMBOL, px("59000"), None, venue.tick()))
    assert not wrong.accepted and wrong.code == "INVALID_TRIGGER"
    nobody = venue.do(SetTpSl("carol", SYMBOL, px("62000"), None, venue.tick()))
    assert not nobody.accepted and nobody.code == "NO_POSITION"


@pytest.mark.parametrize("restarted", [False, True], ids=["running", "restored"])
def test_reduce_only_orders_shrink_with_the_position(restarted: bool) -> None:
    venue = Venue()
    long_position(venue)
    first = venue.limit("alice", Side.SELL, "0.06", "61000", reduce_only=True)
    second = venue.limit("alice", Side.SELL, "0.04", "61500", reduce_only=True)
    assert first.accepted and second.accepted
    if restarted:  # the venue comes back from its snapshot and must still cut them
        venue.exchange = restore_exchange([BTC], snapshot_exchange(venue.exchange))
    # Alice sells 0.05 of her 0.1 another way: 0.05 is left to reduce.
    venue.limit("carol", Side.BUY, "0.05", "60000")
    venue.do(SetTpSl("alice", SYMBOL, None, None, venue.tick()))
    sold = venue.market("alice", Side.SELL, "0.05")
    assert sold.accepted
    orders = {o.order_id: o for o in venue.exchange.open_orders("alice")}
    assert orders[first.order_id].remaining == 5_000_000  # cut from 0.06 to 0.05
    assert second.order_id not in orders  # the newest is cancelled
