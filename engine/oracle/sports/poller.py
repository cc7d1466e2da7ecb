"""One provider's polling loop: a rate-limited GET every 2 s, 429 backoff, a circuit breaker.

Nothing a provider does escapes it: each poll ends in a counted `PollResult`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

import structlog

from engine.clock import Clock
from engine.oracle.sports.adapters import ParsedFeed, ProviderAdapter, adapter_for, decode_feed_body
from engine.oracle.sports.client import FeedResponse, ProviderClient
from engine.oracle.sports.model import ProviderName, ProviderUnreachable, SportsFeedError
from engine.oracle.sports.resilience import (
    RATE_LIMIT_ATTEMPTS,
    CircuitBreaker,
    CircuitState,
    Sleep,
    TokenBucket,
    backoff_seconds,
    retry_after_seconds,
)

# Polling every 2 s per provider keeps in-play odds at most a couple of seconds behind.
POLL_INTERVAL = timedelta(seconds=2)
HTTP_OK = 200
HTTP_TOO_MANY_REQUESTS = 429

FeedHandler = Callable[[ParsedFeed], Awaitable[None]]

log = structlog.get_logger("godark.oracle.sports")


class PollResult(StrEnum):
    OK = "OK"
    SKIPPED_CIRCUIT_OPEN = "SKIPPED_CIRCUIT_OPEN"
    RATE_LIMITED = "RATE_LIMITED"  # still 429 after every backoff attempt
    UNAVAILABLE = "UNAVAILABLE"  # no response, or a status other than 200 and 429
    MALFORMED_FEED = "MALFORMED_FEED"  # a response that is not this provider's feed at all


@dataclass
class ProviderStats:
    provider: ProviderName
    requests: int = 0
    successes: int = 0
    failures: int = 0
    rate_limited_responses: int = 0
    skipped_circuit_open: int = 0
    malformed_feeds: int = 0
    rejections: Counter[str] = field(default_factory=Counter)  # entries dropped, by error code
    last_success_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ProviderHealth:
    provider: ProviderName
    circuit: CircuitState
    consecutive_failures: int
    requests: int
    successes: int
    failures: int
    rate_limited_responses: int
    skipped_circuit_open: int
    malformed_feeds: int
    rejections: tuple[tuple[str, int], ...]
    last_success_at: datetime | None


class ProviderPoller:
    def __init__(
        self,
        client: ProviderClient,
        clock: Clock,
        sleep: Sleep,
        on_feed: FeedHandler,
        *,
        adapter: ProviderAdapter | None = None,
        interval: timedelta = POLL_INTERVAL,
        bucket: TokenBucket | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self._client = client
        self._clock = clock
        self._sleep = sleep
        self._on_feed = on_feed
        self._adapter = adapter if adapter is not None else adapter_for(client.provider)
        self._interval = interval
        self.bucket = bucket if bucket is not None else TokenBucket(clock, sleep)
        self.breaker = breaker if breaker is not None else CircuitBreaker(clock)
        self.stats = ProviderStats(client.provider)

    @property
    def provider(self) -> ProviderName:
        return self._client.provider

    async def poll_once(self) -> PollResult:
        if not self.breaker.allow_request():
            self.stats.skipped_circuit_open += 1
            return PollResult.SKIPPED_CIRCUIT_OPEN
        fetched = await self._fetch()
        feed = fetched if isinstance(fetched, PollResult) else self._parse(fetched)
        if isinstance(feed, PollResult):
            self._fail(feed)
            return feed
        self.breaker.record_success()
        self.stats.successes += 1
        self.stats.last_success_at = self._clock.now()
        self.stats.rejections.update(rejection.code for rejection in feed.rejections)
        await self._on_feed(feed)
        return PollResult.OK

    async def run(self) -> None:
        """Poll on a fixed 2 s grid until cancelled; a late poll skips ahead, never bursts."""
        next_poll = self._clock.now()
        while True:
            try:
                await self.poll_once()
            except Exception:  # a bug in one poll must not stop this provider for good
                log.exception("sports_poll_crashed", provider=self.provider.value)
                self._fail(PollResult.UNAVAILABLE)
            next_poll += self._interval
            now = self._clock.now()
            next_poll = max(next_poll, now)
            await self._sleep((next_poll - now).total_seconds())

    def health(self) -> ProviderHealth:
        stats = self.stats
        return ProviderHealth(
            provider=stats.provider,
            circuit=self.breaker.state,
            consecutive_failures=self.breaker.consecutive_failures,
            requests=stats.requests,
            successes=stats.successes,
            failures=stats.failures,
            rate_limited_responses=stats.rate_limited_responses,
            skipped_circuit_open=stats.skipped_circuit_open,
            malformed_feeds=stats.malformed_feeds,
            rejections=tuple(sorted(stats.rejections.items())),
            last_success_at=stats.last_success_at,
        )

    async def _fetch(self) -> FeedResponse | PollResult:
        """GET the feed, retrying a 429 after Retry-After or an exponential backoff."""
        for attempt in range(1, RATE_LIMIT_ATTEMPTS + 1):
            await self.bucket.acquire()
            self.stats.requests += 1
            try:
                response = await self._client.fetch_feed()
            except ProviderUnreachable as error:
                log.info(
                    "sports_provider_unreachable", provider=self.provider.value, error=error.message
                )
                return PollResult.UNAVAILABLE
            if response.status_code == HTTP_OK:
                return response
            if response.status_code != HTTP_TOO_MANY_REQUESTS:
                log.info(
                    "sports_provider_error",
                    provider=self.provider.value,
                    status=response.status_code,
                )
                return PollResult.UNAVAILABLE
            self.stats.rate_limited_responses += 1
            if attempt < RATE_LIMIT_ATTEMPTS:
                delay = retry_after_seconds(response.retry_after, self._clock.now())
                await self._sleep(float(backoff_seconds(attempt) if delay is None else delay))
        return PollResult.RATE_LIMITED

    def _parse(self, response: FeedResponse) -> ParsedFeed | PollResult:
        try:
            document = decode_feed_body(response.body)
            return self._adapter.parse_feed(document, self._clock.now())
        except SportsFeedError as error:
            self.stats.malformed_feeds += 1
            self.stats.rejections[error.code] += 1
            log.warning("sports_feed_malformed", provider=self.provider.value, error=error.message)
            return PollResult.MALFORMED_FEED

    def _fail(self, result: PollResult) -> None:
        self.stats.failures += 1
        was = self.breaker.state
        self.breaker.record_failure()
        if self.breaker.state is CircuitState.OPEN and was is not CircuitState.OPEN:
            log.warning("sports_circuit_opened", provider=self.provider.value, result=result.value)


async def sleep_seconds(seconds: float) -> None:
    """The production sleep; tests inject one that moves a ManualClock instead."""
    await asyncio.sleep(seconds)
