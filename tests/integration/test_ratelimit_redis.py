"""Rate limits in this machine's Redis hold across API processes (here: separate clients,
each with its own connections) and under concurrent calls."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from engine.accounts.ratelimit import BucketSpec, RateLimiter, Tier
from engine.accounts.ratelimit_redis import RedisBucketStore
from engine.clock import ManualClock
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.redis


@pytest.fixture
def prefix() -> str:
    return f"godark-test-rl-{uuid.uuid4().hex[:12]}:"


@pytest.fixture
async def clients(prefix: str) -> AsyncIterator[tuple[Redis, Redis]]:
    """Two independent clients, as two API processes would have."""
    first, second = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
    try:
        yield first, second
    finally:
        keys = [key async for key in first.scan_iter(match=f"{prefix}*")]
        if keys:
            await first.delete(*keys)
        await first.aclose()
        await second.aclose()


async def test_two_processes_draw_on_the_same_buckets(
    clients: tuple[Redis, Redis], prefix: str, clock: ManualClock
) -> None:
    one = RateLimiter(RedisBucketStore(clients[0], prefix), clock, violations_before_ban=1000)
    two = RateLimiter(RedisBucketStore(clients[1], prefix), clock, violations_before_ban=1000)
    results = [await (one if n % 2 else two).request("alice", Tier.FREE) for n in range(11)]
    assert [decision.allowed for decision in results] == [True] * 10 + [False]
    assert results[10].retry_after == pytest.approx(0.5)
    clock.advance(timedelta(seconds=0.5))
    assert (await one.request("alice", Tier.FREE)).allowed
    assert not (await two.request("alice", Tier.FREE)).allowed


async def test_a_ban_and_a_login_lock_hold_in_every_process(
    clients: tuple[Redis, Redis], prefix: str, clock: ManualClock
) -> None:
    one = RateLimiter(RedisBucketStore(clients[0], prefix), clock, violations_before_ban=2)
    two = RateLimiter(RedisBucketStore(clients[1], prefix), clock, violations_before_ban=2)
    for _ in range(10):
        await one.request("mallory", Tier.FREE)
    await one.request("mallory", Tier.FREE)
    await two.request("mallory", Tier.FREE)  # the second violation, seen by another process
    clock.advance(timedelta(seconds=60))
    decision = await one.request("mallory", Tier.FREE)
    assert not decision.allowed
    assert decision.retry_after == pytest.approx(240.0)

    for n in range(5):
        await (one, two)[n % 2].record_login_failure("account-a", "10.0.0.1")
    assert not (await two.login_allowed("account-a", "10.0.0.1")).allowed
    await one.record_login_success("account-a")
    assert (await two.login_allowed("account-a", "10.0.0.1")).allowed


async def test_concurrent_takes_never_overspend_a_bucket(
    clients: tuple[Redis, Redis], prefix: str
) -> None:
    stores = [RedisBucketStore(client, prefix) for client in clients]
    bucket = [BucketSpec("shared", rate=0.001, capacity=50)]
    decisions = await asyncio.gather(*(stores[n % 2].take(bucket, 1_000.0) for n in range(200)))
    assert sum(decision.allowed for decision in decisions) == 50


async def test_concurrent_multi_bucket_takes_charge_all_or_nothing(
    clients: tuple[Redis, Redis], prefix: str
) -> None:
    store = RedisBucketStore(clients[0], prefix)
    wide = BucketSpec("wide", rate=0.001, capacity=100)
    narrow = BucketSpec("narrow", rate=0.001, capacity=30)
    decisions = await asyncio.gather(*(store.take([wide, narrow], 1_000.0) for _ in range(100)))
    assert sum(decision.allowed for decision in decisions) == 30
    # Only the 30 allowed calls were charged to the wide bucket: 70 tokens remain.
    assert (await store.take([BucketSpec("wide", 0.001, 100, cost=70)], 1_000.0)).allowed
    assert not (await store.take([wide], 1_000.0)).allowed


async def test_keys_expire_once_they_would_be_full_again(
    clients: tuple[Redis, Redis], prefix: str
) -> None:
    redis = clients[0]
    store = RedisBucketStore(redis, prefix)
    await store.take([BucketSpec("ten-per-second", rate=10, capacity=20, cost=5)], 1_000.0)
    assert 0 < await redis.pttl(f"{prefix}bucket:ten-per-second") <= 500  # 5 tokens at 10/s
    await store.hit("violations", 60.0, 1_000.0)
    assert 59_000 < await redis.pttl(f"{prefix}hits:violations") <= 60_000
    await store.ban("violations", 1_030.0, 1_000.0)
    assert 29_000 < await redis.pttl(f"{prefix}ban:violations") <= 30_000
    await store.reset("violations")
    assert await redis.exists(f"{prefix}hits:violations", f"{prefix}ban:violations") == 0
