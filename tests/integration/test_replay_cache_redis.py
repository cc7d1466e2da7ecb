"""The Redis replay cache on this machine's Redis: one signature is accepted once, anywhere."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from engine.accounts.apikeys import (
    REPLAY_TTL_MS,
    FallbackReplayCache,
    MemoryReplayCache,
    RedisReplayCache,
    ReplayedSignature,
    check_not_replayed,
    new_api_key,
    sign,
)
from tests.conftest import REDIS_URL
from tests.servers import free_port

pytestmark = pytest.mark.redis


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    prefix = f"godark:test:sig:{uuid.uuid4().hex}:"
    yield prefix
    cleaner = Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in cleaner.scan_iter(match=prefix + "*")]
        if keys:
            await cleaner.delete(*keys)
    finally:
        await cleaner.aclose()


@pytest.fixture
async def two_processes() -> AsyncIterator[tuple[Redis, Redis]]:
    first, second = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
    try:
        yield first, second
    finally:
        await first.aclose()
        await second.aclose()


def _signature() -> str:
    return sign(new_api_key()[1], "1767225600000", "POST", "/graphql", b"{}")


async def test_a_signature_used_by_one_process_is_refused_by_another(
    prefix: str, two_processes: tuple[Redis, Redis]
) -> None:
    first = RedisReplayCache(two_processes[0], prefix=prefix)
    second = RedisReplayCache(two_processes[1], prefix=prefix)
    signature = _signature()

    await check_not_replayed(first, signature, REPLAY_TTL_MS)
    with pytest.raises(ReplayedSignature) as refused:
        await check_not_replayed(second, signature, REPLAY_TTL_MS)
    assert refused.value.code == "REPLAYED_SIGNATURE"
    with pytest.raises(ReplayedSignature):
        await check_not_replayed(first, signature, REPLAY_TTL_MS)
    await check_not_replayed(second, _signature(), REPLAY_TTL_MS)  # other signatures pass


async def test_concurrent_uses_of_one_signature_admit_exactly_one(
    prefix: str, two_processes: tuple[Redis, Redis]
) -> None:
    caches = [RedisReplayCache(client, prefix=prefix) for client in two_processes]
    signature = _signature()
    results = await asyncio.gather(
        *(caches[n % 2].first_use(signature, REPLAY_TTL_MS) for n in range(20))
    )
    assert results.count(True) == 1


async def test_the_entry_expires_after_the_ttl(
    prefix: str, two_processes: tuple[Redis, Redis]
) -> None:
    cache = RedisReplayCache(two_processes[0], prefix=prefix)
    signature = _signature()
    assert await cache.first_use(signature, 100)
    ttl_ms = await two_processes[1].pttl(prefix + signature)
    assert 0 < ttl_ms <= 100
    await asyncio.sleep(0.25)
    assert await cache.first_use(signature, 100)


def _unreachable_redis() -> Redis:
    """A client of a port nothing listens on: every call fails as in an outage."""
    return Redis.from_url(f"redis://127.0.0.1:{free_port()}", socket_connect_timeout=0.5)


async def test_while_redis_is_down_this_process_still_refuses_replays(prefix: str) -> None:
    down = _unreachable_redis()
    try:
        cache = FallbackReplayCache(RedisReplayCache(down, prefix=prefix), MemoryReplayCache())
        signature = _signature()
        await check_not_replayed(cache, signature, REPLAY_TTL_MS)  # not an error: accepted
        assert cache.using_local
        with pytest.raises(ReplayedSignature):
            await check_not_replayed(cache, signature, REPLAY_TTL_MS)
        await check_not_replayed(cache, _signature(), REPLAY_TTL_MS)
    finally:
        await down.aclose()


async def test_a_signature_first_used_in_an_outage_stays_refused_once_redis_is_back(
    prefix: str, two_processes: tuple[Redis, Redis]
) -> None:
    local = MemoryReplayCache()
    down = _unreachable_redis()
    try:
        during = FallbackReplayCache(RedisReplayCache(down, prefix=prefix), local)
        signature = _signature()
        await check_not_replayed(during, signature, REPLAY_TTL_MS)
    finally:
        await down.aclose()
    # The same process, Redis answering again: shared and local both remember.
    after = FallbackReplayCache(RedisReplayCache(two_processes[0], prefix=prefix), local)
    with pytest.raises(ReplayedSignature):
        await check_not_replayed(after, signature, REPLAY_TTL_MS)
    assert not after.using_local
    fresh = _signature()
    await check_not_replayed(after, fresh, REPLAY_TTL_MS)
    other_process = RedisReplayCache(two_processes[1], prefix=prefix)
    with pytest.raises(ReplayedSignature):  # recorded in Redis for every process
        await check_not_replayed(other_process, fresh, REPLAY_TTL_MS)
