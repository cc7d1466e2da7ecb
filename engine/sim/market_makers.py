"""Simulated market makers: hidden two-sided liquidity around the reference NBBO in every
market, so a newcomer's market order fills at once and a resting limit fills when the
market comes to it. They trade through the same commands as anyone."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import structlog

from engine.clock import Clock
from engine.matching import OrderType, Side
from engine.perps import MarketConfig
from engine.trading.commands import CancelAllOrders, Command, Deposit, SubmitOrder
from engine.trading.exchange import Exchange, Outcome

MAKER_ACCOUNT = "sim-maker"
MAKER_CAPITAL = 50_000_000 * 1_000_000  # 50 million USDT
MAKER_LEVERAGE = 10
# Quotes at the reference touch and a few steps outside it, in basis points.
LEVEL_OFFSETS_BPS = (0, 5, 15)
LEVEL_NOTIONAL_USDT = 25_000
REQUOTE_SECONDS = 1.0
# A market is requoted when its reference moved this much since the last quotes, or
# after REFRESH anyway: quoting every second regardless would fill the journal.
REQUOTE_MOVE_BPS = 1
REFRESH = timedelta(seconds=15)

log = structlog.get_logger("godark.sim.makers")


class SimulatedMarketMakers:
    def __init__(
        self,
        exchange: Exchange,
        submit: Callable[[Command], Awaitable[Outcome]],
        clock: Clock,
        account: str = MAKER_ACCOUNT,
        interval_seconds: float = REQUOTE_SECONDS,
    ) -> None:
        self._exchange = exchange
        self._submit = submit
        self._clock = clock
        self.account = account
        self._interval = interval_seconds
        self._task: asyncio.Task[None] | None = None
        self._quoted: dict[str, tuple[int, datetime]] = {}  # market -> (mid, when)

    async def start(self) -> None:
        await self._submit(
            Deposit(self.account, MAKER_CAPITAL, f"{self.account}:capital", self._clock.now())
        )
        self._task = asyncio.create_task(self._run(), name="sim-market-makers")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def requote(self) -> None:
        commands: list[Command] = []
        for market in self._exchange.markets.values():
            commands += self._quotes(market)
        await asyncio.gather(*(self._submit(command) for command in commands))

    def _quotes(self, market: MarketConfig) -> list[Command]:
        prices = self._exchange.prices[market.symbol]
        if not prices.healthy or prices.bid is None or prices.ask is None:
            return []
        now = self._clock.now()
        mid = (prices.bid + prices.ask) // 2
        last = self._quoted.get(market.symbol)
        if last is not None:
            moved = abs(mid - last[0]) * 10_000 >= REQUOTE_MOVE_BPS * last[0]
            if not moved and now - last[1] < REFRESH:
                return []
        self._quoted[market.symbol] = (mid, now)
        commands: list[Command] = [CancelAllOrders(self.account, market.symbol, now)]
        for offset in LEVEL_OFFSETS_BPS:
            bid = _to_tick(prices.bid * (10_000 - offset) // 10_000, market, up=False)
            ask = _to_tick(prices.ask * (10_000 + offset) // 10_000, market, up=True)
            size = _size_for(market, ask)
            for side, price in ((Side.BUY, bid), (Side.SELL, ask)):
                commands.append(
                    SubmitOrder(
                        self.account,
                        market.symbol,
                        side,
                        OrderType.LIMIT,
                        size,
                        MAKER_LEVERAGE,
                        now,
                        limit_price=price,
                    )
                )
        return commands

    async def _run(self) -> None:
        while True:
            try:
                await self.requote()
            except Exception:
                log.exception("market_maker_requote_failed")
            await asyncio.sleep(self._interval)


def _to_tick(price: int, market: MarketConfig, *, up: bool) -> int:
    ticks = -(-price // market.tick_size) if up else price // market.tick_size
    return max(1, ticks) * market.tick_size


def _size_for(market: MarketConfig, price: int) -> int:
    """About LEVEL_NOTIONAL_USDT of the base asset, on the step grid and within limits."""
    size = LEVEL_NOTIONAL_USDT * 10**10 * 10**8 // price
    size -= size % market.step_size
    return max(market.min_order_size, min(size, market.max_order_size))
