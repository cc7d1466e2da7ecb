"""Token bucket, 429 backoff and circuit breaker, all on a ManualClock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

from engine.clock import ManualClock
from engine.oracle.sports.resilience import (
    CircuitBreaker,
    CircuitState,
    TokenBucket,
    backoff_seconds,
    retry_after_seconds,
)
from tests.unit.sports.helpers import ClockSleep


async def test_the_bucket_allows_five_a_second_and_delays_the_sixth() -> None:
    clock = ManualClock()
    sleep = ClockSleep(clock)
    bucket = TokenBucket(clock, sleep)
    start = clock.now()
    for _ in range(5):
        assert await bucket.acquire() == 0
    assert sleep.calls == []
    # The sixth waits for one token at 5 tokens/s: 0.2 s.
    assert await bucket.acquire() == Fraction(1, 5)
    assert sleep.calls == [0.2]
    assert clock.now() - start == timedelta(milliseconds=200)


async def test_the_bucket_refills_but_never_beyond_its_burst() -> None:
    clock = ManualClock()
    bucket = TokenBucket(clock, ClockSleep(clock))
    for _ in range(5):
        assert bucket.try_acquire()
    assert not bucket.try_acquire()
    clock.advance(timedelta(seconds=10))
    assert sum(bucket.try_acquire() for _ in range(8)) == 5
    clock.advance(timedelta(milliseconds=400))
    assert sum(bucket.try_acquire() for _ in range(8)) == 2


def test_backoff_starts_at_100_ms_and_doubles() -> None:
    assert [backoff_seconds(retry) for retry in (1, 2, 3, 4)] == [
        Fraction(1, 10),
        Fraction(1, 5),
        Fraction(2, 5),
        Fraction(4, 5),
    ]


def test_retry_after_as_seconds_or_http_date_capped_at_a_minute() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert retry_after_seconds("3", now) == 3
    assert retry_after_seconds("Thu, 01 Jan 2026 12:00:07 GMT", now) == 7
    assert retry_after_seconds("Thu, 01 Jan 2026 11:59:00 GMT", now) == 0
    assert retry_after_seconds("86400", now) == 60
    assert retry_after_seconds(None, now) is None
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds("-5", now) is None


def test_the_circuit_opens_after_exactly_five_consecutive_failures() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(clock)
    for _ in range(4):
        breaker.record_failure()
    assert breaker.state is CircuitState.CLOSED
    assert breaker.allow_request()
    breaker.record_failure()
    assert breaker.state is CircuitState.OPEN
    assert not breaker.allow_request()


def test_a_success_resets_the_count_of_consecutive_failures() -> None:
    breaker = CircuitBreaker(ManualClock())
    for _ in range(4):
        breaker.record_failure()
    breaker.record_success()
    for _ in range(4):
        breaker.record_failure()
    assert breaker.state is CircuitState.CLOSED


def test_open_for_sixty_seconds_then_one_trial_then_closed_on_success() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(clock)
    for _ in range(5):
        breaker.record_failure()
    clock.advance(timedelta(seconds=59, microseconds=999_999))
    assert not breaker.allow_request()
    assert breaker.state is CircuitState.OPEN
    clock.advance(timedelta(microseconds=1))
    assert breaker.allow_request()  # the one trial request
    assert breaker.state is CircuitState.HALF_OPEN
    assert not breaker.allow_request()  # no second request while the trial is out
    breaker.record_success()
    assert breaker.state is CircuitState.CLOSED
    assert breaker.allow_request()


def test_a_failed_trial_reopens_the_circuit_for_another_minute() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(clock)
    for _ in range(5):
        breaker.record_failure()
    clock.advance(timedelta(seconds=60))
    assert breaker.allow_request()
    breaker.record_failure()
    assert breaker.state is CircuitState.OPEN
    assert breaker.times_opened == 2
    clock.advance(timedelta(seconds=30))
    assert not breaker.allow_request()
    clock.advance(timedelta(seconds=30))
    assert breaker.allow_request()
