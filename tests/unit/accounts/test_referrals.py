"""The referral programme's arithmetic: the share, its rounding, and when a day is payable."""

from __future__ import annotations

from datetime import UTC, date, datetime

from engine.accounts.referrals import (
    PAYOUT_DELAY,
    daily_rewards,
    last_payable_day,
    reward_for,
    reward_reference,
)


def test_the_referrer_earns_a_fifth_of_the_fees_rounded_down() -> None:
    assert reward_for(1_000_000) == 200_000
    assert reward_for(7) == 1  # 1.4 micro-USDT: the venue never pays a fraction up
    assert reward_for(4) == 0


def test_rebates_earn_nothing() -> None:
    assert reward_for(-500) == 0
    assert daily_rewards({("acc_a", date(2026, 6, 1)): -500, ("acc_a", date(2026, 6, 2)): 10}) == {
        ("acc_a", date(2026, 6, 2)): 2
    }


def test_a_day_is_payable_only_once_it_is_over_and_its_fills_are_stored() -> None:
    midnight = datetime(2026, 6, 2, tzinfo=UTC)
    assert last_payable_day(midnight) == date(2026, 5, 31)
    assert last_payable_day(midnight + PAYOUT_DELAY) == date(2026, 6, 1)


def test_each_referrer_and_day_has_its_own_reference() -> None:
    first = reward_reference("acc_a", date(2026, 6, 1))
    assert first == "referral:acc_a:2026-06-01"
    assert first != reward_reference("acc_a", date(2026, 6, 2))
    assert first != reward_reference("acc_b", date(2026, 6, 1))
