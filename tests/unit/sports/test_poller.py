"""The provider poller: 429 handling, failures into the breaker, parsing, the 2 s loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from datetime import timedelta

from engine.clock import ManualClock
from engine.oracle.sports.adapters import ParsedFeed
from engine.oracle.sports.client import FeedResponse
from engine.oracle.sports.model import ProviderName, ProviderUnreachable
from engine.oracle.sports.poller import PollResult, ProviderPoller
from engine.oracle.sports.resilience import CircuitState
from tests.unit.sports.helpers import (
    FIXTURE_RECEIVED_AT,
    ClockSleep,
    ScriptedClient,
    fixture_text,
)

OK = FeedResponse(200, fixture_text(ProviderName.DRAFTKINGS).encode())


def too_many(retry_after: str | None = None) -> FeedResponse:
    return FeedResponse(429, b"{}", retry_after)


class Poll:
    """A poller of a scripted DraftKings client, its feeds collected."""

    def __init__(
        self,
        script: Sequence[FeedResponse | ProviderUnreachable],
        default: FeedResponse | None = None,
    ) -> None:
        self.clock = ManualClock(FIXTURE_RECEIVED_AT)
        self.sleep = ClockSleep(self.clock)
        self.client = ScriptedClient(ProviderName.DRAFTKINGS, script, default=default)
        self.feeds: list[ParsedFeed] = []
        self.poller = ProviderPoller(self.client, self.clock, self.sleep, self._collect)

    async def _collect(self, feed: ParsedFeed) -> None:
        self.feeds.append(feed)


async def test_a_good_response_is_parsed_and_handed_on() -> None:
    poll = Poll([OK])
    assert await poll.poller.poll_once() is PollResult.OK
    (feed,) = poll.feeds
    assert len(feed.snapshots) == 1
    assert poll.poller.stats.successes == 1


async def test_429_with_retry_after_waits_that_long_then_retries() -> None:
    poll = Poll([too_many("3"), OK])
    assert await poll.poller.poll_once() is PollResult.OK
    assert poll.sleep.calls == [3.0]
    assert poll.client.requests == 2
    assert poll.poller.stats.rate_limited_responses == 1
    assert poll.poller.breaker.consecutive_failures == 0


async def test_429_without_retry_after_backs_off_exponentially() -> None:
    poll = Poll([too_many(), too_many(), too_many(), OK])
    assert await poll.poller.poll_once() is PollResult.OK
    assert poll.sleep.calls == [0.1, 0.2, 0.4]


async def test_five_429s_in_a_row_fail_the_poll_once() -> None:
    poll = Poll([too_many()] * 5)
    assert await poll.poller.poll_once() is PollResult.RATE_LIMITED
    assert poll.sleep.calls == [0.1, 0.2, 0.4, 0.8]  # no wait after the last attempt
    assert poll.client.requests == 5
    assert poll.poller.stats.failures == 1
    assert poll.poller.breaker.consecutive_failures == 1


async def test_retries_still_respect_the_token_bucket() -> None:
    # Five 429s and a success: six requests at once would exceed 5/s, so the bucket waits.
    poll = Poll([too_many("0")] * 4 + [OK])
    for _ in range(5):
        poll.poller.bucket.try_acquire()  # someone else used this second's burst
    assert await poll.poller.poll_once() is PollResult.OK
    assert sum(poll.sleep.calls) >= 1.0  # five requests at 5/s from an empty bucket


async def test_failures_open_the_circuit_and_skip_polls_until_the_trial() -> None:
    script: list[FeedResponse | ProviderUnreachable] = [
        ProviderUnreachable("connection refused"),
        FeedResponse(503, b""),
        FeedResponse(500, b""),
        ProviderUnreachable("timeout"),
        FeedResponse(200, b"<html>maintenance</html>"),
        OK,
    ]
    poll = Poll(script)
    results = [await poll.poller.poll_once() for _ in range(5)]
    assert results == [PollResult.UNAVAILABLE] * 4 + [PollResult.MALFORMED_FEED]
    assert poll.poller.breaker.state is CircuitState.OPEN
    assert await poll.poller.poll_once() is PollResult.SKIPPED_CIRCUIT_OPEN
    assert poll.client.requests == 5  # an open circuit sends nothing
    poll.clock.advance(timedelta(seconds=60))
    assert await poll.poller.poll_once() is PollResult.OK
    assert poll.poller.breaker.state is CircuitState.CLOSED
    health = poll.poller.health()
    assert (health.failures, health.skipped_circuit_open, health.malformed_feeds) == (5, 1, 1)


async def test_rejected_entries_are_counted_but_do_not_fail_the_poll() -> None:
    document = json.loads(fixture_text(ProviderName.DRAFTKINGS))
    document["events"][0]["offers"][0]["outcomes"][0]["oddsAmerican"] = "+0"
    poll = Poll([FeedResponse(200, json.dumps(document).encode())])
    assert await poll.poller.poll_once() is PollResult.OK
    assert poll.poller.stats.rejections == {"INVALID_ODDS": 1}
    assert poll.poller.breaker.consecutive_failures == 0


async def test_the_loop_polls_every_two_seconds_and_survives_a_crashing_handler() -> None:
    poll = Poll([], default=OK)
    calls = 0
    fourth_feed = asyncio.Event()

    async def crash_then_collect(feed: ParsedFeed) -> None:
        nonlocal calls
        calls += 1
        if calls == 4:
            fourth_feed.set()
        if calls == 1:
            raise RuntimeError("a bug downstream")

    poller = ProviderPoller(poll.client, poll.clock, poll.sleep, crash_then_collect)
    task = asyncio.create_task(poller.run())
    await asyncio.wait_for(fourth_feed.wait(), timeout=5)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert poll.sleep.calls[:3] == [2.0, 2.0, 2.0]
    assert poller.stats.failures == 1
