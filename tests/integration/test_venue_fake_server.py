"""Venue adapters end to end against fake venues on 127.0.0.1: a WebSocket server that
speaks the venue's protocol, and a real HTTP server (uvicorn) for its REST API.

The fake venues play the payload fixtures of tests/fixtures/venues; backoffs are
milliseconds, and every wait is bounded, so the module runs in about a second.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from websockets.asyncio.server import ServerConnection, serve

from engine.clock import ManualClock
from engine.oracle.model import SourceEvent, SourceName, SourceQuote, SourceTrade
from engine.oracle.venues import (
    ADAPTERS,
    Backoff,
    BinanceAdapter,
    OkxAdapter,
    RejectionCounter,
    VenueAdapter,
    poll_quotes,
    stream,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "venues"
NOW = datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)
FAST = Backoff(initial_seconds=0.01, maximum_seconds=0.05, jitter_ratio=0.5)
POLL_INTERVAL = 0.01
WAIT_LIMIT = 5.0  # seconds any single wait may take before the test fails


def fixture(venue: str, name: str) -> str:
    return (FIXTURES / venue / name).read_text()


class Sleeps:
    """Records each requested pause; waits at most a few ms, so long Retry-Afters stay fast."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(min(delay, POLL_INTERVAL))


class Collector:
    """A sink that wakes the test once it holds `expected` events."""

    def __init__(self, expected: int) -> None:
        self.events: list[SourceEvent] = []
        self._expected = expected
        self.complete = asyncio.Event()

    def __call__(self, event: SourceEvent) -> None:
        self.events.append(event)
        if len(self.events) >= self._expected:
            self.complete.set()


# --- Fake WebSocket venue --------------------------------------------------------------


@dataclass
class Session:
    subscriptions: list[object] = field(default_factory=list)
    pings: int = 0
    closed: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class FakeStreamVenue:
    """Checks each connection's subscriptions, then plays that connection's script.

    Every connection but the last is dropped without a close frame after its script, as a
    venue restart or a network cut would; the last stays open and answers pings.
    """

    expected_subscriptions: list[object]
    ack: str | None
    scripts: list[list[str]]
    ping: str | None = None
    pong: str | None = None
    sessions: list[Session] = field(default_factory=list)

    async def handler(self, websocket: ServerConnection) -> None:
        session = Session()
        self.sessions.append(session)
        try:
            await self._converse(websocket, session, len(self.sessions) - 1)
        finally:
            session.closed.set()

    async def _converse(self, websocket: ServerConnection, session: Session, index: int) -> None:
        for _ in self.expected_subscriptions:
            session.subscriptions.append(json.loads(await websocket.recv()))
        if session.subscriptions != self.expected_subscriptions:
            await websocket.close(code=1008, reason="unexpected subscription")
            return
        if self.ack is not None:
            await websocket.send(self.ack)
        last = index >= len(self.scripts) - 1
        for message in self.scripts[min(index, len(self.scripts) - 1)]:
            if last and self.ping is not None and session.pings == 0:
                await self._answer_ping(websocket, session)
            await websocket.send(message)
        if not last:
            websocket.transport.abort()
            return
        async for message in websocket:
            if message == self.ping:
                session.pings += 1
                await websocket.send(self.pong or "")

    async def _answer_ping(self, websocket: ServerConnection, session: Session) -> None:
        """Hold the script until the client's keepalive arrives, proving it sends one."""
        message = await websocket.recv()
        assert message == self.ping
        session.pings += 1
        await websocket.send(self.pong or "")


@asynccontextmanager
async def websocket_venue(venue: FakeStreamVenue) -> AsyncIterator[str]:
    async with serve(venue.handler, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}"


async def run_stream_until(
    adapter: VenueAdapter,
    assets: list[str],
    collector: Collector,
    rejections: RejectionCounter,
    sleeps: Sleeps,
    *,
    keepalive_interval: float | None = None,
) -> None:
    task = asyncio.create_task(
        stream(
            adapter,
            assets,
            collector,
            clock=ManualClock(NOW),
            on_rejected=rejections,
            backoff=FAST,
            rng=random.Random(4),
            sleep=sleeps,
            keepalive_interval=keepalive_interval,
        )
    )
    try:
        await asyncio.wait_for(collector.complete.wait(), WAIT_LIMIT)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def wrapped(stream_name: str, raw_payload: str) -> str:
    return json.dumps({"stream": stream_name, "data": json.loads(raw_payload)})


async def test_binance_stream_subscribes_skips_bad_messages_and_resubscribes_after_a_drop() -> None:
    venue = FakeStreamVenue(
        expected_subscriptions=[
            {
                "method": "SUBSCRIBE",
                "params": [
                    "btcusdt@trade",
                    "btcusdt@bookTicker",
                    "ethusdt@trade",
                    "ethusdt@bookTicker",
                ],
                "id": 1,
            }
        ],
        ack=fixture("binance", "stream_subscribe_ack.json"),
        scripts=[
            [
                fixture("binance", "stream_trade.json"),
                fixture("binance", "malformed/stream_book_ticker_crossed.json"),
                fixture("binance", "stream_book_ticker.json"),
            ],
            [wrapped("ethusdt@trade", fixture("binance", "stream_trade_raw_endpoint.json"))],
        ],
    )
    collector, rejections, sleeps = Collector(3), RejectionCounter(), Sleeps()
    async with websocket_venue(venue) as url:
        adapter = BinanceAdapter(stream_url=f"{url}/stream")
        await run_stream_until(adapter, ["BTC", "ETH"], collector, rejections, sleeps)
        # Cancelling closed the connection: the venue saw its client leave.
        await asyncio.wait_for(venue.sessions[-1].closed.wait(), WAIT_LIMIT)

    btc_trade, btc_quote, eth_trade = collector.events
    assert isinstance(btc_trade, SourceTrade) and isinstance(eth_trade, SourceTrade)
    assert (btc_trade.asset, btc_trade.price, btc_trade.size) == ("BTC", 671234500000000, 1200000)
    assert isinstance(btc_quote, SourceQuote)
    assert (btc_quote.bid, btc_quote.ask) == (671234500000000, 671234600000000)
    assert (eth_trade.asset, eth_trade.price) == ("ETH", 34567800000000)
    assert {event.received_at for event in collector.events} == {NOW}
    assert rejections.counts == {SourceName.BINANCE: 1}
    assert "crossed" in rejections.last_reason[SourceName.BINANCE]
    assert len(venue.sessions) == 2  # reconnected once, and subscribed again (checked)
    # The dropped connection had delivered data, so the first retry used the base delay.
    assert len(sleeps.delays) == 1
    assert FAST.initial_seconds / 2 <= sleeps.delays[0] <= FAST.initial_seconds


async def test_okx_stream_keeps_alive_with_ping_and_survives_a_drop() -> None:
    okx_subscription = {
        "op": "subscribe",
        "args": [
            {"channel": "trades", "instId": "BTC-USDT"},
            {"channel": "bbo-tbt", "instId": "BTC-USDT"},
        ],
    }
    venue = FakeStreamVenue(
        expected_subscriptions=[okx_subscription],
        ack=fixture("okx", "stream_subscribe_ack.json"),
        scripts=[
            [
                fixture("okx", "stream_trades.json"),  # two trades in one message
                fixture("okx", "malformed/stream_bbo_crossed.json"),
                fixture("okx", "stream_notice.json"),
                fixture("okx", "stream_bbo_tbt.json"),
            ],
            [fixture("okx", "stream_bbo_tbt.json")],
        ],
        ping="ping",
        pong="pong",
    )
    collector, rejections, sleeps = Collector(4), RejectionCounter(), Sleeps()
    async with websocket_venue(venue) as url:
        adapter = OkxAdapter(stream_url=f"{url}/ws/v5/public")
        await run_stream_until(
            adapter, ["BTC"], collector, rejections, sleeps, keepalive_interval=0.02
        )

    kinds = [type(event).__name__ for event in collector.events]
    assert kinds == ["SourceTrade", "SourceTrade", "SourceQuote", "SourceQuote"]
    assert [event.asset for event in collector.events] == ["BTC"] * 4
    assert rejections.counts == {SourceName.OKX: 1}  # the crossed quote; pong is not counted
    assert len(venue.sessions) == 2
    assert venue.sessions[-1].pings >= 1


async def test_a_venue_that_refuses_connections_is_retried_with_growing_backoff() -> None:
    with socket.socket() as closed_port:
        closed_port.bind(("127.0.0.1", 0))
        port = closed_port.getsockname()[1]
    # Nothing listens on the port now: every attempt is refused.
    sleeps = Sleeps()
    retried = asyncio.Event()

    async def sleep(delay: float) -> None:
        await sleeps(delay)
        if len(sleeps.delays) == 4:
            retried.set()

    adapter = BinanceAdapter(stream_url=f"ws://127.0.0.1:{port}/stream")
    task = asyncio.create_task(
        stream(
            adapter,
            ["BTC"],
            Collector(1),
            clock=ManualClock(NOW),
            backoff=FAST,
            rng=random.Random(5),
            sleep=sleep,
        )
    )
    await asyncio.wait_for(retried.wait(), WAIT_LIMIT)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    ceilings = [0.01, 0.02, 0.04, 0.05]  # doubling from 10 ms, capped at 50 ms
    for delay, ceiling in zip(sleeps.delays, ceilings, strict=False):
        assert ceiling / 2 <= delay <= ceiling


@pytest.mark.parametrize("source", list(ADAPTERS), ids=str)
async def test_every_venue_streams_its_fixtures_over_a_real_socket(source: SourceName) -> None:
    adapter_class = ADAPTERS[source]
    folder = FIXTURES / source.lower()
    messages = [path.read_text() for path in sorted(folder.glob("stream_*.json"))]
    expected = [
        event
        for message in messages
        for event in adapter_class().parse_stream_message(message, received_at=NOW)
    ]
    assets = ["BTC", "ETH", "SOL"]
    venue = FakeStreamVenue(
        expected_subscriptions=[
            json.loads(message) for message in adapter_class().subscribe_messages(assets)
        ],
        ack=None,  # the venue's ack is among its fixtures
        scripts=[messages],
    )
    collector, rejections = Collector(len(expected)), RejectionCounter()
    async with websocket_venue(venue) as url:
        adapter = adapter_class(stream_url=url)
        await run_stream_until(adapter, assets, collector, rejections, Sleeps())

    assert expected and collector.events == expected
    assert rejections.total == 0


# --- Fake REST venue -------------------------------------------------------------------


@asynccontextmanager
async def http_venue(routes: list[Route]) -> AsyncIterator[str]:
    """A real HTTP server on an ephemeral port of 127.0.0.1, serving `routes`."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    # Listening before uvicorn starts means an early request waits in the backlog
    # instead of being refused, so there is no start-up race to poll for.
    listener.listen()
    config = uvicorn.Config(Starlette(routes=routes), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        listener.close()


def scripted_endpoint(
    answers: list[Response], queries: list[dict[str, str]]
) -> Callable[[Request], Awaitable[Response]]:
    """Answers each call with the next response; the last one repeats."""

    async def endpoint(request: Request) -> Response:
        queries.append(dict(request.query_params))
        return answers[min(len(queries), len(answers)) - 1]

    return endpoint


def json_response(body: str, status_code: int = 200, retry_after: str | None = None) -> Response:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    return Response(body, status_code, headers=headers, media_type="application/json")


async def run_poller_until(
    adapter: VenueAdapter, collector: Collector, rejections: RejectionCounter, sleeps: Sleeps
) -> None:
    async with httpx.AsyncClient(timeout=WAIT_LIMIT, trust_env=False) as client:
        task = asyncio.create_task(
            poll_quotes(
                adapter,
                ["BTC"],
                collector,
                client=client,
                interval=POLL_INTERVAL,
                clock=ManualClock(NOW),
                on_rejected=rejections,
                backoff=FAST,
                rng=random.Random(6),
                sleep=sleeps,
            )
        )
        try:
            await asyncio.wait_for(collector.complete.wait(), WAIT_LIMIT)
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task


async def test_binance_poller_backs_off_on_429_and_503_then_reads_the_quote() -> None:
    queries: list[dict[str, str]] = []
    answers = [
        json_response('{"code":-1003,"msg":"Too many requests."}', 429, retry_after="0"),
        json_response('{"code":-1001,"msg":"Internal error."}', 503),
        json_response(fixture("binance", "rest_quote.json")),
    ]
    route = Route("/api/v3/ticker/bookTicker", scripted_endpoint(answers, queries))
    collector, rejections, sleeps = Collector(1), RejectionCounter(), Sleeps()
    async with http_venue([route]) as url:
        await run_poller_until(BinanceAdapter(rest_base_url=url), collector, rejections, sleeps)

    assert queries[:3] == [{"symbol": "BTCUSDT"}] * 3
    first, second = sleeps.delays[:2]
    assert 0.005 <= first <= 0.01  # first backoff
    assert 0.01 <= second <= 0.02  # doubled
    [quote] = collector.events
    assert isinstance(quote, SourceQuote)
    assert (quote.bid, quote.ask, quote.venue_time) == (671200100000000, 671200200000000, NOW)
    assert rejections.total == 0


async def test_okx_poller_honours_retry_after_and_counts_a_bad_answer() -> None:
    queries: list[dict[str, str]] = []
    answers = [
        json_response('{"msg":"Too Many Requests","code":"50011"}', 429, retry_after="2"),
        json_response(fixture("okx", "malformed/rest_quote_other_instrument.json")),
        json_response(fixture("okx", "rest_quote.json")),
    ]
    route = Route("/api/v5/market/ticker", scripted_endpoint(answers, queries))
    collector, rejections, sleeps = Collector(1), RejectionCounter(), Sleeps()
    async with http_venue([route]) as url:
        await run_poller_until(OkxAdapter(rest_base_url=url), collector, rejections, sleeps)

    assert queries[0] == {"instId": "BTC-USDT"}
    # Waited as long as OKX asked, then, after the bad answer, only the polling interval.
    assert sleeps.delays[:2] == [2.0, POLL_INTERVAL]
    assert rejections.counts == {SourceName.OKX: 1}
    [quote] = collector.events
    assert isinstance(quote, SourceQuote)
    assert (quote.bid, quote.ask) == (671201000000000, 671202000000000)
