"""The event bus: in-process, and Redis pub/sub across processes on this machine's Redis."""

from __future__ import annotations

import asyncio
import sys
import uuid

import pytest

from engine.bus import InProcessBus, RedisBus
from tests.conftest import REDIS_URL

PUBLISHER = """
import asyncio, sys
from engine.bus import RedisBus

async def main():
    bus = RedisBus(sys.argv[1], channel_prefix=sys.argv[2])
    await bus.start()
    for n in range(3):
        await bus.publish("trades", {"sequence": n, "from": "other process"})
    await bus.stop()

asyncio.run(main())
"""


async def test_in_process_subscribers_each_get_every_event_in_order() -> None:
    bus = InProcessBus()
    async with bus.subscribe("trades") as first, bus.subscribe("trades") as second:
        for n in range(3):
            await bus.publish("trades", {"sequence": n})
        await bus.publish("other-topic", {"sequence": 99})
        for events in (first, second):
            received = [(await anext(events))["sequence"] for _ in range(3)]
            assert received == [0, 1, 2]


async def test_a_slow_in_process_subscriber_loses_its_oldest_events_not_the_publisher() -> None:
    bus = InProcessBus(buffer=2)
    async with bus.subscribe("trades") as events:
        for n in range(5):
            await bus.publish("trades", {"sequence": n})
        assert [(await anext(events))["sequence"] for _ in range(2)] == [3, 4]
    assert bus.dropped_events == 3


@pytest.mark.redis
async def test_an_event_published_in_another_process_arrives_through_redis() -> None:
    prefix = f"godark-test-{uuid.uuid4().hex[:8]}:"
    bus = RedisBus(REDIS_URL, channel_prefix=prefix)
    await bus.start()
    try:
        async with bus.subscribe("trades") as events:
            publisher = await asyncio.create_subprocess_exec(
                sys.executable, "-c", PUBLISHER, REDIS_URL, prefix
            )
            assert await asyncio.wait_for(publisher.wait(), timeout=30) == 0
            received = [await asyncio.wait_for(anext(events), timeout=5) for _ in range(3)]
        assert received == [{"sequence": n, "from": "other process"} for n in range(3)]
        assert await bus.healthy()
    finally:
        await bus.stop()


@pytest.mark.redis
async def test_redis_bus_reports_unhealthy_when_redis_is_unreachable() -> None:
    # Port 9 (discard) has no Redis on this machine: the bus must say so, not hang or raise.
    bus = RedisBus("redis://127.0.0.1:9/0")
    await bus.start()
    try:
        assert not await bus.healthy()
    finally:
        await bus.stop()


@pytest.mark.redis
async def test_publishing_never_waits_for_a_redis_that_is_down() -> None:
    import time

    bus = RedisBus("redis://127.0.0.1:9/0")
    await bus.start()
    try:
        started = time.perf_counter()
        for n in range(1_000):
            await bus.publish("trades", {"sequence": n})
        assert time.perf_counter() - started < 0.5
        assert not await bus.healthy()
    finally:
        await bus.stop()
