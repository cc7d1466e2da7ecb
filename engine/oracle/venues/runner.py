"""Drives venue adapters over the network: a WebSocket stream per venue, and REST polling.

Both loops run until cancelled, reconnect or retry with capped exponential backoff, and
count, rather than raise on, a payload that fails validation.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import httpx
import structlog
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from engine.clock import Clock
from engine.oracle.model import MalformedPayload, SourceEvent, SourceName
from engine.oracle.venues.base import RestRequest, VenueAdapter

log = structlog.get_logger("godark.oracle.venues")

# Whatever the sink returns is ignored, so PriceOracle.ingest (-> bool) plugs in as is.
Sink = Callable[[SourceEvent], object]
RejectionHandler = Callable[[SourceName, str], None]
Sleep = Callable[[float], Awaitable[None]]

# How long a WebSocket handshake may take before we count the attempt as failed.
OPEN_TIMEOUT_SECONDS = 10.0
# Characters of a rejection reason kept in logs and handed to `on_rejected`.
REASON_LENGTH = 200
HTTP_OK = 200
HTTP_SERVER_ERROR = 500
# Binance's longest IP ban; a longer Retry-After is a garbled header, not a real wait.
MAX_RETRY_AFTER_SECONDS = 3 * 24 * 3600
_RETRY_AFTER_DIGITS = len(str(MAX_RETRY_AFTER_SECONDS)) + 1
# Past this many doublings the cap applies anyway; stops 2**attempt growing without end.
_MAX_DOUBLINGS = 32

# What a dropped or refused connection raises; anything else is a bug and propagates.
_CONNECTION_FAILURES = (OSError, TimeoutError, InvalidHandshake, ConnectionClosed)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Capped exponential backoff with jitter, so clients of a venue that restarts do not
    all return in the same instant."""

    initial_seconds: float = 0.5
    maximum_seconds: float = 30.0
    # Each delay is drawn from [(1 - jitter_ratio) * d, d].
    jitter_ratio: float = 0.5

    def delay(self, attempt: int, rng: random.Random) -> float:
        exponential = self.initial_seconds * (1 << min(attempt, _MAX_DOUBLINGS))
        capped = min(self.maximum_seconds, exponential)
        return capped * (1 - self.jitter_ratio * rng.random())


DEFAULT_BACKOFF = Backoff()


class RejectionCounter:
    """Payloads dropped per venue, with the latest reason, for metrics and operators."""

    def __init__(self) -> None:
        self.counts: Counter[SourceName] = Counter()
        self.last_reason: dict[SourceName, str] = {}

    def __call__(self, source: SourceName, reason: str) -> None:
        self.counts[source] += 1
        self.last_reason[source] = reason

    @property
    def total(self) -> int:
        return self.counts.total()


async def stream(
    adapter: VenueAdapter,
    assets: Sequence[str],
    sink: Sink,
    *,
    clock: Clock,
    on_rejected: RejectionHandler | None = None,
    backoff: Backoff = DEFAULT_BACKOFF,
    rng: random.Random | None = None,
    sleep: Sleep = asyncio.sleep,
    keepalive_interval: float | None = None,
    open_timeout: float = OPEN_TIMEOUT_SECONDS,
) -> None:
    """Stream trades and quotes of `assets` from the adapter's venue into `sink`, for ever.

    Every (re)connection sends the subscriptions again. Returns only by cancellation; a
    sink that raises stops the stream too, since that is a bug of the sink, not the venue.
    """
    subscriptions = adapter.subscribe_messages(assets)  # unknown assets fail here, at once
    reject = _rejection_handler(on_rejected)
    jitter = rng if rng is not None else random.Random()
    interval = (
        adapter.keepalive_interval_seconds if keepalive_interval is None else keepalive_interval
    )
    failures = 0
    while True:
        connection = _Connection()
        try:
            await _run_connection(
                adapter, subscriptions, sink, clock, reject, connection, interval, open_timeout
            )
            reason = "closed by venue"
        except _CONNECTION_FAILURES as error:
            reason = f"{type(error).__name__}: {error}"[:REASON_LENGTH]
        # A connection that delivered market data was healthy: start the backoff afresh. An
        # ack alone does not count, or a venue that acks then drops us would be hammered.
        failures = 0 if connection.events > 0 else failures
        delay = backoff.delay(failures, jitter)
        failures += 1
        log.warning(
            "venue_stream_disconnected",
            source=adapter.name,
            reason=reason,
            messages=connection.messages,
            events=connection.events,
            retry_in_seconds=round(delay, 3),
        )
        await sleep(delay)


@dataclass
class _Connection:
    messages: int = 0
    events: int = 0


async def _run_connection(
    adapter: VenueAdapter,
    subscriptions: Sequence[str],
    sink: Sink,
    clock: Clock,
    reject: RejectionHandler,
    connection: _Connection,
    keepalive_interval: float,
    open_timeout: float,
) -> None:
    async with connect(adapter.stream_url, open_timeout=open_timeout) as websocket:
        log.info("venue_stream_connected", source=adapter.name, url=adapter.stream_url)
        for message in subscriptions:
            await websocket.send(message)
        keepalive = None
        if adapter.keepalive_message is not None:
            keepalive = asyncio.create_task(
                _send_keepalives(websocket, adapter.keepalive_message, keepalive_interval)
            )
        try:
            async for raw in websocket:
                connection.messages += 1
                connection.events += _deliver(adapter, raw, clock.now(), sink, reject)
        finally:
            if keepalive is not None:
                keepalive.cancel()
                await asyncio.wait({keepalive})


async def _send_keepalives(websocket: ClientConnection, message: str, interval: float) -> None:
    with contextlib.suppress(ConnectionClosed):
        while True:
            await asyncio.sleep(interval)
            await websocket.send(message)


def _deliver(
    adapter: VenueAdapter,
    raw: str | bytes,
    received_at: datetime,
    sink: Sink,
    reject: RejectionHandler,
) -> int:
    """Hands the message's events to the sink; returns how many there were."""
    try:
        events = adapter.parse_stream_message(raw, received_at=received_at)
    except MalformedPayload as error:
        reject(adapter.name, error.message)
        return 0
    for event in events:
        sink(event)
    return len(events)


async def poll_quotes(
    adapter: VenueAdapter,
    assets: Sequence[str],
    sink: Sink,
    *,
    client: httpx.AsyncClient,
    interval: float,
    clock: Clock,
    on_rejected: RejectionHandler | None = None,
    backoff: Backoff = DEFAULT_BACKOFF,
    rng: random.Random | None = None,
    sleep: Sleep = asyncio.sleep,
) -> None:
    """Fetch each asset's best bid and offer every `interval` seconds, for ever."""

    def parse(asset: str, body: bytes, received_at: datetime) -> list[SourceEvent]:
        return [adapter.parse_rest_quote(asset, body, received_at=received_at)]

    poller = _Poller(
        adapter, client, clock, sink, _rejection_handler(on_rejected), backoff, rng, sleep
    )
    await poller.run(assets, adapter.quote_request, parse, interval)


async def poll_books(
    adapter: VenueAdapter,
    assets: Sequence[str],
    sink: Sink,
    *,
    client: httpx.AsyncClient,
    interval: float,
    clock: Clock,
    on_rejected: RejectionHandler | None = None,
    backoff: Backoff = DEFAULT_BACKOFF,
    rng: random.Random | None = None,
    sleep: Sleep = asyncio.sleep,
) -> None:
    """Fetch each asset's top-of-book snapshot every `interval` seconds, for ever."""

    def parse(asset: str, body: bytes, received_at: datetime) -> list[SourceEvent]:
        return [adapter.parse_rest_book(asset, body, received_at=received_at)]

    poller = _Poller(
        adapter, client, clock, sink, _rejection_handler(on_rejected), backoff, rng, sleep
    )
    await poller.run(assets, adapter.book_request, parse, interval)


RestParser = Callable[[str, bytes, datetime], list[SourceEvent]]


@dataclass(frozen=True, slots=True)
class _RetryLater:
    """The venue asked us to slow down, or could not answer: wait at least `retry_after`."""

    retry_after: float
    reason: str


class _Poller:
    """One REST polling loop: a round over the assets, then a pause or a backoff."""

    def __init__(
        self,
        adapter: VenueAdapter,
        client: httpx.AsyncClient,
        clock: Clock,
        sink: Sink,
        reject: RejectionHandler,
        backoff: Backoff,
        rng: random.Random | None,
        sleep: Sleep,
    ) -> None:
        self._adapter = adapter
        self._client = client
        self._clock = clock
        self._sink = sink
        self._reject = reject
        self._backoff = backoff
        self._rng = rng if rng is not None else random.Random()
        self._sleep = sleep

    async def run(
        self,
        assets: Sequence[str],
        request_for: Callable[[str], RestRequest],
        parse: RestParser,
        interval: float,
    ) -> None:
        requests = [(asset, request_for(asset)) for asset in assets]  # config errors now
        failures = 0
        while True:
            retry = await self._round(requests, parse)
            if retry is None:
                failures = 0
                await self._sleep(interval)
                continue
            delay = max(self._backoff.delay(failures, self._rng), retry.retry_after)
            failures += 1
            log.warning(
                "venue_rest_backoff",
                source=self._adapter.name,
                reason=retry.reason,
                retry_in_seconds=round(delay, 3),
            )
            await self._sleep(delay)

    async def _round(
        self, requests: Sequence[tuple[str, RestRequest]], parse: RestParser
    ) -> _RetryLater | None:
        """Fetches every asset once; stops at the first answer that says to back off."""
        for asset, request in requests:
            retry = await self._fetch(asset, request, parse)
            if retry is not None:
                return retry
        return None

    async def _fetch(
        self, asset: str, request: RestRequest, parse: RestParser
    ) -> _RetryLater | None:
        url = self._adapter.rest_base_url + request.path
        try:
            response = await self._client.get(url, params=dict(request.params))
        except httpx.TransportError as error:
            return _RetryLater(0.0, f"{type(error).__name__}: {error}"[:REASON_LENGTH])
        status = response.status_code
        if status >= HTTP_SERVER_ERROR or self._adapter.is_throttled(status, response.content):
            return _RetryLater(_retry_after_seconds(response), f"HTTP {status} on {request.path}")
        if status != HTTP_OK:
            self._reject(self._adapter.name, f"HTTP {status} on {request.path}")
            return None
        try:
            events = parse(asset, response.content, self._clock.now())
        except MalformedPayload as error:
            self._reject(self._adapter.name, error.message)
            return None
        for event in events:
            self._sink(event)
        return None


def _retry_after_seconds(response: httpx.Response) -> float:
    """The venue's Retry-After in seconds (Binance sends one with 429 and 418), else 0."""
    value = response.headers.get("Retry-After", "")
    if not (value.isascii() and value.isdigit()):
        return 0.0
    return float(min(int(value[:_RETRY_AFTER_DIGITS]), MAX_RETRY_AFTER_SECONDS))


def _rejection_handler(on_rejected: RejectionHandler | None) -> RejectionHandler:
    def reject(source: SourceName, reason: str) -> None:
        reason = reason[:REASON_LENGTH]
        # Debug, not warning: a venue sending garbage would flood the log; the counter
        # (on_rejected) is what alerts.
        log.debug("venue_payload_rejected", source=source, reason=reason)
        if on_rejected is not None:
            on_rejected(source, reason)

    return reject
