"""Commands the clock issues: GTD expiry and the liquidation sweep, once a second each.

They are journaled like any command, so a replay expires and liquidates exactly what the
original run did, and an order expires once even across a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

from engine.clock import Clock
from engine.trading.commands import Command, ExpireOrders, SweepLiquidations
from engine.trading.exchange import Outcome

TIMER_INTERVAL_SECONDS = 1.0

log = structlog.get_logger("godark.timers")


class EngineTimers:
    def __init__(
        self,
        submit: Callable[[Command], Awaitable[Outcome]],
        clock: Clock,
        interval_seconds: float = TIMER_INTERVAL_SECONDS,
    ) -> None:
        self._submit = submit
        self._clock = clock
        self._interval = interval_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="engine-timers")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                now = self._clock.now()
                await asyncio.gather(
                    self._submit(ExpireOrders(now)), self._submit(SweepLiquidations(now))
                )
            except Exception:
                log.exception("engine_timer_failed")
