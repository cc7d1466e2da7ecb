"""Redis pub/sub event bus: fans events out to every process that subscribes.

Publishing never waits for Redis: events go to an outbox that a background task sends,
so a slow or absent Redis costs the publisher nothing. While Redis is down the outbox
keeps the newest events (dropping, and counting, the oldest) and the sender retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from engine.bus.base import Event

CHANNEL_PREFIX = "godark:"
CONNECT_TIMEOUT_SECONDS = 2.0
OUTBOX_LIMIT = 50_000
RETRY_SECONDS = 1.0
FLUSH_SECONDS = 2.0
SEND_BATCH = 500

log = structlog.get_logger("godark.bus.redis")


class RedisBus:
    def __init__(self, url: str, channel_prefix: str = CHANNEL_PREFIX) -> None:
        self._url = url
        self._prefix = channel_prefix
        self._redis: Redis | None = None
        self._outbox: asyncio.Queue[tuple[str, str]] = asyncio.Queue(maxsize=OUTBOX_LIMIT)
        self._sender: asyncio.Task[None] | None = None
        self.dropped_events = 0

    async def start(self) -> None:
        if self._redis is None:
            # Fail fast: a refused connection is reported at once, not after retries.
            self._redis = Redis.from_url(
                self._url,
                socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
                retry=Retry(NoBackoff(), 0),
            )
        if self._sender is None:
            self._sender = asyncio.create_task(self._send(), name="redis-bus-sender")

    async def stop(self) -> None:
        if self._sender is not None:
            await self._flush()
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
            self._sender = None
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    @property
    def _client(self) -> Redis:
        if self._redis is None:
            raise RuntimeError("RedisBus used before start()")
        return self._redis

    async def publish(self, topic: str, event: Event) -> None:
        if self._outbox.full():
            self._outbox.get_nowait()
            self._outbox.task_done()
            self.dropped_events += 1
        self._outbox.put_nowait((self._prefix + topic, json.dumps(event, separators=(",", ":"))))

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[AsyncIterator[Event]]:
        subscription = _Subscription(self._client, self._prefix + topic)
        # Returns once Redis confirms, so no event published after entry is lost.
        await subscription.connect()
        try:
            yield subscription.events()
        finally:
            await subscription.close()

    async def healthy(self) -> bool:
        try:
            return bool(await self._client.ping())
        except (RedisError, OSError, RuntimeError):
            return False

    async def _send(self) -> None:
        while True:
            batch = [await self._outbox.get()]
            # Whatever else is queued goes in the same round trip: one PUBLISH per round trip
            # falls minutes behind a busy engine on a loaded machine.
            while len(batch) < SEND_BATCH and not self._outbox.empty():
                batch.append(self._outbox.get_nowait())
            while True:
                try:
                    async with self._client.pipeline(transaction=False) as pipe:
                        for channel, message in batch:
                            pipe.publish(channel, message)
                        await pipe.execute()
                    break
                except (RedisError, OSError) as error:
                    log.warning("redis_publish_failed", error=type(error).__name__)
                    await asyncio.sleep(RETRY_SECONDS)
            for _ in batch:
                self._outbox.task_done()

    async def _flush(self) -> None:
        """Give queued events a moment to leave before shutting down."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(FLUSH_SECONDS):
                await self._outbox.join()


class _Subscription:
    """One topic's pub/sub connection, made again when Redis drops it: the subscriber keeps
    its stream and misses only what was published while Redis was away (pub/sub keeps
    nothing for a disconnected subscriber anyway)."""

    def __init__(self, redis: Redis, channel: str) -> None:
        self._redis = redis
        self._channel = channel
        self._pubsub: PubSub | None = None

    async def connect(self) -> None:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self._channel)
        except BaseException:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            raise
        self._pubsub = pubsub

    async def events(self) -> AsyncIterator[Event]:
        while True:
            assert self._pubsub is not None
            try:
                async for message in self._pubsub.listen():
                    if message.get("type") == "message":
                        yield json.loads(message["data"])
            except (RedisError, OSError) as error:
                log.warning("redis_subscription_lost", error=type(error).__name__)
            await self._reconnect()

    async def _reconnect(self) -> None:
        await self.close()
        while True:
            await asyncio.sleep(RETRY_SECONDS)
            try:
                await self.connect()
                return
            except (RedisError, OSError):
                continue

    async def close(self) -> None:
        if self._pubsub is None:
            return
        pubsub, self._pubsub = self._pubsub, None
        with contextlib.suppress(RedisError, OSError):
            await pubsub.unsubscribe()
        await pubsub.aclose()  # type: ignore[no-untyped-call]
