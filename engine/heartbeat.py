"""A once-a-second tick shared by every subscriber, so clients can tell a live server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from engine.clock import Clock

HEARTBEAT_INTERVAL_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Tick:
    sequence: int
    server_time: datetime


class HeartbeatTicker:
    def __init__(self, clock: Clock, interval_seconds: float = HEARTBEAT_INTERVAL_SECONDS) -> None:
        self._clock = clock
        self._interval = interval_seconds
        self._sequence = 0
        self._latest: Tick | None = None
        self._next_tick = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="heartbeat")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def ticks(self) -> AsyncIterator[Tick]:
        """Every tick from now on; a slow reader skips to the latest rather than lagging."""
        while True:
            await self._next_tick.wait()
            if self._latest is not None:
                yield self._latest

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            self._sequence += 1
            self._latest = Tick(self._sequence, self._clock.now())
            # Wake everyone waiting on this tick, and give later waiters a fresh event.
            current, self._next_tick = self._next_tick, asyncio.Event()
            current.set()
