"""The event bus interface: publish an event on a topic, and subscribe to a topic's events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

# Events are JSON objects so that every implementation carries them unchanged.
Event = dict[str, Any]

# A subscriber that falls this far behind loses its oldest events rather than
# holding memory for ever or slowing the publisher.
SUBSCRIBER_BUFFER = 1_000


class EventBus(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, topic: str, event: Event) -> None: ...

    def subscribe(self, topic: str) -> AbstractAsyncContextManager[AsyncIterator[Event]]:
        """Events published on `topic` after the context is entered, until it exits."""
        ...

    async def healthy(self) -> bool: ...
