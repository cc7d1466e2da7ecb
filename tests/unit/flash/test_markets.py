"""Seed 001's collapse rules as pure functions: slots, ids, the clamp, the halt, the winner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.flash.markets import (
    PPM,
    Collapse,
    CollapseType,
    FlashError,
    FlashMarket,
    NodeLevel,
    ProbabilitySource,
    Resolution,
    check_price_clamp,
    decide_collapse,
    flash_market_id,
    max_probability_outcome,
    should_halt,
    slot_of,
    slot_start,
    to_ppm,
    validate_outcomes,
    validate_window,
    window_move,
)

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def market(**changes: object) -> FlashMarket:
    values: dict[str, object] = {
        "market_id": "fm_test",
        "parent_id": "fg_period",
        "level": NodeLevel.FLASH,
        "depth": 2,
        "title": "Goal in the next 60 s?",
        "sport": "SOCCER",
        "event_id": "game",
        "market_type": "GOAL_IN_60S",
        "source_market": None,
        "outcomes": ("NO", "YES"),
        "opening_probabilities": (700_000, 300_000),
        "probability_source": ProbabilitySource.MODEL,
        "opened_at": T0,
        "deadline": T0 + timedelta(seconds=60),
        "liquidity": 1_000,
        "fee_bps": 100,
        "prices": (700_000, 300_000),
    }
    values.update(changes)
    return FlashMarket(**values)  # type: ignore[arg-type]


def test_slots_are_400_ms_from_the_epoch() -> None:
    slot = slot_of(T0)
    assert slot_start(slot) == T0  # 12:00 is a whole number of 400 ms slots
    assert slot_of(T0 + timedelta(milliseconds=399)) == slot
    assert slot_of(T0 + timedelta(milliseconds=400)) == slot + 1
    assert slot_of(T0 - timedelta(milliseconds=1)) == slot - 1


def test_ids_are_deterministic_and_differ_per_window() -> None:
    first = flash_market_id("SOCCER", "game", "GOAL_IN_60S", T0)
    assert first == flash_market_id("SOCCER", "game", "GOAL_IN_60S", T0)
    assert first.startswith("fm_") and len(first) == 23
    assert first != flash_market_id("SOCCER", "game", "GOAL_IN_60S", T0 + timedelta(seconds=60))
    assert first != flash_market_id("SOCCER", "game", "GOAL_IN_30S", T0)
    assert first != flash_market_id("BASKETBALL", "game", "GOAL_IN_60S", T0)


def test_settle_slot_is_the_end_of_the_resolution_window() -> None:
    flash = market()
    assert flash.settle_slot == slot_of(T0 + timedelta(seconds=70))


def test_clamp_allows_two_points_per_elapsed_slot() -> None:
    slot = 1_000
    check_price_clamp(500_000, 520_000, slot - 1, slot)  # exactly 2 %
    with pytest.raises(FlashError) as refused:
        check_price_clamp(500_000, 520_001, slot - 1, slot)
    assert refused.value.code == "PRICE_CLAMP"
    # Three slots since the last trade: 6 % is fine, downwards too.
    check_price_clamp(500_000, 440_000, slot - 3, slot)
    with pytest.raises(FlashError):
        check_price_clamp(500_000, 439_999, slot - 3, slot)
    # A second trade in the same slot still gets one slot's allowance.
    check_price_clamp(500_000, 515_000, slot, slot)


def test_halt_when_a_price_moved_more_than_five_points_over_four_slots() -> None:
    history = [(10, (500_000, 500_000)), (11, (520_000, 480_000)), (12, (540_000, 460_000))]
    assert window_move(history, 12) == 40_000
    assert not should_halt(history, 12)
    history.append((13, (550_001, 449_999)))
    assert window_move(history, 13) == 50_001
    assert should_halt(history, 13)
    # Four slots later the last sample before the window is the only one: calm again.
    assert not should_halt(history, 17)
    # Exactly 5 % does not halt.
    assert not should_halt([(10, (500_000, 500_000)), (12, (550_000, 450_000))], 12)


def test_the_window_starts_from_the_last_price_before_it() -> None:
    # The market traded at slot 3 and not since; a trade at slot 9 compares against slot 3.
    history = [(3, (500_000, 500_000)), (9, (560_000, 440_000))]
    assert should_halt(history, 9)


def test_max_probability_with_the_lexical_tie_rule() -> None:
    assert max_probability_outcome(("NO", "YES"), (400_000, 600_000)) == ("YES", 600_000)
    assert max_probability_outcome(("YES", "NO"), (500_000, 500_000)) == ("NO", 500_000)
    assert max_probability_outcome(("HOME", "DRAW", "AWAY"), (400_000, 200_000, 400_000)) == (
        "AWAY",
        400_000,
    )


def test_attested_outcome_wins_over_probability() -> None:
    flash = market(last_trade_slot=slot_of(T0), prices=(900_000, 100_000))
    flash.resolution = Resolution("YES", "quorum-proposal", T0 + timedelta(seconds=20))
    collapse = decide_collapse(flash, T0 + timedelta(seconds=20))
    assert collapse == Collapse(
        "quorum-proposal", "YES", 100_000, CollapseType.SETTLE_SLOT, T0 + timedelta(seconds=20)
    )


def test_without_attestation_the_settle_slot_takes_max_probability() -> None:
    flash = market(last_trade_slot=slot_of(T0), prices=(500_000, 500_000))
    collapse = decide_collapse(flash, T0 + timedelta(seconds=70))
    assert collapse.collapse_type is CollapseType.MAX_PROBABILITY
    assert collapse.winning_outcome == "NO"  # tie: "NO" < "YES"
    assert collapse.probability == 500_000
    assert collapse.proposal_id.startswith("auto-")


def test_emergency_collapse_keeps_the_rules_but_says_emergency() -> None:
    traded = market(last_trade_slot=slot_of(T0), prices=(200_000, 800_000))
    assert decide_collapse(traded, T0, emergency=True).collapse_type is CollapseType.EMERGENCY
    assert decide_collapse(traded, T0, emergency=True).winning_outcome == "YES"
    traded.resolution = Resolution("NO", "p", T0)
    emergency = decide_collapse(traded, T0, emergency=True)
    assert (emergency.winning_outcome, emergency.collapse_type) == ("NO", CollapseType.EMERGENCY)
    assert decide_collapse(traded, T0, emergency=True, void=True).winning_outcome is None


def test_no_quorum_and_no_price_history_voids() -> None:
    untraded = market()
    collapse = decide_collapse(untraded, T0 + timedelta(seconds=70))
    assert collapse.winning_outcome is None and collapse.collapse_type is None


def test_ppm_rounding_sums_to_one() -> None:
    assert to_ppm([1 / 3, 1 / 3, 1 / 3]) == (333_333, 333_333, 333_334)
    assert sum(to_ppm([0.123456789, 0.876543211])) == PPM


def test_windows_and_outcomes_are_validated() -> None:
    validate_window(T0, T0 + timedelta(seconds=5))
    validate_window(T0, T0 + timedelta(seconds=300))
    for seconds in (4, 301):
        with pytest.raises(FlashError) as refused:
            validate_window(T0, T0 + timedelta(seconds=seconds))
        assert refused.value.code == "INVALID_FLASH_MARKET"
    validate_outcomes(("NO", "YES"), (400_000, 600_000))
    for outcomes, probabilities in (
        (("YES",), (PPM,)),
        (("YES", "YES"), (500_000, 500_000)),
        (("NO", "YES"), (400_000, 500_000)),
        (("NO", "YES"), (0, PPM)),
    ):
        with pytest.raises(FlashError):
            validate_outcomes(outcomes, probabilities)


def test_worst_case_loss_is_what_the_house_owes_beyond_the_stakes() -> None:
    flash = market(liability={"NO": 3_000_000, "YES": 1_000_000}, net_stakes=2_500_000)
    assert flash.worst_case_loss() == 500_000
    flash.net_stakes = 4_000_000
    assert flash.worst_case_loss() == 0
