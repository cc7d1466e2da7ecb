"""Rate limiting and failover per provider: token bucket, 429 backoff, circuit breaker.

Seed 000, Rate Limiting & Failover; all time from the injected clock and sleep.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from fractions import Fraction

from engine.clock import Clock

Sleep = Callable[[float], Awaitable[None]]

# Five requests a second per provider, with a burst of at most five.
REQUESTS_PER_SECOND = 5
BUCKET_CAPACITY = 5
# Seed 000, Rate Limiting & Failover: backoff starts at 100 ms and doubles, five attempts.
BACKOFF_INITIAL_SECONDS = Fraction(1, 10)
RATE_LIMIT_ATTEMPTS = 5
# A Retry-After longer than this is honoured only up to it: one bad header must not park a
# provider for hours. The breaker's open period is the natural unit.
MAX_RETRY_AFTER_SECONDS = 60
# Seed 000, Rate Limiting & Failover: five consecutive failures open the circuit for 60 s.
CIRCUIT_FAILURE_THRESHOLD = 5
CIRCUIT_OPEN_FOR = timedelta(seconds=60)


def seconds_between(earlier: datetime, later: datetime) -> Fraction:
    """Exact elapsed seconds (datetimes are exact to the microsecond)."""
    return Fraction((later - earlier) // timedelta(microseconds=1), 1_000_000)


class TokenBucket:
    """Up to `capacity` requests at once, refilled at `rate` per second."""

    def __init__(
        self,
        clock: Clock,
        sleep: Sleep,
        rate: int = REQUESTS_PER_SECOND,
        capacity: int = BUCKET_CAPACITY,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._rate = rate
        self._capacity = Fraction(capacity)
        self._tokens = Fraction(capacity)
        self._updated = clock.now()

    def try_acquire(self) -> bool:
        self._refill()
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    def wait_seconds(self) -> Fraction:
        """How long until a token is available; 0 when one is now."""
        self._refill()
        return max(Fraction(0), (1 - self._tokens) / self._rate)

    async def acquire(self) -> Fraction:
        """Take a token, sleeping until one is available; returns the seconds waited."""
        waited = Fraction(0)
        while not self.try_acquire():
            delay = self.wait_seconds()
            await self._sleep(float(delay))
            waited += delay
        return waited

    def _refill(self) -> None:
        now = self._clock.now()
        if now > self._updated:
            elapsed = seconds_between(self._updated, now)
            self._tokens = min(self._capacity, self._tokens + elapsed * self._rate)
        self._updated = now


def backoff_seconds(retry: int) -> Fraction:
    """The wait before retry number `retry` (1-based) after a 429 without Retry-After."""
    return BACKOFF_INITIAL_SECONDS * (1 << (retry - 1))


def retry_after_seconds(header: str | None, now: datetime) -> Fraction | None:
    """Retry-After as delta-seconds or an HTTP date (RFC 9110), capped; None if absent/bad."""
    if header is None:
        return None
    value = header.strip()
    if value.isascii() and value.isdigit():
        return Fraction(min(int(value), MAX_RETRY_AFTER_SECONDS))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    wait = max(Fraction(0), seconds_between(now, when))
    return min(wait, Fraction(MAX_RETRY_AFTER_SECONDS))


class CircuitState(StrEnum):
    CLOSED = "CLOSED"  # requests flow
    OPEN = "OPEN"  # requests are refused until the open period ends
    HALF_OPEN = "HALF_OPEN"  # one trial request decides: success closes, failure reopens


class CircuitBreaker:
    def __init__(
        self,
        clock: Clock,
        failure_threshold: int = CIRCUIT_FAILURE_THRESHOLD,
        open_for: timedelta = CIRCUIT_OPEN_FOR,
    ) -> None:
        self._clock = clock
        self._threshold = failure_threshold
        self._open_for = open_for
        self._state = CircuitState.CLOSED
        self._opened_at: datetime | None = None
        self._trial_in_flight = False
        self.consecutive_failures = 0
        self.times_opened = 0

    @property
    def state(self) -> CircuitState:
        return self._state

    def allow_request(self) -> bool:
        if self._state is CircuitState.CLOSED:
            return True
        if self._state is CircuitState.OPEN:
            assert self._opened_at is not None
            if self._clock.now() - self._opened_at < self._open_for:
                return False
            self._state = CircuitState.HALF_OPEN
            self._trial_in_flight = False
        if self._trial_in_flight:
            return False
        self._trial_in_flight = True
        return True

    def record_success(self) -> None:
        self._state = CircuitState.CLOSED
        self._trial_in_flight = False
        self.consecutive_failures = 0

    def record_failure(self) -> None:
        self.consecutive_failures += 1
        if self._state is CircuitState.HALF_OPEN or (
            self._state is CircuitState.CLOSED and self.consecutive_failures >= self._threshold
        ):
            self._open()

    def _open(self) -> None:
        self._state = CircuitState.OPEN
        self._opened_at = self._clock.now()
        self._trial_in_flight = False
        self.times_opened += 1
