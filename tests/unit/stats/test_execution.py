"""The stats from a real exchange's events: order flow, time to fill, savings against the
quote of the match, daily buckets, and nothing counted for orders the engine refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from engine.matching import Side
from engine.stats import ExecutionStats, Run, availability
from engine.trading import accounts
from engine.trading.events import TradePrinted
from tests.unit.trading.helpers import SYMBOL, USDT, Venue, px

DAY = date(2026, 6, 1)


def trading_venue() -> tuple[Venue, ExecutionStats]:
    venue = Venue()
    venue.fund("maker", 10_000)
    venue.fund("taker", 10_000)
    venue.prices("59990", "60010")
    return venue, ExecutionStats()


def test_orders_liquidity_and_time_to_fill_are_counted() -> None:
    venue, stats = trading_venue()
    fees_before = venue.exchange.ledger.balance(accounts.FEES)
    # A resting sell of 0.02 at 60,000, then two market buys of 0.01 one second apart.
    for outcome in (
        venue.limit("maker", Side.SELL, "0.02", "60000"),
        venue.market("taker", Side.BUY, "0.01"),
        venue.market("taker", Side.BUY, "0.01"),
    ):
        assert outcome.accepted, outcome.code
        stats.observe(outcome.events)

    day = stats.totals(DAY, DAY, SYMBOL)
    assert day.orders == 3
    # The limit at its price; market orders at the reference ask they would cross.
    assert day.liquidity == (1_200 + 2 * 600) * USDT + 2 * USDT // 10
    assert day.trades == 2 and day.volume == 1_200 * USDT
    # The maker waited 1 s for its first fill and 2 s to be filled; takers filled at once.
    assert (day.first_fills, day.first_fill_ms) == (3, 1_000)
    assert (day.complete_fills, day.complete_fill_ms) == (3, 2_000)
    assert day.fees == venue.exchange.ledger.balance(accounts.FEES) - fees_before


def test_savings_use_the_quote_the_engine_matched_against() -> None:
    venue, stats = trading_venue()
    venue.limit("maker", Side.SELL, "0.01", "60000")
    outcome = venue.market("taker", Side.BUY, "0.01")
    trade = next(e for e in outcome.events if isinstance(e, TradePrinted))
    # The lit market moves right after: the trade keeps the quote of its own instant.
    venue.prices("60490", "60510")
    assert (trade.reference_bid, trade.reference_ask) == (px("59990"), px("60010"))

    stats.observe(outcome.events)
    day = stats.totals(DAY, DAY)
    # Bought at 60,000 instead of crossing at 60,010: 10 USDT per BTC on 0.01 BTC.
    assert day.savings == USDT // 10 and day.compared_trades == 1 and day.inside_spread == 1


def test_an_order_counts_on_the_day_it_was_accepted_and_its_fill_on_the_day_it_filled() -> None:
    venue, stats = trading_venue()
    venue.clock = datetime(2026, 6, 1, 23, 59, 58, tzinfo=UTC)
    stats.observe(venue.limit("maker", Side.SELL, "0.01", "60000").events)
    venue.clock += timedelta(seconds=5)  # past midnight
    stats.observe(venue.market("taker", Side.BUY, "0.01").events)

    first, second = stats.daily(DAY, DAY + timedelta(days=1), SYMBOL)
    assert (first.day, first.totals.orders, first.totals.complete_fills) == (DAY, 1, 0)
    assert second.day == DAY + timedelta(days=1)
    assert (second.totals.orders, second.totals.trades) == (1, 1)
    # The maker's 6 s wait (accepted 23:59:59, filled 00:00:05) and the taker's none.
    assert (second.totals.complete_fills, second.totals.complete_fill_ms) == (2, 6_000)
    assert stats.symbols == [SYMBOL]


def test_orders_the_engine_refused_are_not_counted() -> None:
    venue, stats = trading_venue()
    too_big = venue.limit("taker", Side.BUY, "50", "60000")  # far beyond its margin
    assert not too_big.accepted
    first = venue.limit("maker", Side.SELL, "0.01", "61000", client_order_id="mine-1")
    repeated = venue.limit("maker", Side.SELL, "0.01", "61000", client_order_id="mine-1")
    for outcome in (too_big, first, repeated):
        stats.observe(outcome.events)
    assert stats.totals(DAY, DAY).orders == 1


def test_changed_days_are_handed_over_once_and_again_after_a_failed_save() -> None:
    venue, stats = trading_venue()
    stats.observe(venue.limit("maker", Side.SELL, "0.01", "61000").events)
    changed = stats.take_changed()
    assert list(changed) == [(SYMBOL, DAY)] and changed[(SYMBOL, DAY)].orders == 1
    assert stats.take_changed() == {}
    stats.mark_changed(changed)
    assert list(stats.take_changed()) == [(SYMBOL, DAY)]


def test_downtime_is_the_gap_between_runs_within_the_window() -> None:
    t0 = datetime(2026, 6, 1, tzinfo=UTC)
    runs = [
        Run(t0 + timedelta(hours=1), t0 + timedelta(hours=10)),
        Run(t0 + timedelta(hours=10, minutes=30), t0 + timedelta(hours=30)),
    ]
    today = availability(runs, t0, t0 + timedelta(days=1))
    assert today.downtime == timedelta(minutes=30) and today.outages == 1
    # Observed from the first start: 23 h, of which 22.5 h up.
    assert today.uptime_fraction == (81_000 * 10**6, 82_800 * 10**6)
    tomorrow = availability(runs, t0 + timedelta(days=1), t0 + timedelta(days=2))
    assert tomorrow.downtime == timedelta(0) and tomorrow.outages == 0
    assert availability([], t0, t0 + timedelta(days=1)).uptime_fraction is None
