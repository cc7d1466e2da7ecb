"""Redis pub/sub event bus: fans events out to every process that subscribes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from engine.bus.base import Event

CHANNEL_PREFIX = "godark:"


class RedisBus:
    def __init__(self, url: str, channel_prefix: str = CHANNEL_PREFIX) -> None:
        self._url = url
        self._prefix = channel_prefix
        self._redis: Redis | None = None

    async def start(self) -> None:
        if self._redis is None:
            self._redis = Redis.from_url(self._url)

    async def stop(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    @property
    def _client(self) -> Redis:
        if self._redis is None:
            raise RuntimeError("RedisBus used before start()")
        return self._redis

    async def publish(self, topic: str, event: Event) -> None:
        await self._client.publish(self._prefix + topic, json.dumps(event, separators=(",", ":")))

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[AsyncIterator[Event]]:
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        # subscribe() returns once Redis confirms, so no event published after entry is lost.
        await pubsub.subscribe(self._prefix + topic)
        try:
            yield _events(pubsub)
        finally:
            await pubsub.unsubscribe()
            await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def healthy(self) -> bool:
        try:
            return bool(await self._client.ping())
        except (RedisError, OSError, RuntimeError):
            return False


async def _events(pubsub: PubSub) -> AsyncIterator[Event]:
    async for message in pubsub.listen():
        if message.get("type") == "message":
            yield json.loads(message["data"])
