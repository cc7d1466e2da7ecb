"""Emergency pause levels (seed 004): what each stops, and which resume by themselves."""

from __future__ import annotations

from datetime import timedelta

from engine.matching import Side
from engine.trading.commands import CancelAllOrders, Deposit, SetEmergencyPause, Withdraw
from engine.trading.events import EmergencyPauseChanged, TradePrinted
from tests.unit.trading.helpers import SYMBOL, USDT, Venue


def paused(venue: Venue, level: int) -> EmergencyPauseChanged:
    outcome = venue.do(SetEmergencyPause(level, "drill", venue.tick()))
    [event] = [e for e in outcome.events if isinstance(e, EmergencyPauseChanged)]
    return event


def test_level_one_stops_new_orders_for_five_minutes_but_not_cancels() -> None:
    venue = Venue()
    venue.fund("alice", 10_000)
    venue.prices("59990", "60010")
    resting = venue.limit("alice", Side.BUY, "0.01", "59000")
    event = paused(venue, 1)
    assert event.until == event.at + timedelta(minutes=5)
    refused = venue.limit("alice", Side.BUY, "0.01", "59000")
    assert not refused.accepted and refused.code == "VENUE_PAUSED"
    assert venue.do(CancelAllOrders("alice", SYMBOL, venue.tick())).accepted
    assert resting.order_id not in {o.order_id for o in venue.exchange.open_orders("alice")}
    venue.tick(301)
    assert venue.limit("alice", Side.BUY, "0.01", "59000").accepted


def test_level_two_stops_all_matching() -> None:
    venue = Venue()
    for name in ("alice", "bob"):
        venue.fund(name, 10_000)
    venue.prices("59990", "60010")
    venue.limit("alice", Side.BUY, "0.01", "60000")
    paused(venue, 2)
    venue.prices("59990", "60010")
    assert not venue.market("bob", Side.SELL, "0.01").accepted
    paused(venue, 0)
    venue.prices("59990", "60010")
    filled = venue.market("bob", Side.SELL, "0.01")
    assert any(isinstance(e, TradePrinted) for e in filled.events)


def test_level_three_leaves_only_withdrawals_and_level_four_nothing() -> None:
    venue = Venue()
    venue.fund("alice", 100)
    paused(venue, 3)
    assert not venue.do(Deposit("alice", USDT, "late-deposit", venue.tick())).accepted
    assert venue.do(Withdraw("alice", USDT, "w1", venue.tick())).accepted
    event = paused(venue, 4)
    assert event.until is None  # manual only
    refused = venue.do(Withdraw("alice", USDT, "w2", venue.tick(3600)))
    assert not refused.accepted and refused.code == "VENUE_PAUSED"
    assert venue.available("alice") == 99 * USDT
