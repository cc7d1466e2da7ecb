"""Feeds the oracle's prices to the exchange as journaled commands, so replays see
exactly what trading saw. Prices are rounded to the market's tick (bid down, ask up), and
a market is sent when its rounded bid, ask or health changed (at most ten times a
second), and otherwise once a second so index, mark and funding keep up: the journal
grows with what matters."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

import structlog

from engine.clock import Clock
from engine.oracle.prices import PriceOracle
from engine.oracle.symbols import asset_of
from engine.perps import MarketConfig
from engine.trading.commands import UpdatePrices
from engine.trading.exchange import Outcome

PUMP_INTERVAL_SECONDS = 0.1
RESEND_AFTER = timedelta(seconds=1)

log = structlog.get_logger("godark.price_pump")


class PricePump:
    def __init__(
        self,
        oracle: PriceOracle,
        markets: Mapping[str, MarketConfig],
        submit: Callable[[UpdatePrices], Awaitable[Outcome]],
        clock: Clock,
        interval_seconds: float = PUMP_INTERVAL_SECONDS,
    ) -> None:
        self._oracle = oracle
        self._markets = {s: m for s, m in markets.items() if asset_of(s) in oracle.assets}
        self._submit = submit
        self._clock = clock
        self._interval = interval_seconds
        self._last: dict[str, tuple[object, ...]] = {}
        self._last_sent: dict[str, datetime] = {}
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
        now = self._clock.now()
        for symbol, market in self._markets.items():
            asset = asset_of(symbol)
            latest = None if asset is None else self._oracle.latest(asset)
            if latest is None:
                continue
            tick = market.tick_size
            reference = latest.reference
            state = (
                _nearest(latest.index.price, tick),
                _nearest(latest.mark, tick),
                None if reference.bid is None else reference.bid // tick * tick,
                None if reference.ask is None else -(-reference.ask // tick) * tick,
                latest.healthy,
            )
            last_sent = self._last_sent.get(symbol)
            due = last_sent is None or now - last_sent >= RESEND_AFTER
            # The reference's touch and health go out at once (pegs follow within 100 ms);
            # index and mark ride along, or at least once a second.
            touch = state[2:]
            previous = self._last.get(symbol)
            if previous is not None and previous[2:] == touch and not due:
                continue
            self._last[symbol] = state
            self._last_sent[symbol] = now
            index, mark, bid, ask, healthy = state
            updates.append(UpdatePrices(symbol, index, mark, bid, ask, bool(healthy), now))
        await asyncio.gather(*(self._submit(update) for update in updates))
        return len(updates)

    async def _run(self) -> None:
        while True:
            try:
                await self.pump_once()
            except Exception:
                log.exception("price_pump_failed")
            await asyncio.sleep(self._interval)


def _nearest(price: int | None, tick: int) -> int | None:
    return None if price is None else (price + tick // 2) // tick * tick
