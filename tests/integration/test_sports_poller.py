"""The real httpx poller against simulated sportsbooks served over HTTP on 127.0.0.1.

A starlette app under uvicorn (port 0) serves each simulated book's own feed format; a
test can queue faults (429 with or without Retry-After, 503 outages) in front of it.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine.clock import ManualClock
from engine.oracle.sports.adapters import ParsedFeed
from engine.oracle.sports.client import FeedResponse, HttpProviderClient
from engine.oracle.sports.model import ProviderName
from engine.oracle.sports.poller import PollResult, ProviderPoller
from engine.oracle.sports.resilience import CircuitState
from engine.oracle.sports.service import SportsOracle
from engine.sim.games import GameSchedule
from engine.sim.sports_providers import DEMO_PROFILES, SimulatedSportsProvider
from tests.unit.sports.helpers import ClockSleep

EPOCH = datetime(2026, 5, 1, 19, tzinfo=UTC)
SEED = 17
SERVER_START_TIMEOUT = 10.0


class Books:
    """The simulated books behind the server, the faults queued in front, and the hits."""

    def __init__(self, clock: ManualClock) -> None:
        schedule = GameSchedule(SEED, EPOCH)
        self.books = {
            provider: SimulatedSportsProvider(
                replace(DEMO_PROFILES[provider], outage_chance=0.0, rate_limit_chance=0.0),
                schedule,
                clock,
                SEED,
            )
            for provider in ProviderName
        }
        self.faults: dict[ProviderName, deque[FeedResponse]] = {p: deque() for p in ProviderName}
        self.hits: Counter[ProviderName] = Counter()

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{provider}/{path:path}", self._feed)])

    async def _feed(self, request: Request) -> Response:
        try:
            provider = ProviderName(request.path_params["provider"].upper())
        except ValueError:
            return Response(status_code=404)
        book = self.books[provider]
        if f"/{request.path_params['path']}" != book.feed_path:
            return Response(status_code=404)
        self.hits[provider] += 1
        queued = self.faults[provider]
        answer = queued.popleft() if queued else book.respond()
        headers = {} if answer.retry_after is None else {"retry-after": answer.retry_after}
        return Response(answer.body, answer.status_code, headers, media_type="application/json")

    def client(self, base_url: str, provider: ProviderName) -> HttpProviderClient:
        book = self.books[provider]
        return HttpProviderClient(provider, f"{base_url}/{provider.lower()}", book.verification_key)


@asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[str]:
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(SERVER_START_TIMEOUT):
            # uvicorn only exposes a flag for "listening", so poll it briefly.
            while not server.started:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def fault(status: int, retry_after: str | None = None) -> FeedResponse:
    return FeedResponse(status, b'{"error":"injected"}', retry_after)


async def test_the_http_poller_backs_off_on_429_and_breaks_the_circuit_on_an_outage() -> None:
    clock = ManualClock(EPOCH)
    sleep = ClockSleep(clock)
    books = Books(clock)
    feeds: list[ParsedFeed] = []

    async def collect(feed: ParsedFeed) -> None:
        feeds.append(feed)

    async with serving(books.app()) as base_url:
        client = books.client(base_url, ProviderName.DRAFTKINGS)
        poller = ProviderPoller(client, clock, sleep, collect)
        dk = ProviderName.DRAFTKINGS
        try:
            assert await poller.poll_once() is PollResult.OK
            assert feeds[-1].snapshots and feeds[-1].rejections == ()

            books.faults[dk] += [fault(429, "2"), fault(429)]
            assert await poller.poll_once() is PollResult.OK
            assert sleep.calls == [2.0, 0.2]  # Retry-After honoured, then 100 ms doubled once
            assert books.hits[dk] == 4

            books.faults[dk] += [fault(503)] * 5
            for _ in range(5):
                assert await poller.poll_once() is PollResult.UNAVAILABLE
                clock.advance(timedelta(seconds=2))
            assert poller.breaker.state is CircuitState.OPEN
            assert await poller.poll_once() is PollResult.SKIPPED_CIRCUIT_OPEN
            assert books.hits[dk] == 9  # nothing was sent while open

            clock.advance(timedelta(seconds=60))
            assert await poller.poll_once() is PollResult.OK  # the half-open trial
            assert poller.breaker.state is CircuitState.CLOSED
            assert books.hits[dk] == 10
        finally:
            await client.aclose()


async def test_the_oracle_over_http_keeps_quorum_through_one_books_outage() -> None:
    clock = ManualClock(EPOCH)
    sleep = ClockSleep(clock)
    books = Books(clock)
    published: list[tuple[str, dict[str, Any]]] = []

    async def publish(topic: str, event: dict[str, Any]) -> None:
        published.append((topic, event))

    async with serving(books.app()) as base_url:
        clients = [books.client(base_url, provider) for provider in ProviderName]
        oracle = SportsOracle(clients, clock, publish, sleep=sleep)
        try:
            assert set((await oracle.poll_once()).values()) == {PollResult.OK}
            await oracle.refresh()
            events = oracle.live_events()
            assert events and all(len(e.fresh_providers) == 5 for e in events)
            assert any(m.available and len(m.providers) == 5 for e in events for m in e.markets)

            # BetMGM goes down for good; the others carry on every 2 s.
            books.faults[ProviderName.BETMGM] += [fault(503)] * 100
            for _ in range(8):
                clock.advance(timedelta(seconds=2))
                results = await oracle.poll_once()
                assert results[ProviderName.BETMGM] is not PollResult.OK
            await oracle.refresh()
            live = [e for e in oracle.live_events() if e.markets]
            assert live
            for event in live:
                assert ProviderName.BETMGM in event.stale_providers
                assert all(ProviderName.BETMGM not in m.providers for m in event.markets)
            assert any(m.available and len(m.providers) == 4 for e in live for m in e.markets)
            health = {h.provider: h for h in oracle.provider_health()}
            assert health[ProviderName.BETMGM].circuit is CircuitState.OPEN
            assert published[-1][1]["staleProviders"] == ["BETMGM"]
        finally:
            await oracle.dispose()


async def test_a_provider_nobody_answers_for_is_unavailable_not_a_crash() -> None:
    clock = ManualClock(EPOCH)
    books = Books(clock)

    async def ignore(feed: ParsedFeed) -> None:
        return None

    async with serving(books.app()) as base_url:
        pass  # the server is gone again: its port now refuses connections
    client = books.client(base_url, ProviderName.CAESARS)
    poller = ProviderPoller(client, clock, ClockSleep(clock), ignore)
    try:
        assert await poller.poll_once() is PollResult.UNAVAILABLE
        assert poller.breaker.consecutive_failures == 1
    finally:
        await client.aclose()
