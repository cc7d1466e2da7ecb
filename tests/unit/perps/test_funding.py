"""Funding: per-second samples, a worked hour with clamping, and zero-sum payments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.perps.funding import (
    INTEREST_RATE_PER_INTERVAL,
    MAX_FUNDING_RATE,
    FundingAccumulator,
    FundingPeriodNotClosed,
    FundingPosition,
    funding_payments,
    funding_rate_sample,
    next_funding_time,
    premium_index,
)
from engine.perps.position import Side
from engine.perps.units import NOTIONAL_DIVISOR
from tests.unit.perps.helpers import BTC, px, qty

NOON = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
ONE_PM = NOON + timedelta(hours=1)
RATE_DIVISOR = NOTIONAL_DIVISOR * 10**12


def test_premium_index_in_1e_12() -> None:
    assert premium_index(px("100.02"), px("100")) == 200_000_000  # 0.02 %
    assert premium_index(px("100"), px("100")) == 0
    # -1 price unit over 3 USDT is -33.3 (1e-12): truncated toward zero, not floored.
    assert premium_index(px("3") - 1, px("3")) == -33


def test_each_sample_adds_interest_and_is_clamped() -> None:
    assert INTEREST_RATE_PER_INTERVAL == 4_166_667  # 0.01 % / 24
    assert funding_rate_sample(px("100"), px("100")) == 4_166_667
    assert funding_rate_sample(px("100.02"), px("100")) == 204_166_667
    assert funding_rate_sample(px("101"), px("100")) == MAX_FUNDING_RATE == 500_000_000
    assert funding_rate_sample(px("99"), px("100")) == -MAX_FUNDING_RATE
    # Exactly at the clamp: 0.05 % premium + interest is above it.
    assert funding_rate_sample(px("100.05"), px("100")) == MAX_FUNDING_RATE


def test_a_worked_hour_averages_clamped_samples() -> None:
    hour = FundingAccumulator.starting(BTC, NOON)
    assert hour.funding_time == ONE_PM
    quotes = [("100", "100"), ("100.02", "100"), ("101", "100"), ("99", "100")]
    for second, (mark, index) in enumerate(quotes):
        hour.record(px(mark), px(index), NOON + timedelta(seconds=second))
    # (4,166,667 + 204,166,667 + 500,000,000 - 500,000,000) / 4 = 52,083,333.5 -> truncated.
    assert hour.estimate() == 52_083_333
    closed = hour.close(ONE_PM)
    assert (closed.rate, closed.sample_count, closed.funding_time) == (52_083_333, 4, ONE_PM)
    # Clamping the average instead would have paid (4,166,667 + 204,166,667 +
    # 10,004,166,667 - 9,995,833,333) / 4 = 54,166,667: the ±1 % seconds would count.
    assert hour.funding_time == ONE_PM + timedelta(hours=1)
    assert hour.sample_count == 0


def test_repeated_and_late_seconds_are_ignored() -> None:
    hour = FundingAccumulator.starting(BTC, NOON)
    assert hour.record(px("100.02"), px("100"), NOON) == 204_166_667
    assert hour.record(px("101"), px("100"), NOON + timedelta(milliseconds=500)) is None
    assert hour.record(px("101"), px("100"), NOON - timedelta(seconds=5)) is None
    assert hour.sample_count == 1


def test_the_next_hour_waits_for_the_close() -> None:
    hour = FundingAccumulator.starting(BTC, NOON + timedelta(minutes=30))
    with pytest.raises(FundingPeriodNotClosed):
        hour.record(px("100"), px("100"), ONE_PM)
    with pytest.raises(ValueError):
        hour.close(ONE_PM + timedelta(hours=1))
    empty = hour.close(ONE_PM)
    assert (empty.rate, empty.sample_count) == (INTEREST_RATE_PER_INTERVAL, 0)
    assert hour.record(px("100"), px("100"), ONE_PM) == INTEREST_RATE_PER_INTERVAL
    # A sample from the closed hour arriving late belongs to no open hour.
    assert hour.record(px("100"), px("100"), ONE_PM - timedelta(seconds=1)) is None


def test_next_funding_time_is_the_next_whole_hour() -> None:
    assert next_funding_time(NOON) == ONE_PM
    assert next_funding_time(NOON + timedelta(minutes=59, seconds=59.9)) == ONE_PM
    assert next_funding_time(NOON - timedelta(microseconds=1)) == NOON
    with pytest.raises(ValueError):
        next_funding_time(NOON.replace(tzinfo=None))  # naive


def test_worked_payments_longs_pay_shorts_with_the_residue_booked() -> None:
    holders = [
        FundingPosition("a", Side.LONG, qty("1")),
        FundingPosition("b", Side.LONG, qty("2")),
        FundingPosition("c", Side.SHORT, qty("1")),
        FundingPosition("d", Side.SHORT, qty("1")),
        FundingPosition("e", Side.SHORT, qty("1")),
    ]
    settlement = funding_payments(holders, px("100"), 52_083_333)
    # a: 100 USDT x 52,083,333e-12 = 5,208.33 micro -> pays 5,209; b: 10,416.67 -> 10,417.
    # Shorts share the 15,626 paid pro rata: 5,208.67 each -> 5,208; 2 left over.
    assert settlement.payments == (-5209, -10417, 5208, 5208, 5208)
    assert settlement.total_paid == 15626
    assert settlement.residue == 2
    assert sum(settlement.payments) + settlement.residue == 0


def test_a_negative_rate_has_shorts_pay_longs() -> None:
    holders = [
        FundingPosition("a", Side.LONG, qty("1")),
        FundingPosition("b", Side.SHORT, qty("1")),
    ]
    settlement = funding_payments(holders, px("100"), -52_083_333)
    assert settlement.payments == (5209, -5209)
    assert settlement.residue == 0


def test_no_counterparty_or_no_rate_moves_nothing() -> None:
    longs = [FundingPosition("a", Side.LONG, qty("1"))]
    assert funding_payments(longs, px("100"), 1_000_000).payments == (0,)
    both = [*longs, FundingPosition("b", Side.SHORT, qty("1"))]
    assert funding_payments(both, px("100"), 0).payments == (0, 0)


holders_strategy = st.lists(
    st.builds(
        FundingPosition,
        st.text(min_size=1, max_size=3),
        st.sampled_from([Side.LONG, Side.SHORT]),
        st.integers(min_value=1, max_value=10**12),
    ),
    max_size=30,
)


@given(
    holders_strategy,
    st.integers(min_value=1, max_value=10**17),
    st.integers(min_value=-MAX_FUNDING_RATE, max_value=MAX_FUNDING_RATE),
)
def test_payments_always_sum_to_zero_with_the_residue(
    holders: list[FundingPosition], mark: int, rate: int
) -> None:
    settlement = funding_payments(holders, mark, rate)
    assert sum(settlement.payments) + settlement.residue == 0
    receivers = [h for h in holders if (h.side is Side.SHORT) == (rate > 0)]
    assert 0 <= settlement.residue <= max(len(receivers) - 1, 0)
    for holder, payment in zip(holders, settlement.payments, strict=True):
        pays = (holder.side is Side.LONG) == (rate > 0)
        if pays and settlement.total_paid:
            # A payer pays its exact share rounded up: at least exact, under a micro more.
            exact = holder.size * mark * abs(rate)
            assert -payment * RATE_DIVISOR >= exact > (-payment - 1) * RATE_DIVISOR
        else:
            assert payment >= 0
