"""The street driver with a ManualClock: it lists the offers in the engine, and settles each
market after its window and the observers' reporting delay with the engine's 2-of-3 verdict,
the same as `resolve(market, observe(...))`."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from engine.clock import ManualClock
from engine.flash.micro import resolve
from engine.flash.street_driver import StreetDriver, StreetDriverTask
from engine.sim.street import REPORTING_DELAY, observe
from engine.trading.commands import Command, OpenMicroMarket, SettleMicroMarket
from engine.trading.events import MicroBetSettled
from engine.trading.exchange import Outcome
from tests.unit.flash.play_venue import T0, PlayVenue


def test_the_driver_lists_offers_and_settles_them_by_consensus() -> None:
    venue = PlayVenue()
    clock = ManualClock(T0)
    driver = StreetDriver(lambda: venue.exchange.micro, seed=7)
    session_id = venue.open_session("alice", 1_000, T0)

    listed = driver.step(clock.now())
    assert listed and all(isinstance(c, OpenMicroMarket) for c in listed)
    for command in listed:
        assert venue.do(command).accepted
    assert driver.step(clock.now()) == []  # nothing twice
    first = venue.exchange.micro_offers(T0)
    # The session's bucket allows a burst of 3, then one bet every 6 s.
    latest_first = sorted(first, key=lambda m: m.opens_at, reverse=True)[:5]
    for index, market in enumerate(latest_first):
        outcome = market.outcomes[0].label
        at = T0 + timedelta(seconds=1 + 7 * index)
        assert venue.micro_bet("alice", session_id, market, outcome, 1, at).accepted

    settled_events: list[MicroBetSettled] = []
    for _ in range(12 * 12):  # 12 minutes, every 5 s
        clock.advance(timedelta(seconds=5))
        for command in driver.step(clock.now()):
            if isinstance(command, SettleMicroMarket):
                market = venue.exchange.micro.market(command.market_id)
                assert market is not None
                assert command.at >= market.closes_at + REPORTING_DELAY
            outcome = venue.do(command)
            assert outcome.accepted, (outcome.code, outcome.message)
            settled_events += [e for e in outcome.events if isinstance(e, MicroBetSettled)]

    for market in first:
        verdict = venue.exchange.micro.verdict(market.market_id)
        assert verdict is not None, market.market_id
        expected = resolve(
            market, observe(driver.camera, driver.panel, market.opens_at, market.closes_at)
        )
        assert verdict == expected
    assert len(settled_events) == 5
    by_bet = {bet.bet_id: bet for bet in venue.exchange.micro_bets_of("alice")}
    for event in settled_events:
        bet = by_bet[event.bet_id]
        market = venue.exchange.micro.market(bet.market_id)
        assert market is not None
        verdict = venue.exchange.micro.verdict(market.market_id)
        assert verdict is not None
        if verdict.outcome is None:
            assert (event.status, event.returned) == ("void", bet.stake)
        elif verdict.outcome == bet.outcome:
            assert (event.status, event.returned) == ("won", bet.payout)
        else:
            assert (event.status, event.returned) == ("lost", 0)
    assert venue.total() == 0
    assert venue.exchange.micro.house_exposure == 0
    # Every cycle went on being listed; those whose reports are not all in wait.
    waiting = venue.exchange.micro.unsettled()
    assert waiting and all(m.closes_at + REPORTING_DELAY > clock.now() for m in waiting)


def test_the_street_as_observers_agree_on_it() -> None:
    driver = StreetDriver(lambda: PlayVenue().exchange.micro, seed=7)
    events = driver.observed_events(T0, T0 + timedelta(minutes=2))
    truth = driver.camera.events_between(T0, T0 + timedelta(minutes=2))
    assert events
    # Most events are confirmed by two observers or more, never more than happened.
    assert 0.8 * len(truth) <= len(events) <= len(truth) + 2
    assert all(e.observers >= 2 for e in events)


def test_the_task_submits_and_publishes_the_observed_street() -> None:
    venue = PlayVenue()
    clock = ManualClock(T0)
    published: list[tuple[str, dict[str, Any]]] = []

    async def submit(command: Command) -> Outcome:
        return venue.do(command)

    async def publish(topic: str, message: dict[str, Any]) -> None:
        published.append((topic, message))

    async def run() -> None:
        task = StreetDriverTask(
            StreetDriver(lambda: venue.exchange.micro, seed=7), submit, clock, publish
        )
        assert await task.run_once() > 0
        clock.advance(timedelta(seconds=60))
        await task.run_once()

    asyncio.run(run())
    assert published and {topic for topic, _ in published} == {"flash.micro.stream.street"}
    assert published[0][1]["type"] == "StreetEventObserved"
    assert venue.exchange.micro_offers(T0 + timedelta(seconds=61))
