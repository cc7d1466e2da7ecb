"""Rate limits as a client meets them: bursts, refills, per-minute caps, bans and login
throttling, on the in-process store and on this machine's real Redis."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from engine.accounts.ratelimit import (
    LOGIN_FAILURES_PER_IP,
    LOGIN_WINDOW_SECONDS,
    TIER_LIMITS,
    BucketSpec,
    BucketStore,
    Decision,
    MemoryBucketStore,
    RateLimiter,
    Tier,
    TierLimits,
)
from engine.accounts.ratelimit_redis import RedisBucketStore
from engine.clock import ManualClock
from tests.conftest import REDIS_URL

ALLOWED = Decision(allowed=True, retry_after=0.0)


def refused(retry_after: float) -> Decision:
    return Decision(allowed=False, retry_after=pytest.approx(retry_after))  # type: ignore[arg-type]


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[BucketStore]:
    if request.param == "memory":
        yield MemoryBucketStore()
        return
    redis = Redis.from_url(REDIS_URL)
    prefix = f"godark-test-rl-{uuid.uuid4().hex[:12]}:"
    try:
        yield RedisBucketStore(redis, prefix=prefix)
    finally:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


@pytest.fixture
def limiter(store: BucketStore, clock: ManualClock) -> RateLimiter:
    return RateLimiter(store, clock, violations_before_ban=1000)


def test_tier_numbers_are_those_of_the_seed() -> None:
    assert TIER_LIMITS[Tier.FREE] == TierLimits(60, 2, 10, 10, 2, 10, 30, 60, 20)
    assert TIER_LIMITS[Tier.MARKET_MAKER] == TierLimits(
        6000, 200, 500, 1000, 20, 1000, 3000, 6000, 5000
    )
    assert set(TIER_LIMITS) == set(Tier)
    ordered = [TIER_LIMITS[tier] for tier in (Tier.FREE, Tier.BASIC, Tier.PRO, Tier.MARKET_MAKER)]
    assert all(
        lower.requests_per_minute < higher.requests_per_minute and lower.burst < higher.burst
        for lower, higher in itertools.pairwise(ordered)
    )


async def test_a_burst_is_allowed_then_refused_until_a_token_returns(
    limiter: RateLimiter, clock: ManualClock
) -> None:
    for _ in range(10):  # FREE: burst 10
        assert await limiter.request("alice", Tier.FREE) == ALLOWED
    assert await limiter.request("alice", Tier.FREE) == refused(0.5)  # 2 per second
    clock.advance(timedelta(seconds=0.3))
    assert await limiter.request("alice", Tier.FREE) == refused(0.2)
    clock.advance(timedelta(seconds=0.2))
    assert await limiter.request("alice", Tier.FREE) == ALLOWED
    assert (await limiter.request("alice", Tier.FREE)).allowed is False


async def test_buckets_refill_over_time_up_to_the_burst_only(
    limiter: RateLimiter, clock: ManualClock
) -> None:
    for _ in range(10):
        await limiter.request("alice", Tier.FREE)
    clock.advance(timedelta(hours=1))  # far longer than needed: the refill stops at the burst
    results = [await limiter.request("alice", Tier.FREE) for _ in range(11)]
    assert results[:10] == [ALLOWED] * 10
    assert results[10] == refused(0.5)


async def test_principals_and_tiers_have_their_own_buckets(limiter: RateLimiter) -> None:
    for _ in range(10):
        await limiter.request("alice", Tier.FREE)
    assert not (await limiter.request("alice", Tier.FREE)).allowed
    assert await limiter.request("bob", Tier.FREE) == ALLOWED
    pro = [await limiter.request("carol", Tier.PRO) for _ in range(201)]
    assert pro[:200] == [ALLOWED] * 200  # PRO: burst 200
    assert pro[200] == refused(1 / 40)  # 40 per second


async def test_the_per_minute_cap_binds_when_the_per_second_rate_is_respected(
    limiter: RateLimiter, clock: ManualClock
) -> None:
    # FREE allows 2 per second but 60 per minute: a client sending exactly 2 per second
    # spends its minute allowance (60 plus 1 per second of refill) after 119 requests.
    for sent in range(119):
        assert await limiter.request("alice", Tier.FREE) == ALLOWED, sent
        clock.advance(timedelta(seconds=0.5))
    assert await limiter.request("alice", Tier.FREE) == refused(0.5)


async def test_a_refused_multi_bucket_call_charges_no_bucket(store: BucketStore) -> None:
    now = 1_000.0
    wide = BucketSpec("wide", rate=1, capacity=5)
    narrow = BucketSpec("narrow", rate=0.5, capacity=1)
    assert await store.take([wide, narrow], now) == ALLOWED
    assert await store.take([wide, narrow], now) == refused(2.0)  # narrow lacks a whole token
    # wide still holds 4 tokens: the refused call took nothing from it.
    assert await store.take([BucketSpec("wide", rate=1, capacity=5, cost=4)], now) == ALLOWED
    assert await store.take([wide], now) == refused(1.0)


async def test_retry_after_is_the_longest_wait_among_lacking_buckets(store: BucketStore) -> None:
    now = 1_000.0
    slow = BucketSpec("slow", rate=0.1, capacity=1)
    fast = BucketSpec("fast", rate=10, capacity=1)
    assert await store.take([slow, fast], now) == ALLOWED
    assert await store.take([fast, slow], now + 0.05) == refused(9.95)


async def test_orders_and_cancels_have_their_own_per_minute_limits(
    limiter: RateLimiter, clock: ManualClock
) -> None:
    # FREE: 30 orders and 60 cancels per minute; buckets hold ten seconds' worth.
    orders = [await limiter.order("alice", Tier.FREE) for _ in range(6)]
    assert orders[:5] == [ALLOWED] * 5
    assert orders[5] == refused(2.0)
    cancels = [await limiter.cancel("alice", Tier.FREE) for _ in range(11)]
    assert cancels[:10] == [ALLOWED] * 10
    assert cancels[10] == refused(1.0)
    clock.advance(timedelta(seconds=60))
    allowed = 0
    for _ in range(60):  # one attempt a second for a minute
        allowed += (await limiter.order("alice", Tier.FREE)).allowed
        clock.advance(timedelta(seconds=1))
    # The 5 held plus one per 2 seconds refilled by the last attempt (59 s): 5 + 29.
    assert allowed == 34


async def test_websocket_messages_are_limited_per_second(
    limiter: RateLimiter, clock: ManualClock
) -> None:
    sent = [await limiter.ws_message("alice", Tier.BASIC) for _ in range(51)]
    assert sent[:50] == [ALLOWED] * 50  # BASIC: 50 messages per second
    assert sent[50] == refused(1 / 50)
    clock.advance(timedelta(seconds=1))
    assert [await limiter.ws_message("alice", Tier.BASIC) for _ in range(50)] == [ALLOWED] * 50


async def test_repeated_violations_ban_the_principal_until_the_ban_expires(
    store: BucketStore, clock: ManualClock
) -> None:
    limiter = RateLimiter(
        store, clock, violations_before_ban=3, violation_window=60.0, ban_seconds=300.0
    )
    for _ in range(10):
        await limiter.request("alice", Tier.FREE)
    assert await limiter.request("alice", Tier.FREE) == refused(0.5)
    assert await limiter.request("alice", Tier.FREE) == refused(0.5)
    assert await limiter.request("alice", Tier.FREE) == refused(300.0)  # third violation
    clock.advance(timedelta(seconds=100))
    # The buckets are full again, but the ban refuses every kind of call.
    assert await limiter.request("alice", Tier.FREE) == refused(200.0)
    assert await limiter.order("alice", Tier.FREE) == refused(200.0)
    assert await limiter.request("bob", Tier.FREE) == ALLOWED
    clock.advance(timedelta(seconds=200))
    assert await limiter.request("alice", Tier.FREE) == ALLOWED


async def test_violations_spread_beyond_the_window_do_not_ban(
    store: BucketStore, clock: ManualClock
) -> None:
    limiter = RateLimiter(store, clock, violations_before_ban=3, violation_window=60.0)
    for _ in range(5):
        for _ in range(6):
            await limiter.order("alice", Tier.FREE)  # 5 allowed, then one violation
        clock.advance(timedelta(seconds=61))
    assert await limiter.order("alice", Tier.FREE) == ALLOWED


async def test_five_login_failures_lock_the_account_for_fifteen_minutes(
    limiter: RateLimiter, clock: ManualClock
) -> None:
    for _ in range(4):
        assert await limiter.login_allowed("account-a", "10.0.0.1") == ALLOWED
        await limiter.record_login_failure("account-a", "10.0.0.1")
        clock.advance(timedelta(seconds=10))
    assert await limiter.login_allowed("account-a", "10.0.0.1") == ALLOWED
    await limiter.record_login_failure("account-a", "10.0.0.1")
    assert await limiter.login_allowed("account-a", "10.0.0.2") == refused(LOGIN_WINDOW_SECONDS)
    # Another account behind the same IP is not locked out by this one.
    assert await limiter.login_allowed("account-b", "10.0.0.1") == ALLOWED
    clock.advance(timedelta(seconds=LOGIN_WINDOW_SECONDS - 1))
    assert await limiter.login_allowed("account-a", "10.0.0.1") == refused(1.0)
    clock.advance(timedelta(seconds=1))
    assert await limiter.login_allowed("account-a", "10.0.0.1") == ALLOWED


async def test_failures_older_than_the_window_are_forgotten(
    limiter: RateLimiter, clock: ManualClock
) -> None:
    for _ in range(8):
        await limiter.record_login_failure("account-a", "10.0.0.1")
        clock.advance(timedelta(minutes=4))  # never 5 failures within 15 minutes
        assert await limiter.login_allowed("account-a", "10.0.0.1") == ALLOWED


async def test_a_successful_login_clears_the_account_count_but_not_the_ip_count(
    limiter: RateLimiter,
) -> None:
    for _ in range(4):
        await limiter.record_login_failure("account-a", "10.0.0.1")
    await limiter.record_login_success("account-a")
    for _ in range(4):
        await limiter.record_login_failure("account-a", "10.0.0.1")
    assert await limiter.login_allowed("account-a", "10.0.0.1") == ALLOWED

    # 8 failures from this IP so far; spread over many accounts, the IP reaches its limit.
    for n in range(LOGIN_FAILURES_PER_IP - 8):
        await limiter.record_login_failure(f"stuffed-{n}", "10.0.0.1")
    await limiter.record_login_success("account-a")
    assert await limiter.login_allowed("fresh", "10.0.0.1") == refused(LOGIN_WINDOW_SECONDS)
    assert await limiter.login_allowed("fresh", "10.0.0.9") == ALLOWED


async def test_the_memory_store_forgets_idle_keys(clock: ManualClock) -> None:
    store = MemoryBucketStore(sweep_every=100)
    limiter = RateLimiter(store, clock, violations_before_ban=1000)
    for n in range(1_000):
        await limiter.request(f"visitor-{n}", Tier.FREE)
        await limiter.record_login_failure(f"account-{n}", f"10.0.{n // 256}.{n % 256}")
    assert len(store) >= 1_000
    clock.advance(timedelta(seconds=LOGIN_WINDOW_SECONDS + 1))
    for _ in range(100):  # enough operations to trigger a sweep
        await limiter.request("regular", Tier.MARKET_MAKER)
    assert len(store) <= 2  # the regular's two buckets
