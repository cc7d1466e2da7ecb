"""Player protection: limits at their boundaries, delayed raises, cool-off, self-exclusion,
reality checks, the loss-velocity monitor, rolling windows, snapshots, and "never faster"."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.flash.protection import (
    CoolingOff,
    InvalidLimit,
    LimitKind,
    LimitPeriod,
    LimitReached,
    LimitStatus,
    PlayerProtection,
    ProtectionRefused,
    RealityCheckDue,
    SelfExcluded,
    TooFast,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def usdt(whole: int) -> int:
    return whole * 1_000_000


def lose(protection: PlayerProtection, stake: int, at: datetime) -> None:
    protection.record_bet(stake, at)
    protection.record_result(stake, 0, at)


# --- deposit and loss limits ------------------------------------------------------------


@pytest.mark.parametrize("period", list(LimitPeriod))
def test_deposit_limit_allows_exactly_the_limit_and_refuses_one_micro_usdt_more(
    period: LimitPeriod,
) -> None:
    protection = PlayerProtection()
    protection.set_limit("deposit", period, usdt(100), T0)
    protection.record_deposit(usdt(60), T0)
    late_in_window = T0 + period.window - MINUTE

    protection.check_deposit(usdt(40), late_in_window)
    with pytest.raises(LimitReached) as refused:
        protection.check_deposit(usdt(40) + 1, late_in_window)
    assert refused.value.code == "LIMIT_REACHED"
    assert refused.value.kind is LimitKind.DEPOSIT
    assert refused.value.period is period
    assert refused.value.remaining == usdt(40)
    assert "40000000 left" in refused.value.message
    # Once the window has rolled past the deposit, the whole limit is free again.
    protection.check_deposit(usdt(100), T0 + period.window)


@pytest.mark.parametrize("period", list(LimitPeriod))
def test_loss_limit_counts_the_stake_as_lost_in_the_worst_case(period: LimitPeriod) -> None:
    protection = PlayerProtection()
    protection.set_limit("loss", period, usdt(100), T0)
    lose(protection, usdt(60), T0)
    at = T0 + period.window - MINUTE

    protection.check_bet(usdt(40), at)
    with pytest.raises(LimitReached) as refused:
        protection.check_bet(usdt(40) + 1, at)
    assert refused.value.kind is LimitKind.LOSS
    assert refused.value.period is period
    assert refused.value.used == usdt(60)
    assert refused.value.remaining == usdt(40)


def test_unsettled_stakes_count_as_lost_until_their_result() -> None:
    protection = PlayerProtection()
    protection.set_limit("loss", "day", usdt(100), T0)
    protection.record_bet(usdt(70), T0)

    protection.check_bet(usdt(30), T0)
    with pytest.raises(LimitReached):
        protection.check_bet(usdt(30) + 1, T0)

    protection.record_result(usdt(70), usdt(70), T0 + MINUTE)  # pushed: stake returned
    protection.check_bet(usdt(100), T0 + MINUTE)


def test_winnings_offset_losses_in_the_same_window() -> None:
    protection = PlayerProtection()
    protection.set_limit("loss", "day", usdt(100), T0)
    lose(protection, usdt(50), T0)
    protection.record_bet(usdt(10), T0)
    protection.record_result(usdt(10), usdt(40), T0)  # +30 net

    protection.check_bet(usdt(80), T0)  # worst case: -20 - 80 = -100
    with pytest.raises(LimitReached):
        protection.check_bet(usdt(80) + 1, T0)


def test_the_tightest_period_refuses() -> None:
    protection = PlayerProtection()
    protection.set_limit("loss", "day", usdt(500), T0)
    protection.set_limit("loss", "week", usdt(100), T0)
    with pytest.raises(LimitReached) as refused:
        protection.check_bet(usdt(101), T0)
    assert refused.value.period is LimitPeriod.WEEK


def test_lowering_a_limit_takes_effect_at_once() -> None:
    protection = PlayerProtection()
    protection.set_limit("loss", "day", usdt(100), T0)
    change = protection.set_limit("loss", "day", usdt(50), T0 + HOUR)

    assert change.immediate
    assert change.effective_at == T0 + HOUR
    assert change.previous == usdt(100)
    with pytest.raises(LimitReached):
        protection.check_bet(usdt(51), T0 + HOUR)


def test_raising_a_limit_waits_24_hours_and_is_visible_as_pending() -> None:
    protection = PlayerProtection()
    protection.set_limit("loss", "day", usdt(100), T0)
    change = protection.set_limit("loss", "day", usdt(200), T0)

    assert not change.immediate
    assert change.effective_at == T0 + DAY
    with pytest.raises(LimitReached):
        protection.check_bet(usdt(150), T0 + DAY - MINUTE)
    pending = _limit_status(protection, LimitKind.LOSS, LimitPeriod.DAY, T0 + HOUR)
    assert pending.amount == usdt(100)
    assert pending.pending is not None
    assert pending.pending.amount == usdt(200)
    assert pending.pending.effective_at == T0 + DAY

    protection.check_bet(usdt(150), T0 + DAY + SECOND)
    after = _limit_status(protection, LimitKind.LOSS, LimitPeriod.DAY, T0 + DAY + SECOND)
    assert after.amount == usdt(200)
    assert after.pending is None


def test_removing_a_limit_waits_24_hours() -> None:
    protection = PlayerProtection()
    protection.set_limit("deposit", "week", usdt(100), T0)
    change = protection.set_limit("deposit", "week", None, T0 + HOUR)

    assert not change.immediate
    with pytest.raises(LimitReached):
        protection.check_deposit(usdt(101), T0 + HOUR + DAY - SECOND)
    protection.check_deposit(usdt(10_000), T0 + HOUR + DAY)


def test_asking_for_a_different_raise_restarts_the_wait() -> None:
    protection = PlayerProtection()
    protection.set_limit("loss", "day", usdt(100), T0)
    protection.set_limit("loss", "day", usdt(300), T0)
    change = protection.set_limit("loss", "day", usdt(200), T0 + 20 * HOUR)

    assert change.effective_at == T0 + 44 * HOUR
    with pytest.raises(LimitReached):
        protection.check_bet(usdt(150), T0 + 30 * HOUR)


def test_asking_again_for_the_same_raise_keeps_its_time() -> None:
    protection = PlayerProtection()
    protection.set_limit("loss", "day", usdt(100), T0)
    protection.set_limit("loss", "day", usdt(300), T0)
    change = protection.set_limit("loss", "day", usdt(300), T0 + HOUR)
    assert change.effective_at == T0 + DAY


def test_lowering_cancels_a_pending_raise() -> None:
    protection = PlayerProtection()
    protection.set_limit("loss", "day", usdt(100), T0)
    protection.set_limit("loss", "day", usdt(300), T0)
    protection.set_limit("loss", "day", usdt(80), T0 + HOUR)
    with pytest.raises(LimitReached):
        protection.check_bet(usdt(81), T0 + 2 * DAY)


@pytest.mark.parametrize("amount", [-1, True, 1.5])
def test_a_limit_must_be_a_non_negative_integer(amount: object) -> None:
    with pytest.raises(InvalidLimit) as refused:
        protection = PlayerProtection()
        protection.set_limit("deposit", "day", amount, T0)  # type: ignore[arg-type]
    assert refused.value.code == "INVALID_LIMIT"


def test_a_zero_loss_limit_refuses_every_bet() -> None:
    protection = PlayerProtection()
    protection.set_limit("loss", "month", 0, T0)
    with pytest.raises(LimitReached):
        protection.check_bet(1, T0)


# --- rolling windows --------------------------------------------------------------------


def test_old_losses_stop_counting_after_24_hours_for_the_daily_limit_only() -> None:
    protection = PlayerProtection()
    protection.set_limit("loss", "day", usdt(100), T0)
    protection.set_limit("loss", "week", usdt(150), T0)
    lose(protection, usdt(100), T0)

    with pytest.raises(LimitReached) as refused:
        protection.check_bet(1, T0 + DAY - SECOND)
    assert refused.value.period is LimitPeriod.DAY
    protection.check_bet(usdt(50), T0 + DAY)
    with pytest.raises(LimitReached) as weekly:
        protection.check_bet(usdt(50) + 1, T0 + DAY)
    assert weekly.value.period is LimitPeriod.WEEK


def test_entries_within_a_minute_count_until_the_end_of_that_minute_plus_the_window() -> None:
    """Per-minute buckets round up: an entry never leaves its window early."""
    protection = PlayerProtection()
    protection.set_limit("loss", "day", usdt(100), T0)
    lose(protection, usdt(100), T0 + 30 * SECOND)

    with pytest.raises(LimitReached):
        protection.check_bet(1, T0 + DAY + 30 * SECOND)  # exactly 24 h later: still counts
    with pytest.raises(LimitReached):
        protection.check_bet(1, T0 + DAY + 59 * SECOND)
    protection.check_bet(usdt(100), T0 + DAY + MINUTE)


def test_state_keeps_only_the_last_30_days() -> None:
    protection = PlayerProtection()
    for day in range(60):
        at = T0 + day * DAY
        protection.record_deposit(usdt(1), at)
        lose(protection, usdt(1), at)
    # Days 30..59: an entry exactly 30 days old counts in no window any more.
    assert len(protection.deposits) == 30
    assert len(protection.results) == 30


# --- cool-off and self-exclusion --------------------------------------------------------


def test_cool_off_refuses_bets_and_deposits_until_its_end() -> None:
    protection = PlayerProtection()
    protection.start_cool_off(timedelta(hours=48), T0)
    end = T0 + timedelta(hours=48)

    with pytest.raises(CoolingOff) as refused:
        protection.check_bet(1, end - SECOND)
    assert refused.value.code == "COOLING_OFF"
    assert refused.value.until == end
    with pytest.raises(CoolingOff):
        protection.check_deposit(1, end - SECOND)
    protection.check_bet(1, end)
    protection.check_deposit(1, end)


def test_cool_off_cannot_be_shortened_or_lifted_but_can_be_extended() -> None:
    protection = PlayerProtection()
    protection.start_cool_off(timedelta(days=7), T0)

    with pytest.raises(CoolingOff):
        protection.start_cool_off(timedelta(days=1), T0 + DAY)  # would end at day 2
    with pytest.raises(CoolingOff):
        protection.lift_cool_off(T0 + DAY)
    assert protection.status(T0 + DAY).cool_off_until == T0 + 7 * DAY

    protection.start_cool_off(timedelta(days=14), T0 + DAY)
    assert protection.status(T0 + DAY).cool_off_until == T0 + 15 * DAY
    protection.lift_cool_off(T0 + 15 * DAY)  # over: nothing left to lift
    assert protection.status(T0 + 15 * DAY).cool_off_until is None


@pytest.mark.parametrize(
    "duration", [timedelta(hours=23), timedelta(weeks=6) + SECOND, timedelta(0)]
)
def test_cool_off_duration_is_24_hours_to_6_weeks(duration: timedelta) -> None:
    protection = PlayerProtection()
    with pytest.raises(InvalidLimit):
        protection.start_cool_off(duration, T0)
    protection.start_cool_off(timedelta(hours=24), T0)
    protection.start_cool_off(timedelta(weeks=6), T0)


def test_self_exclusion_refuses_bets_and_deposits_and_cannot_be_lifted_or_shortened() -> None:
    protection = PlayerProtection()
    protection.self_exclude(timedelta(days=365), T0)
    end = T0 + timedelta(days=365)

    with pytest.raises(SelfExcluded) as refused:
        protection.check_bet(1, end - SECOND)
    assert refused.value.code == "SELF_EXCLUDED"
    with pytest.raises(SelfExcluded):
        protection.check_deposit(1, end - SECOND)
    with pytest.raises(SelfExcluded):
        protection.lift_self_exclusion(T0 + DAY)
    with pytest.raises(SelfExcluded):
        protection.self_exclude(timedelta(days=200), T0 + DAY)
    protection.self_exclude(timedelta(days=400), T0 + DAY)
    assert protection.status(T0).self_excluded_until == T0 + timedelta(days=401)
    protection.check_bet(1, T0 + timedelta(days=401))


def test_self_exclusion_takes_precedence_over_cool_off() -> None:
    protection = PlayerProtection()
    protection.start_cool_off(timedelta(days=2), T0)
    protection.self_exclude(timedelta(days=200), T0)
    with pytest.raises(SelfExcluded):
        protection.check_bet(1, T0 + HOUR)


@pytest.mark.parametrize(
    "duration", [timedelta(days=150), timedelta(days=7 * 365), timedelta(days=1828)]
)
def test_self_exclusion_lasts_6_months_to_5_years(duration: timedelta) -> None:
    protection = PlayerProtection()
    with pytest.raises(InvalidLimit):
        protection.self_exclude(duration, T0)
    protection.self_exclude(timedelta(days=181), T0)
    protection.self_exclude(timedelta(days=1827), T0)


# --- reality checks ---------------------------------------------------------------------


def play_every_minute(protection: PlayerProtection, start: datetime, minutes: int) -> None:
    for minute in range(minutes):
        at = start + minute * MINUTE
        protection.check_bet(usdt(1), at)
        protection.record_bet(usdt(1), at)
        protection.record_result(usdt(1), usdt(2) if minute % 3 == 0 else 0, at + 20 * SECOND)


def test_reality_check_is_due_after_30_minutes_of_play_and_blocks_bets() -> None:
    protection = PlayerProtection()
    play_every_minute(protection, T0, 30)  # minutes 0..29, 10 wins and 20 losses
    assert protection.reality_check(T0 + 30 * MINUTE - SECOND) is None

    with pytest.raises(RealityCheckDue) as refused:
        protection.check_bet(usdt(1), T0 + 30 * MINUTE)
    check = refused.value.reality_check
    assert refused.value.code == "REALITY_CHECK_DUE"
    assert check.reason == "interval"
    assert check.due_at == T0 + 30 * MINUTE
    assert check.time_played == 30 * MINUTE
    assert check.net_result == usdt(10) - usdt(20)
    assert check.session_started_at == T0

    protection.acknowledge_reality_check(T0 + 31 * MINUTE)
    protection.check_bet(usdt(1), T0 + 31 * MINUTE)
    assert protection.status(T0 + 31 * MINUTE).next_reality_check_at == T0 + 61 * MINUTE


def test_net_result_restarts_after_acknowledgement() -> None:
    protection = PlayerProtection()
    play_every_minute(protection, T0, 30)
    protection.acknowledge_reality_check(T0 + 30 * MINUTE)
    play_every_minute(protection, T0 + 30 * MINUTE, 30)
    check = protection.reality_check(T0 + 60 * MINUTE)
    assert check is not None
    assert check.net_result == -usdt(10)
    assert check.time_played == 30 * MINUTE


def test_acknowledging_before_a_check_is_due_does_not_postpone_it() -> None:
    protection = PlayerProtection()
    play_every_minute(protection, T0, 20)
    protection.acknowledge_reality_check(T0 + 20 * MINUTE)
    play_every_minute(protection, T0 + 20 * MINUTE, 10)
    assert protection.reality_check(T0 + 30 * MINUTE) is not None


def test_a_break_longer_than_the_idle_gap_starts_a_new_session() -> None:
    protection = PlayerProtection()
    play_every_minute(protection, T0, 10)  # last play at 9:20
    # Still within the idle gap at 30:00: the check is due, and stays due until acknowledged.
    assert protection.reality_check(T0 + 30 * MINUTE) is not None
    assert protection.reality_check(T0 + 3 * HOUR) is not None

    other = PlayerProtection()
    other.record_bet(usdt(1), T0)
    other.record_result(usdt(1), 0, T0)  # idle from T0: the session ends at 30:00
    assert other.reality_check(T0 + 30 * MINUTE) is None
    other.check_bet(usdt(1), T0 + 45 * MINUTE)
    other.record_bet(usdt(1), T0 + 45 * MINUTE)
    assert other.status(T0 + 45 * MINUTE).next_reality_check_at == T0 + 75 * MINUTE


def test_nothing_is_due_before_any_play() -> None:
    protection = PlayerProtection()
    assert protection.reality_check(T0) is None
    protection.acknowledge_reality_check(T0)  # nothing to acknowledge: no effect
    assert protection.status(T0).next_reality_check_at is None


# --- loss velocity ----------------------------------------------------------------------


def test_rapid_loss_forces_a_reality_check_and_slows_play() -> None:
    protection = PlayerProtection()
    protection.record_bet(usdt(300), T0)
    protection.record_bet(usdt(201), T0)
    protection.record_result(usdt(300), 0, T0 + MINUTE)
    assert protection.reality_check(T0 + MINUTE) is None
    # 501 USDT lost in 10 minutes: above 50 USDT per minute.
    protection.record_result(usdt(201), 0, T0 + 2 * MINUTE)
    triggered = T0 + 2 * MINUTE

    with pytest.raises(RealityCheckDue) as refused:
        protection.check_bet(usdt(1), triggered)
    assert refused.value.reality_check.reason == "loss_velocity"
    assert refused.value.reality_check.net_result == -usdt(501)

    protection.acknowledge_reality_check(triggered)
    protection.check_bet(usdt(1), triggered)
    protection.record_bet(usdt(1), triggered)
    with pytest.raises(TooFast) as too_fast:
        protection.check_bet(usdt(1), triggered + 9 * SECOND)
    assert too_fast.value.code == "TOO_FAST"
    assert too_fast.value.retry_at == triggered + 10 * SECOND
    protection.check_bet(usdt(1), triggered + 10 * SECOND)

    status = protection.status(triggered)
    assert status.slowed_until == triggered + 15 * MINUTE
    assert status.loss_velocity_per_minute == usdt(501) // 10
    # After 15 minutes play is no longer slowed.
    protection.record_bet(usdt(1), triggered + 15 * MINUTE - SECOND)
    protection.check_bet(usdt(1), triggered + 15 * MINUTE)


def test_losses_at_exactly_the_threshold_do_not_trigger() -> None:
    protection = PlayerProtection()
    lose(protection, usdt(500), T0)  # 50 USDT per minute over 10 minutes: not above
    assert protection.reality_check(T0) is None
    assert protection.status(T0).slowed_until is None


def test_losing_a_quarter_of_the_days_deposits_in_ten_minutes_triggers() -> None:
    protection = PlayerProtection()
    protection.record_deposit(usdt(100), T0)
    lose(protection, usdt(25), T0 + MINUTE)
    assert protection.reality_check(T0 + MINUTE) is None
    lose(protection, 1, T0 + 2 * MINUTE)
    assert protection.reality_check(T0 + 2 * MINUTE) is not None
    assert protection.status(T0 + 2 * MINUTE).slowed_until == T0 + 17 * MINUTE


def test_further_rapid_losses_extend_slowed_play_without_repeating_the_check() -> None:
    protection = PlayerProtection()
    lose(protection, usdt(501), T0)
    protection.acknowledge_reality_check(T0)
    lose(protection, usdt(1), T0 + 5 * MINUTE)
    assert protection.reality_check(T0 + 5 * MINUTE) is None
    assert protection.status(T0 + 5 * MINUTE).slowed_until == T0 + 20 * MINUTE


def test_losses_spread_over_more_than_the_window_do_not_trigger() -> None:
    protection = PlayerProtection()
    for minute in range(0, 40, 10):
        lose(protection, usdt(400), T0 + minute * MINUTE)
    assert protection.status(T0 + 30 * MINUTE).slowed_until is None


# --- prompt, validation, snapshot -------------------------------------------------------


def test_limit_prompt_is_needed_until_seen() -> None:
    protection = PlayerProtection()
    assert protection.needs_limit_prompt()
    protection.record_limit_prompt_seen(T0)
    assert not protection.needs_limit_prompt()
    assert not protection.status(T0).needs_limit_prompt


def test_times_must_be_aware_utc_and_amounts_positive_integers() -> None:
    protection = PlayerProtection()
    with pytest.raises(ValueError):
        protection.check_bet(1, datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError):
        protection.check_bet(0, T0)
    with pytest.raises(ValueError):
        protection.record_deposit(-5, T0)


def build_busy_state() -> PlayerProtection:
    protection = PlayerProtection()
    protection.record_limit_prompt_seen(T0)
    protection.set_limit("loss", "day", usdt(1_000), T0)
    protection.set_limit("loss", "day", usdt(2_000), T0 + HOUR)
    protection.set_limit("deposit", "month", usdt(5_000), T0)
    protection.record_deposit(usdt(800), T0)
    play_every_minute(protection, T0, 25)
    protection.record_bet(usdt(200), T0 + 25 * MINUTE)
    lose(protection, usdt(600), T0 + 26 * MINUTE)  # velocity: forced check, slowed play
    protection.start_cool_off(timedelta(hours=30), T0 + 27 * MINUTE)
    return protection


def test_snapshot_round_trip_preserves_state_and_behaviour() -> None:
    original = build_busy_state()
    restored = PlayerProtection.from_dict(json.loads(json.dumps(original.to_dict())))

    assert restored.to_dict() == original.to_dict()
    for offset in [0 * MINUTE, 30 * MINUTE, 30 * HOUR, 30 * HOUR + 10 * MINUTE, 3 * DAY]:
        at = T0 + 27 * MINUTE + offset
        assert restored.status(at) == original.status(at)
        for stake in [1, usdt(150), usdt(2_000)]:
            assert _outcome(restored, stake, at) == _outcome(original, stake, at)


# --- never faster -----------------------------------------------------------------------

stakes = st.sampled_from([1, usdt(5), usdt(60), usdt(400)])
deposit = st.tuples(st.just("deposit"), stakes)
bet = st.tuples(st.just("bet"), stakes)
loss = st.tuples(st.just("lose"), st.integers(min_value=0, max_value=5))
limit = st.tuples(
    st.just("limit"),
    st.sampled_from(list(LimitKind)),
    st.sampled_from(list(LimitPeriod)),
    st.one_of(st.none(), st.sampled_from([0, usdt(50), usdt(300), usdt(2_000)])),
)
cool_off = st.tuples(st.just("cool_off"), st.integers(min_value=24, max_value=24 * 42))
exclude = st.tuples(st.just("exclude"), st.integers(min_value=181, max_value=1827))
acknowledge = st.tuples(st.just("acknowledge"))
win = st.tuples(st.just("win"), st.integers(min_value=0, max_value=5))
# Weighted by repetition: cool-off and exclusion end play for long, so they come rarely.
actions = st.sampled_from(
    [bet] * 40
    + [loss] * 36
    + [limit] * 16
    + [deposit] * 12
    + [acknowledge] * 24
    + [win] * 6
    + [cool_off, exclude]
).flatmap(lambda action: action)
steps = st.tuples(st.sampled_from([0, 0, 1, 5, 30, 300, 900, 1_800, 3_600 * 5, 86_400]), actions)
PROBE_OFFSETS = [0 * SECOND, SECOND, 9 * SECOND, MINUTE, 15 * MINUTE, 31 * MINUTE, 23 * HOUR]
PROBE_STAKES = [1, usdt(40), usdt(250)]


@settings(max_examples=200, deadline=None)
@given(st.lists(steps, min_size=20, max_size=60))
def test_no_action_but_acknowledging_or_winning_ever_allows_a_bet_or_deposit_sooner(
    sequence: list[tuple[int, tuple[object, ...]]],
) -> None:
    """Deposits, bets, losses, limit changes, cool-offs and exclusions only ever refuse
    more, within the next 24 hours: no wait gets shorter, no reality check goes away and no
    limit rises at once. (Acknowledging a check and winning are the player's own loosening
    moves; they are applied but not checked.)"""
    protection = PlayerProtection()
    open_bets: list[int] = []
    at = T0
    for seconds, action in sequence:
        at += timedelta(seconds=seconds)
        if action[0] in ("acknowledge", "win"):
            _apply(protection, open_bets, action, at)
            continue
        before = PlayerProtection.from_dict(protection.to_dict())
        _apply(protection, open_bets, action, at)
        for offset in PROBE_OFFSETS:
            probe = at + offset
            _assert_no_rule_looser(before, protection, probe, action)
            if before.reality_check(probe) is not None:
                assert protection.reality_check(probe) is not None, (action, offset)
            # A due reality check refuses everything; look past it so that it cannot hide
            # a limit or a wait that moved.
            acknowledged_before = _acknowledged_copy(before, probe)
            acknowledged_after = _acknowledged_copy(protection, probe)
            for amount in PROBE_STAKES:
                if _outcome(acknowledged_after, amount, probe) is None:
                    assert _outcome(acknowledged_before, amount, probe) is None, (
                        action,
                        offset,
                        amount,
                    )
                if _deposit_outcome(protection, amount, probe) is None:
                    assert _deposit_outcome(before, amount, probe) is None, (action, offset)


def _assert_no_rule_looser(
    before: PlayerProtection, after: PlayerProtection, at: datetime, action: object
) -> None:
    """Rule by rule, so that one refusal (a long cool-off, say) cannot hide another."""
    was, now = before.status(at), after.status(at)
    for old_limit, new_limit in zip(was.limits, now.limits, strict=True):
        assert _at_most(new_limit.amount, old_limit.amount), (action, new_limit, old_limit)
        assert _at_most(new_limit.remaining, old_limit.remaining), (action, new_limit)
    for old_end, new_end in [
        (was.cool_off_until, now.cool_off_until),
        (was.self_excluded_until, now.self_excluded_until),
        (was.slowed_until, now.slowed_until),
        (was.next_bet_at, now.next_bet_at),
    ]:
        assert old_end is None or (new_end is not None and new_end >= old_end), action


def _at_most(new: int | None, old: int | None) -> bool:
    """`None` is no limit: nothing is above it."""
    return old is None or (new is not None and new <= old)


def _acknowledged_copy(protection: PlayerProtection, at: datetime) -> PlayerProtection:
    copy = PlayerProtection.from_dict(protection.to_dict())
    copy.acknowledge_reality_check(at)
    return copy


def _apply(
    protection: PlayerProtection, open_bets: list[int], action: tuple[object, ...], at: datetime
) -> None:
    match action:
        case ("deposit", int(amount)):
            protection.record_deposit(amount, at)
        case ("bet", int(stake)):
            try:
                protection.check_bet(stake, at)
            except ProtectionRefused:
                return
            protection.record_bet(stake, at)
            open_bets.append(stake)
        case ("lose" | "win" as outcome, int(index)):
            if open_bets:
                stake = open_bets.pop(index % len(open_bets))
                protection.record_result(stake, 0 if outcome == "lose" else 2 * stake, at)
        case ("limit", LimitKind() as kind, LimitPeriod() as period, amount):
            assert amount is None or isinstance(amount, int)
            protection.set_limit(kind, period, amount, at)
        case ("cool_off", int(hours)):
            with contextlib.suppress(CoolingOff):
                protection.start_cool_off(timedelta(hours=hours), at)
        case ("exclude", int(days)):
            with contextlib.suppress(SelfExcluded):
                protection.self_exclude(timedelta(days=days), at)
        case ("acknowledge",):
            protection.acknowledge_reality_check(at)
        case _:
            raise AssertionError(action)


def _outcome(protection: PlayerProtection, stake: int, at: datetime) -> str | None:
    try:
        protection.check_bet(stake, at)
    except ProtectionRefused as refused:
        return refused.code
    return None


def _deposit_outcome(protection: PlayerProtection, amount: int, at: datetime) -> str | None:
    try:
        protection.check_deposit(amount, at)
    except ProtectionRefused as refused:
        return refused.code
    return None


def _limit_status(
    protection: PlayerProtection, kind: LimitKind, period: LimitPeriod, at: datetime
) -> LimitStatus:
    return next(
        limit
        for limit in protection.status(at).limits
        if limit.kind is kind and limit.period is period
    )
