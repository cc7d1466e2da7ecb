"""Market data of the engine process, relayed to the API processes over the event bus.

The engine alone runs the price venues (simulated or live) and the sports providers; its
oracles' inputs go out on the bus and every API process feeds them to its own oracles, which
then compute the same index, mark, reference quotes and live events as the engine's:

- prices: every source event the engine's price oracle accepted (trades, quotes, books),
  one message per feed round on `cluster.oracle.sources`;
- sports: every provider response the engine's sports oracle got (status and raw body) on
  `cluster.sports.feed`; an API process's sports oracle polls the latest one instead of the
  provider, through the usual poller, adapter, quorum and attestation checks.

Only views are fed this way: prices reach the engine's exchange (and so every replica) as
journaled commands, as before. Pub/sub keeps nothing for a subscriber that is away, so an API
process that misses messages is as stale as the gap (the next round brings it back).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from engine.bus import EventBus
from engine.clock import Clock
from engine.oracle.model import BookLevel, SourceBook, SourceEvent, SourceQuote, SourceTrade
from engine.oracle.sports.client import FeedResponse, ProviderClient
from engine.oracle.sports.model import ProviderName, ProviderUnreachable

PRICE_TOPIC = "cluster.oracle.sources"
SPORTS_TOPIC = "cluster.sports.feed"
# A relayed provider response older than this is no longer the provider's: the engine (or
# the bus) is away, and the API process's poller counts the provider as unreachable.
SPORTS_RELAY_MAX_AGE = timedelta(seconds=10)
RETRY_SECONDS = 1.0
UNREACHABLE = 0  # the relayed status of a fetch that got no response at all

Publish = Callable[[str, dict[str, Any]], Awaitable[None]]
Ingest = Callable[[SourceEvent], bool]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

log = structlog.get_logger("godark.cluster.feeds")


# --- source events as JSON: integers throughout, times in epoch microseconds -----------------


def encode_source_event(event: SourceEvent) -> list[Any]:
    head = [event.source, event.asset, _micros(event.venue_time), _micros(event.received_at)]
    if isinstance(event, SourceTrade):
        return ["t", *head, event.price, event.size, event.trade_id]
    if isinstance(event, SourceQuote):
        return ["q", *head, event.bid, event.ask, event.bid_size, event.ask_size]
    levels = [[[level.price, level.size] for level in side] for side in (event.bids, event.asks)]
    return ["b", *head, *levels]


def decode_source_event(encoded: list[Any]) -> SourceEvent:
    """Raises ValueError (or TypeError, IndexError) for anything not encoded above."""
    kind, source, asset, venue_us, received_us, *rest = encoded
    source, asset = str(source), str(asset)
    venue_time, received_at = _time(venue_us), _time(received_us)
    if kind == "t":
        price, size, trade_id = rest
        return SourceTrade(
            source, asset, int(price), int(size), venue_time, received_at, str(trade_id)
        )
    if kind == "q":
        bid, ask, bid_size, ask_size = rest
        return SourceQuote(
            source, asset, int(bid), int(ask), int(bid_size), int(ask_size), venue_time, received_at
        )
    if kind == "b":
        bids, asks = rest
        return SourceBook(source, asset, _levels(bids), _levels(asks), venue_time, received_at)
    raise ValueError(f"unknown source event kind {kind!r}")


def _levels(encoded: list[list[int]]) -> tuple[BookLevel, ...]:
    return tuple(BookLevel(int(price), int(size)) for price, size in encoded)


def _micros(at: datetime) -> int:
    return (at - _EPOCH) // _MICROSECOND


def _time(micros: object) -> datetime:
    if not isinstance(micros, int) or isinstance(micros, bool):
        raise ValueError(f"not a time: {micros!r}")
    return _EPOCH + timedelta(microseconds=micros)


# --- provider responses as JSON --------------------------------------------------------------


def encode_response(provider: ProviderName, response: FeedResponse | None) -> dict[str, Any]:
    """`None`: the provider did not answer at all."""
    if response is None:
        return {"provider": provider.value, "status": UNREACHABLE}
    encoded: dict[str, Any] = {"provider": provider.value, "status": response.status_code}
    try:
        encoded["body"] = response.body.decode()
    except UnicodeDecodeError:  # not JSON text: the adapter will say so, here as there
        encoded["body64"] = base64.b64encode(response.body).decode()
    if response.retry_after is not None:
        encoded["retryAfter"] = response.retry_after
    return encoded


def decode_response(encoded: dict[str, Any]) -> tuple[ProviderName, FeedResponse | None]:
    provider = ProviderName(str(encoded["provider"]))
    status = int(encoded["status"])
    if status == UNREACHABLE:
        return provider, None
    if "body64" in encoded:
        body = base64.b64decode(str(encoded["body64"]), validate=True)
    else:
        body = str(encoded["body"]).encode()
    retry_after = encoded.get("retryAfter")
    return provider, FeedResponse(status, body, None if retry_after is None else str(retry_after))


# --- the engine's side -----------------------------------------------------------------------


class MarketDataRelay:
    """In the engine process: publishes what its oracles take in, for the API processes."""

    def __init__(self, publish: Publish) -> None:
        self._publish = publish
        self._pending: list[list[Any]] = []
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def relaying(self, ingest: Ingest) -> Ingest:
        """The price oracle's sink, relaying each event the oracle accepted."""

        def sink(event: SourceEvent) -> bool:
            accepted = ingest(event)
            if accepted:
                self._pending.append(encode_source_event(event))
                self._ready.set()
            return accepted

        return sink

    def relay_client(self, client: ProviderClient) -> ProviderClient:
        """The sports oracle's client of a provider, relaying each response it gets."""
        return _RelayingProviderClient(client, self._publish)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._send(), name="market-data-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _send(self) -> None:
        # A feed round hands over all its events before it yields: they go as one message.
        while True:
            await self._ready.wait()
            self._ready.clear()
            batch, self._pending = self._pending, []
            try:
                await self._publish(PRICE_TOPIC, {"events": batch})
            except Exception as error:  # the bus queues and retries; this is a bug guard
                log.warning("price_relay_failed", error=type(error).__name__)


class _RelayingProviderClient:
    def __init__(self, inner: ProviderClient, publish: Publish) -> None:
        self._inner = inner
        self._publish = publish

    @property
    def provider(self) -> ProviderName:
        return self._inner.provider

    @property
    def verification_key(self) -> Ed25519PublicKey:
        return self._inner.verification_key

    async def fetch_feed(self) -> FeedResponse:
        try:
            response = await self._inner.fetch_feed()
        except ProviderUnreachable:
            await self._relay(None)
            raise
        await self._relay(response)
        return response

    async def _relay(self, response: FeedResponse | None) -> None:
        try:
            await self._publish(SPORTS_TOPIC, encode_response(self.provider, response))
        except Exception as error:  # the engine's own poll goes on regardless
            log.warning("sports_relay_failed", error=type(error).__name__)

    async def aclose(self) -> None:
        await self._inner.aclose()


# --- an API process's side -------------------------------------------------------------------


class MarketDataFollower:
    """In an API process: feeds the engine's relayed source events to this process's price
    oracle, and keeps each provider's latest relayed response for its sports oracle."""

    def __init__(self, bus: EventBus, ingest: Ingest, clock: Clock) -> None:
        self._bus = bus
        self._ingest = ingest
        self._clock = clock
        self._responses: dict[ProviderName, tuple[FeedResponse | None, datetime]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.received = 0  # relayed messages, read or not
        self.unreadable = 0  # relayed messages that did not decode

    def client_for(self, client: ProviderClient) -> ProviderClient:
        """A client of `client`'s provider that answers with the engine's latest response."""
        return _RelayedProviderClient(client.provider, client.verification_key, self)

    def start(self) -> None:
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._follow(PRICE_TOPIC, self._prices), name="relay-prices"),
                asyncio.create_task(self._follow(SPORTS_TOPIC, self._sports), name="relay-sports"),
            ]

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def latest_response(self, provider: ProviderName) -> FeedResponse:
        """The engine's latest response from `provider`, if recent; else unreachable."""
        latest = self._responses.get(provider)
        if latest is None:
            raise ProviderUnreachable(f"{provider}: nothing relayed by the engine yet")
        response, received_at = latest
        if self._clock.now() - received_at > SPORTS_RELAY_MAX_AGE:
            raise ProviderUnreachable(f"{provider}: the engine's relay is silent")
        if response is None:
            raise ProviderUnreachable(f"{provider}: unreachable from the engine")
        return response

    def _prices(self, message: dict[str, Any]) -> None:
        for encoded in message["events"]:
            self._ingest(decode_source_event(encoded))

    def _sports(self, message: dict[str, Any]) -> None:
        provider, response = decode_response(message)
        self._responses[provider] = (response, self._clock.now())

    async def _follow(self, topic: str, handle: Callable[[dict[str, Any]], None]) -> None:
        """A bus that is down is retried rather than ending the follower."""
        while True:
            try:
                async with self._bus.subscribe(topic) as messages:
                    async for message in messages:
                        self._handle(topic, handle, message)
            except Exception as error:
                log.warning(
                    "market_data_relay_unavailable", topic=topic, error=type(error).__name__
                )
            await asyncio.sleep(RETRY_SECONDS)

    def _handle(
        self, topic: str, handle: Callable[[dict[str, Any]], None], message: dict[str, Any]
    ) -> None:
        self.received += 1
        try:
            handle(message)
        except (KeyError, TypeError, ValueError, IndexError, binascii.Error) as error:
            self.unreadable += 1
            log.warning("market_data_relay_unreadable", topic=topic, error=type(error).__name__)


class _RelayedProviderClient:
    def __init__(
        self, provider: ProviderName, verification_key: Ed25519PublicKey, relay: MarketDataFollower
    ) -> None:
        self._provider = provider
        self._verification_key = verification_key
        self._relay = relay

    @property
    def provider(self) -> ProviderName:
        return self._provider

    @property
    def verification_key(self) -> Ed25519PublicKey:
        return self._verification_key

    async def fetch_feed(self) -> FeedResponse:
        return self._relay.latest_response(self._provider)

    async def aclose(self) -> None:
        return None
