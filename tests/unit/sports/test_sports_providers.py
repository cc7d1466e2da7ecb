"""Simulated sportsbooks: their feeds go through the real parsers, with faults and signatures."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from engine.clock import ManualClock
from engine.oracle.sports.adapters import ADAPTERS, decode_feed_body
from engine.oracle.sports.model import EventStatus, ProviderName, Sport
from engine.oracle.sports.odds import american_to_probability, decimal_to_probability
from engine.sim.games import GameSchedule
from engine.sim.sports_providers import (
    DEMO_PROFILES,
    SimulatedSportsProvider,
    american_odds,
    build_demo_sports_oracle,
    decimal_odds,
)
from tests.unit.sports.helpers import ClockSleep

EPOCH = datetime(2026, 3, 1, 18, tzinfo=UTC)


def quiet(provider: ProviderName) -> Any:
    """A profile without outages, 429s or corrupted markets."""
    return replace(
        DEMO_PROFILES[provider], outage_chance=0.0, rate_limit_chance=0.0, corrupt_market_chance=0.0
    )


def test_every_simulated_feed_parses_cleanly_and_matches_the_game() -> None:
    clock = ManualClock(EPOCH)
    schedule = GameSchedule(9, EPOCH)
    books = [SimulatedSportsProvider(quiet(p), schedule, clock, 9) for p in ProviderName]
    statuses: set[EventStatus] = set()
    sports: set[Sport] = set()
    for _ in range(16):
        clock.advance(timedelta(seconds=331))
        for book in books:
            observed = clock.now() - book.profile.lag
            truth = {g.event_id: g.state_at(observed) for g in schedule.games_at(observed)}
            feed = ADAPTERS[book.provider].parse_feed(
                decode_feed_body(book.feed_body()), clock.now()
            )
            assert feed.rejections == ()
            assert {s.event_id for s in feed.snapshots} == set(truth)
            for snapshot in feed.snapshots:
                state = truth[snapshot.event_id]
                assert (snapshot.status, snapshot.clock, snapshot.score) == (
                    state.status,
                    state.clock,
                    state.score,
                ), book.provider
                assert {m.market for m in snapshot.markets} == set(state.markets)
                statuses.add(state.status)
                sports.add(state.sport)
    assert statuses == set(EventStatus)
    assert sports == set(Sport)


def test_quotes_carry_the_books_margin_around_the_fair_price() -> None:
    clock = ManualClock(EPOCH + timedelta(minutes=20))
    schedule = GameSchedule(4, EPOCH)
    book = SimulatedSportsProvider(quiet(ProviderName.BETMGM), schedule, clock, 4)
    feed = ADAPTERS[book.provider].parse_feed(decode_feed_body(book.feed_body()), clock.now())
    observed = clock.now() - book.profile.lag
    truth = {g.event_id: g.state_at(observed) for g in schedule.games_at(observed)}
    compared = 0
    for snapshot in feed.snapshots:
        for market in snapshot.markets:
            if market.suspended:
                continue
            favourite = max(o.implied_probability for o in market.outcomes)
            if favourite < Fraction(9, 10):  # a capped favourite takes less margin
                assert float(market.overround) == pytest.approx(0.06, abs=0.02)
            for quoted in market.outcomes:
                fair = truth[snapshot.event_id].markets[market.market][quoted.outcome]
                assert float(quoted.fair_probability) == pytest.approx(fair, abs=0.05)
                compared += 1
    assert compared > 50


def test_the_same_seed_and_clock_give_the_same_bytes() -> None:
    clock = ManualClock(EPOCH + timedelta(minutes=7))
    bodies = [
        SimulatedSportsProvider(
            DEMO_PROFILES[ProviderName.FANDUEL], GameSchedule(2, EPOCH), clock, 2
        ).feed_body()
        for _ in range(2)
    ]
    assert bodies[0] == bodies[1]


def test_outages_answer_503_and_rate_limits_answer_429_with_retry_after() -> None:
    clock = ManualClock(EPOCH)
    schedule = GameSchedule(2, EPOCH)
    profile = replace(
        DEMO_PROFILES[ProviderName.DRAFTKINGS], outage_chance=1.0, rate_limit_chance=0.0
    )
    down = SimulatedSportsProvider(profile, schedule, clock, 2)
    window = [EPOCH + timedelta(seconds=s) for s in range(600)]
    outage = [at for at in window if down.in_outage(at)]
    # One outage per ten-minute window, of 20 to 60 s.
    assert 20 <= len(outage) <= 60
    assert outage == [outage[0] + timedelta(seconds=s) for s in range(len(outage))]
    clock.advance(outage[0] - clock.now())
    assert down.respond().status_code == 503
    clock.advance(timedelta(seconds=len(outage)))
    assert down.respond().status_code == 200
    limited = SimulatedSportsProvider(
        replace(DEMO_PROFILES[ProviderName.BETMGM], outage_chance=0.0, rate_limit_chance=1.0),
        schedule,
        clock,
        2,
    )
    response = limited.respond()
    assert (response.status_code, response.retry_after) == (429, "2")


def test_book_odds_round_the_way_books_do() -> None:
    assert american_odds(0.6) == -150
    assert american_odds(0.4) == 150
    assert american_odds(0.5) == -100
    assert american_odds(0.9999) == -100_000
    assert decimal_odds(0.4) == 2.5
    assert decimal_odds(0.41) == 2.43  # 2.439... rounded down: the book keeps the edge
    assert decimal_odds(0.999) == 1.01
    for implied in (0.003, 0.2, 0.5, 0.77, 0.98):
        assert american_to_probability(american_odds(implied)) == pytest.approx(implied, rel=0.02)
        assert float(decimal_to_probability(decimal_odds_exact(implied))) >= implied


def decimal_odds_exact(implied: float) -> Decimal:
    return Decimal(repr(decimal_odds(implied)))


async def test_the_demo_oracle_serves_live_events_and_finalises_outcomes() -> None:
    clock = ManualClock(EPOCH)
    sleep = ClockSleep(clock)
    published: list[tuple[str, dict[str, Any]]] = []

    async def publish(topic: str, event: dict[str, Any]) -> None:
        published.append((topic, event))

    oracle = build_demo_sports_oracle(clock, publish, seed=21, sleep=sleep)
    await oracle.poll_once()
    clock.advance(timedelta(minutes=6))  # some of the games running at the start end
    for _ in range(3):
        await oracle.poll_once()
        await oracle.refresh()
        clock.advance(timedelta(seconds=2))
    events = oracle.live_events()
    assert {event.sport for event in events} == set(Sport)
    live = [event for event in events if event.status is EventStatus.LIVE and not event.stale]
    assert live
    assert any(market.available for event in live for market in event.markets)
    finals = [event for topic, event in published if topic == "outcome.final"]
    assert finals
    schedule = GameSchedule(21, EPOCH)
    ended = {
        g.event_id: g for g in schedule.games_ended_between(EPOCH - timedelta(hours=1), clock.now())
    }
    for final in finals:
        game = ended[final["eventId"]]
        assert game.state_at(game.end_time).results[final["market"]].value == final["outcome"]
    assert oracle.disputes() == []
    assert oracle.rejected_signatures == 0
    assert {topic.split(".")[0] for topic, _ in published} == {"live_event", "outcome"}
