"""Circuit breakers: a 10 % move in 60 s or a volume spike makes a market reduce-only."""

from __future__ import annotations

from datetime import timedelta

from engine.matching import Side
from engine.trading.commands import TripCircuitBreaker, UpdatePrices
from engine.trading.events import MarketStatusChanged
from tests.unit.trading.helpers import SYMBOL, Venue, px


def mark_at(venue: Venue, price: str, seconds: float) -> list[MarketStatusChanged]:
    mark = px(price)
    outcome = venue.do(
        UpdatePrices(SYMBOL, mark, mark, mark - px("1"), mark + px("1"), True, venue.tick(seconds))
    )
    return [e for e in outcome.events if isinstance(e, MarketStatusChanged)]


def test_ten_percent_in_a_minute_is_allowed_and_more_goes_reduce_only() -> None:
    venue = Venue()
    venue.fund("alice", 10_000)
    assert mark_at(venue, "60000", 1) == []
    assert mark_at(venue, "66000", 30) == []  # exactly 10 %
    [tripped] = mark_at(venue, "66000.1", 1)
    assert tripped.status == "REDUCE_ONLY" and tripped.reason == "PRICE_MOVE"
    assert tripped.until == tripped.at + timedelta(minutes=5)

    refused = venue.limit("alice", Side.BUY, "0.01", "66000")
    assert not refused.accepted and refused.code == "REDUCE_ONLY"
    # Five minutes later the market reopens by itself.
    mark_at(venue, "66000", 301)
    assert venue.limit("alice", Side.BUY, "0.01", "66000").accepted


def test_a_slow_ten_percent_over_two_minutes_trips_nothing() -> None:
    venue = Venue()
    for step in range(25):
        assert mark_at(venue, str(60000 + step * 300), 5) == []  # +15 % over 2 minutes


def test_the_oracle_alarm_trips_the_breaker_and_reduce_only_orders_still_pass() -> None:
    venue = Venue()
    for name in ("alice", "bob"):
        venue.fund(name, 10_000)
    venue.prices("59990", "60010")
    venue.limit("alice", Side.BUY, "0.1", "60000")
    venue.market("bob", Side.SELL, "0.1")
    tripped = venue.do(TripCircuitBreaker(SYMBOL, "ORACLE_SIGMA", venue.tick()))
    assert [e.reason for e in tripped.events if isinstance(e, MarketStatusChanged)] == [
        "ORACLE_SIGMA"
    ]
    assert venue.limit("bob", Side.SELL, "0.01", "60000").code == "REDUCE_ONLY"
    closing = venue.limit("alice", Side.SELL, "0.05", "60000", reduce_only=True)
    assert closing.accepted
