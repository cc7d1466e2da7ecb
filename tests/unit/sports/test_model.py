"""The universal id, market ids and fixture ids."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from engine.oracle.sports.model import (
    MalformedSportsPayload,
    MarketKind,
    Outcome,
    Sport,
    UniversalId,
    UnknownMarket,
    UnknownSport,
    fixture_event_id,
    market_id,
    market_outcomes,
    parse_market_id,
    parse_sport,
    universal_id,
)


def test_universal_id_reads_the_seed_example() -> None:
    uid = UniversalId.parse("DRAFTKINGS:SOCCER:12345:NEXT_GOAL:1626379200")
    assert uid == UniversalId("DRAFTKINGS", Sport.SOCCER, "12345", "NEXT_GOAL", 1626379200)
    assert str(uid) == "DRAFTKINGS:SOCCER:12345:NEXT_GOAL:1626379200"


def test_universal_id_is_built_from_unix_seconds() -> None:
    at = datetime(2021, 7, 15, 20, tzinfo=UTC)
    uid = universal_id("draftkings", Sport.SOCCER, "12345", "NEXT_GOAL", at)
    assert str(uid) == "DRAFTKINGS:SOCCER:12345:NEXT_GOAL:1626379200"


@pytest.mark.parametrize(
    "text",
    [
        "DRAFTKINGS:SOCCER:12345:NEXT_GOAL",  # four parts
        "DRAFTKINGS:SOCCER:12:34:NEXT_GOAL:1626379200",  # a separator inside a part
        "DRAFTKINGS:SOCCER:12345:NEXT_GOAL:-5",
        "DRAFTKINGS:SOCCER:12345:NEXT_GOAL:soon",
        "DRAFTKINGS:SOCCER::NEXT_GOAL:1626379200",
        "draftkings:SOCCER:12345:NEXT_GOAL:1626379200",
    ],
)
def test_malformed_universal_ids_are_refused(text: str) -> None:
    with pytest.raises(MalformedSportsPayload):
        UniversalId.parse(text)


def test_an_unknown_sport_is_a_typed_error() -> None:
    assert parse_sport(" soccer ") is Sport.SOCCER
    with pytest.raises(UnknownSport):
        parse_sport("CURLING")
    with pytest.raises(UnknownSport):
        UniversalId.parse("DRAFTKINGS:CURLING:1:MATCH_WINNER:1626379200")


def test_totals_carry_their_half_line() -> None:
    assert market_id(MarketKind.TOTAL_GOALS, Decimal("2.50")) == "TOTAL_GOALS_2.5"
    assert parse_market_id("TOTAL_POINTS_220.5") == (MarketKind.TOTAL_POINTS, Decimal("220.5"))
    assert parse_market_id("NEXT_GOAL") == (MarketKind.NEXT_GOAL, None)


@pytest.mark.parametrize("line", ["2", "2.25", "-1.5", "21.5", "0"])
def test_lines_that_could_push_or_are_absurd_are_refused(line: str) -> None:
    with pytest.raises(UnknownMarket):
        market_id(MarketKind.TOTAL_GOALS, Decimal(line))


def test_market_outcomes_are_in_canonical_order_per_sport() -> None:
    assert market_outcomes(Sport.SOCCER, MarketKind.MATCH_WINNER) == (
        Outcome.HOME,
        Outcome.DRAW,
        Outcome.AWAY,
    )
    assert market_outcomes(Sport.TENNIS, MarketKind.MATCH_WINNER) == (Outcome.HOME, Outcome.AWAY)
    with pytest.raises(UnknownMarket):
        market_outcomes(Sport.TENNIS, MarketKind.NEXT_GOAL)


def test_fixture_ids_are_the_kick_off_and_both_sides() -> None:
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert fixture_event_id(start, "Atlético Norte", "St. Eastham") == (
        "20260101T120000Z-atletico-norte-v-st-eastham"
    )
    with pytest.raises(MalformedSportsPayload):
        fixture_event_id(start, "???", "Eastham")
