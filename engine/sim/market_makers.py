"""Simulated market makers: hidden two-sided liquidity at the reference NBBO in every
market, so a newcomer's market order fills at once (NBBO protection on or off) and a
resting limit fills when the market comes to it. They trade through the same commands as
anyone."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
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
# Dark-pool practice: resting liquidity sits at or inside the lit NBBO. The makers quote
# primary pegs (a buy pegged to the reference bid, a sell to the reference ask), so the
# book itself moves them on every reference change, inside the journaled UpdatePrices
# command: never outside the NBBO, no requote commands, identical on replay.
QUOTE_NOTIONAL_USDT = 75_000  # per side and market
REQUOTE_SECONDS = 1.0
# Requoted after a fill (to stand at full size again), or after REFRESH anyway so the size
# follows the price; the price itself needs no requote.
REFRESH = timedelta(seconds=15)

log = structlog.get_logger("godark.sim.makers")


@dataclass(frozen=True, slots=True)
class _Quoted:
    at: datetime
    position: tuple[str, int] | None  # (side, size) when quoted: a change means a fill


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
        self._quoted: dict[str, _Quoted] = {}

    async def start(self) -> None:
        await self.fund()
        self._task = asyncio.create_task(self._run(), name="sim-market-makers")

    async def fund(self) -> None:
        """The makers' capital: one Deposit, the same reference at every start."""
        await self._submit(
            Deposit(self.account, MAKER_CAPITAL, f"{self.account}:capital", self._clock.now())
        )

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
        # Submitted together they share one journal batch, in this order (each market's
        # cancel before its new quotes).
        await asyncio.gather(*(self._submit(command) for command in commands))

    def _quotes(self, market: MarketConfig) -> list[Command]:
        prices = self._exchange.prices[market.symbol]
        if not prices.healthy or prices.bid is None or prices.ask is None:
            return []
        now = self._clock.now()
        position = self._position(market.symbol)
        last = self._quoted.get(market.symbol)
        if last is not None and last.position == position and now - last.at < REFRESH:
            return []
        self._quoted[market.symbol] = _Quoted(now, position)
        size = _size_for(market, prices.ask)
        return [
            CancelAllOrders(self.account, market.symbol, now),
            *(
                SubmitOrder(self.account, market.symbol, side, peg, size, MAKER_LEVERAGE, now)
                for side, peg in ((Side.BUY, OrderType.PEG_BID), (Side.SELL, OrderType.PEG_ASK))
            ),
        ]

    def _position(self, symbol: str) -> tuple[str, int] | None:
        position = self._exchange.positions.get((self.account, symbol))
        return None if position is None else (position.side.value, position.size)

    async def _run(self) -> None:
        while True:
            try:
                await self.requote()
            except Exception:
                log.exception("market_maker_requote_failed")
            await asyncio.sleep(self._interval)


def _size_for(market: MarketConfig, price: int) -> int:
    """About QUOTE_NOTIONAL_USDT of the base asset, on the step grid and within limits."""
    size = QUOTE_NOTIONAL_USDT * 10**10 * 10**8 // price
    size -= size % market.step_size
    return max(market.min_order_size, min(size, market.max_order_size))
