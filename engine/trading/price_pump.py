"""Feeds the oracle's prices to the exchange as journaled commands, at most ten a second
per market and only when something changed, so replays see exactly what trading saw."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

from engine.clock import Clock
from engine.oracle.prices import PriceOracle
from engine.oracle.symbols import asset_of
from engine.trading.commands import UpdatePrices
from engine.trading.exchange import Outcome

PUMP_INTERVAL_SECONDS = 0.1

log = structlog.get_logger("godark.price_pump")


class PricePump:
    def __init__(
        self,
        oracle: PriceOracle,
        symbols: list[str],
        submit: Callable[[UpdatePrices], Awaitable[Outcome]],
        clock: Clock,
        interval_seconds: float = PUMP_INTERVAL_SECONDS,
    ) -> None:
        self._oracle = oracle
        self._symbols = [s for s in symbols if asset_of(s) in oracle.assets]
        self._submit = submit
        self._clock = clock
        self._interval = interval_seconds
        self._last: dict[str, tuple[object, ...]] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="price-pump")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def pump_once(self) -> int:
        """Send every market whose prices changed; sent together, they share one batch."""
        updates: list[UpdatePrices] = []
        for symbol in self._symbols:
            asset = asset_of(symbol)
            latest = None if asset is None else self._oracle.latest(asset)
            if latest is None:
                continue
            reference = latest.reference
            state = (latest.index.price, latest.mark, reference.bid, reference.ask, latest.healthy)
            if self._last.get(symbol) == state:
                continue
            self._last[symbol] = state
            updates.append(
                UpdatePrices(
                    symbol,
                    latest.index.price,
                    latest.mark,
                    reference.bid,
                    reference.ask,
                    latest.healthy,
                    self._clock.now(),
                )
            )
        await asyncio.gather(*(self._submit(update) for update in updates))
        return len(updates)

    async def _run(self) -> None:
        while True:
            try:
                await self.pump_once()
            except Exception:
                log.exception("price_pump_failed")
            await asyncio.sleep(self._interval)
