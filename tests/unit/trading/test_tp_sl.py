"""Take-profit and stop-loss close a position at market when the mark reaches them."""

from __future__ import annotations

from engine.matching import Side
from engine.trading.commands import SetTpSl
from engine.trading.events import OrderFill
from tests.unit.trading.helpers import SYMBOL, Venue, px


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
