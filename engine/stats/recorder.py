"""Follows the public tape on the bus and records each trade with the reference NBBO the
exchange held when the trade was published (prices move at most ten times a second, so this
is the quote the trade executed against, give or take one price update)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime

import structlog

from engine.bus import EventBus
from engine.bus.base import Event
from engine.clock import Clock
from engine.perps import trade_fees
from engine.stats.execution import ExecutionRecord, ExecutionStats
from engine.trading.exchange import Exchange

# How often markets added after start (ADD_MARKET) are looked for.
MARKET_SCAN_SECONDS = 1.0

RETRY_SECONDS = 2.0
log = structlog.get_logger("godark.stats")


class StatsRecorder:
    def __init__(self, bus: EventBus, exchange: Callable[[], Exchange], clock: Clock) -> None:
        self._bus = bus
        self._exchange = exchange
        self._clock = clock
        self.stats = ExecutionStats()
        self.started_at: datetime | None = None
        self._followers: dict[str, asyncio.Task[None]] = {}
        self._scanner: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.started_at = self._clock.now()
        self._follow_new_markets()
        self._scanner = asyncio.create_task(self._scan(), name="stats-markets")

    async def stop(self) -> None:
        tasks = [*self._followers.values(), *([self._scanner] if self._scanner else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._followers.clear()
        self._scanner = None

    def record(self, event: Event) -> None:
        """One `TradePrinted` message of the tape."""
        exchange = self._exchange()
        symbol = str(event["symbol"])
        market = exchange.markets.get(symbol)
        if market is None:
            return
        prices = exchange.prices.get(symbol)
        price, size = int(event["price"]), int(event["size"])
        self.stats.record(
            ExecutionRecord(
                trade_id=str(event["trade_id"]),
                symbol=symbol,
                at=datetime.fromisoformat(str(event["at"])),
                price=price,
                size=size,
                aggressor_buys=event["aggressor_side"] == "BUY",
                reference_bid=None if prices is None or not prices.healthy else prices.bid,
                reference_ask=None if prices is None or not prices.healthy else prices.ask,
                fees=trade_fees(market, price, size).venue_revenue,
            )
        )

    def _follow_new_markets(self) -> None:
        for symbol in self._exchange().markets:
            if symbol not in self._followers:
                self._followers[symbol] = asyncio.create_task(
                    self._follow(symbol), name=f"stats-{symbol}"
                )

    async def _scan(self) -> None:
        while True:
            await asyncio.sleep(MARKET_SCAN_SECONDS)
            self._follow_new_markets()

    async def _follow(self, symbol: str) -> None:
        """The market's tape; a bus that is down is retried rather than ending the follower."""
        while True:
            try:
                async with self._bus.subscribe(f"trades.{symbol}") as events:
                    async for event in events:
                        try:
                            self.record(event)
                        except (KeyError, TypeError, ValueError):
                            log.warning("stats_trade_unreadable", symbol=symbol)
            except Exception as error:  # a traceback a second per market would drown the log
                log.warning("stats_tape_unavailable", symbol=symbol, error=type(error).__name__)
            await asyncio.sleep(RETRY_SECONDS)
