"""The engine's market data relayed to an API process (engine/cluster/feeds.py), over the
in-process bus: the API side's oracles, fed only by the relay, end in the engine's state."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.bus import InProcessBus
from engine.clock import ManualClock
from engine.cluster.feeds import (
    MarketDataFollower,
    MarketDataRelay,
    decode_source_event,
    encode_source_event,
)
from engine.oracle.prices import PriceOracle
from engine.oracle.sports import SportsOracle
from engine.oracle.sports.client import FeedResponse
from engine.oracle.sports.model import ProviderName, ProviderUnreachable
from engine.sim.sports_providers import InProcessProviderClient, build_demo_providers
from engine.sim.venues import SimulatedVenues
from tests.unit.sports.helpers import ClockSleep

START = datetime(2026, 3, 1, 18, tzinfo=UTC)
FEED_STEP = timedelta(milliseconds=250)


async def _publish_nothing(topic: str, event: dict[str, Any]) -> None:
    return None


async def _no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


async def _until(condition: Callable[[], bool]) -> None:
    """Lets the follower's tasks run (event-loop turns, not wall time) until `condition`."""
    for _ in range(1_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the relayed data never arrived")


def test_source_events_survive_the_encoding() -> None:
    venues = SimulatedVenues(START, seed=3)
    events = venues.step(START + timedelta(seconds=1))
    kinds = {type(event).__name__ for event in events}
    assert kinds == {"SourceQuote", "SourceTrade", "SourceBook"}
    assert [decode_source_event(encode_source_event(event)) for event in events] == events


async def test_an_api_oracle_fed_by_the_relay_prices_as_the_engines() -> None:
    clock = ManualClock(START)
    bus = InProcessBus()
    relay = MarketDataRelay(bus.publish)
    venues = SimulatedVenues(START, seed=3)
    engine = PriceOracle(venues.assets, clock, _publish_nothing)
    api = PriceOracle(venues.assets, clock, _publish_nothing)
    received: list[bool] = []

    def ingest(event: Any) -> bool:
        received.append(api.ingest(event))
        return received[-1]

    follower = MarketDataFollower(bus, ingest, clock)
    sink = relay.relaying(engine.ingest)
    relay.start()
    follower.start()
    try:
        await asyncio.sleep(0)  # the follower subscribes
        accepted = 0
        for _ in range(12):
            clock.advance(FEED_STEP)
            accepted += sum(1 for event in venues.step(clock.now()) if sink(event))
            await _until(lambda expected=accepted: len(received) == expected)  # type: ignore[misc]
        assert accepted > 0 and all(received)
        now = clock.now()
        for asset in ("BTC", "ETH", "EUR"):
            ours, theirs = engine.compute(asset, now), api.compute(asset, now)
            assert ours.index.price is not None and ours.healthy
            assert (theirs.index, theirs.mark, theirs.reference) == (
                ours.index,
                ours.mark,
                ours.reference,
            )
            assert api.reference_book(asset, 5) == engine.reference_book(asset, 5)
    finally:
        await follower.stop()
        await relay.stop()


async def test_an_api_sports_oracle_fed_by_the_relay_sees_the_engines_games() -> None:
    clock = ManualClock(START)
    bus = InProcessBus()
    relay = MarketDataRelay(bus.publish)
    follower = MarketDataFollower(bus, lambda event: False, clock)
    books = [InProcessProviderClient(book) for book in build_demo_providers(clock, 21)]
    engine = SportsOracle(
        [relay.relay_client(book) for book in books],
        clock,
        _publish_nothing,
        sleep=ClockSleep(clock),
    )
    api = SportsOracle(
        [follower.client_for(book) for book in books], clock, _publish_nothing, sleep=_no_wait
    )
    follower.start()
    try:
        await asyncio.sleep(0)
        # Nothing relayed yet: the API side counts the providers as unreachable.
        for book in books:
            try:
                follower.latest_response(book.provider)
                raise AssertionError("a response before the engine relayed any")
            except ProviderUnreachable:
                pass
        for round_ in range(1, 4):
            await engine.poll_once()  # one relayed response per provider
            await _until(lambda n=round_: follower.received >= n * len(books))  # type: ignore[misc]
            await api.poll_once()
            clock.advance(timedelta(seconds=2))
        events = engine.live_events()
        assert events
        assert api.live_events() == events
    finally:
        await follower.stop()
        await engine.dispose()
        await api.dispose()


def test_a_silent_relay_makes_the_provider_unreachable() -> None:
    clock = ManualClock(START)
    follower = MarketDataFollower(InProcessBus(), lambda event: False, clock)
    follower._sports({"provider": "FANDUEL", "status": 200, "body": "{}"})
    assert follower.latest_response(ProviderName.FANDUEL) == FeedResponse(200, b"{}")
    clock.advance(timedelta(seconds=11))
    try:
        follower.latest_response(ProviderName.FANDUEL)
        raise AssertionError("a stale relay served as fresh")
    except ProviderUnreachable as unreachable:
        assert "silent" in unreachable.message
