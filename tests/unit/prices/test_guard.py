"""The manipulation guard's two rules, at and beyond their limits."""

from __future__ import annotations

from datetime import timedelta

from engine.oracle.guard import AnomalyKind, ManipulationGuard
from tests.unit.prices.helpers import NOW, px


def feed(guard: ManipulationGuard, prices: list[int]) -> None:
    for second, price in enumerate(prices):
        assert guard.observe(price, NOW + timedelta(seconds=second)) is None


def test_a_ten_percent_move_in_a_minute_is_allowed_and_more_is_a_jump() -> None:
    guard = ManipulationGuard("BTC")
    feed(guard, [px("100")] * 30)
    at_limit = guard.observe(px("110"), NOW + timedelta(seconds=30))
    assert at_limit is None  # exactly 10 %

    guard = ManipulationGuard("BTC")
    feed(guard, [px("100")] * 30)
    anomaly = guard.observe(px("110.01"), NOW + timedelta(seconds=30))
    assert anomaly is not None
    assert anomaly.kind == AnomalyKind.JUMP
    assert anomaly.move_bps == 1_001


def test_a_slow_climb_past_ten_percent_over_two_minutes_is_not_a_jump() -> None:
    guard = ManipulationGuard("BTC")
    prices = [px("100") + n * px("0.1") for n in range(120)]  # +0.1 a second
    for second, price in enumerate(prices):
        anomaly = guard.observe(price, NOW + timedelta(seconds=second))
        assert anomaly is None or anomaly.kind != AnomalyKind.JUMP


def test_a_move_beyond_three_sigma_of_the_last_five_minutes_is_flagged() -> None:
    guard = ManipulationGuard("BTC")
    # One-second moves alternating +-0.2 %: sigma ~ 0.2 %, so 3 sigma ~ 0.6 %.
    prices = [px("100") if n % 2 == 0 else px("100.2") for n in range(120)]
    feed(guard, prices)
    calm = guard.observe(px("100.5"), NOW + timedelta(seconds=120))
    assert calm is None  # 0.5 %: within 3 sigma

    anomaly = guard.observe(px("101.2"), NOW + timedelta(seconds=121))
    assert anomaly is not None
    assert anomaly.kind == AnomalyKind.SIGMA
    assert anomaly.move_bps > anomaly.limit_bps


def test_in_a_flat_market_ordinary_ticks_are_not_alarms() -> None:
    guard = ManipulationGuard("BTC")
    feed(guard, [px("100")] * 120)
    # Sigma is zero; a 0.4 % tick is still under the 0.5 % floor.
    assert guard.observe(px("100.4"), NOW + timedelta(seconds=120)) is None
    anomaly = guard.observe(px("101.0"), NOW + timedelta(seconds=121))
    assert anomaly is not None and anomaly.kind == AnomalyKind.SIGMA


def test_samples_come_at_most_once_a_second() -> None:
    guard = ManipulationGuard("BTC")
    guard.observe(px("100"), NOW)
    # Half a second later, even a 50 % move is not judged: it waits for the next sample.
    assert guard.observe(px("150"), NOW + timedelta(milliseconds=500)) is None
    assert guard.observe(px("150"), NOW + timedelta(seconds=1)) is not None
