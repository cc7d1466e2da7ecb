"""Commands the clock issues: GTD expiry and the liquidation sweep, once a second each, and
the flash markets' FlashTick once a slot (400 ms).

They are journaled like any command, so a replay expires and liquidates exactly what the
original run did, and an order expires once even across a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

from engine.clock import Clock
from engine.flash.markets import SLOT
from engine.trading.commands import Command, ExpireOrders, FlashTick, SweepLiquidations
from engine.trading.exchange import Outcome

TIMER_INTERVAL_SECONDS = 1.0
FLASH_TICK_SECONDS = SLOT.total_seconds()

log = structlog.get_logger("godark.timers")


class EngineTimers:
    def __init__(
        self,
        submit: Callable[[Command], Awaitable[Outcome]],
        clock: Clock,
        interval_seconds: float = TIMER_INTERVAL_SECONDS,
        flash_tick_seconds: float | None = FLASH_TICK_SECONDS,
    ) -> None:
        self._submit = submit
        self._clock = clock
        self._interval = interval_seconds
        self._flash_interval = flash_tick_seconds
        self._task: asyncio.Task[None] | None = None
        self._flash_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="engine-timers")
        if self._flash_task is None and self._flash_interval is not None:
            self._flash_task = asyncio.create_task(self._run_flash(), name="flash-ticks")

    async def stop(self) -> None:
        for task in (self._task, self._flash_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = None
        self._flash_task = None

    async def _run_flash(self) -> None:
        assert self._flash_interval is not None
        while True:
            await asyncio.sleep(self._flash_interval)
            try:
                await self._submit(FlashTick(self._clock.now()))
            except Exception:
                log.exception("flash_tick_failed")

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
