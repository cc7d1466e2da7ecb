"""Execution quality and market data from the public tape, kept per (market, UTC day).

Each trade is compared with the lit reference market's NBBO at execution: the aggressor
would otherwise have crossed the lit spread (bought at the reference ask, sold at the
reference bid), so its price improvement is what the dark pool saved it. Only executed
trades and aggregates are kept: no accounts, no resting orders.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import date, datetime

from engine.perps.units import NOTIONAL_DIVISOR

# The latest executions kept per market for the per-trade view.
RECENT_EXECUTIONS = 200
BPS = 10_000


@dataclass(frozen=True, slots=True)
class ExecutionRecord:
    """One trade as the public saw it, with the reference quote at execution."""

    trade_id: str
    symbol: str
    at: datetime
    price: int  # price units (engine.oracle.model.PRICE_DECIMALS)
    size: int  # size units (SIZE_DECIMALS)
    aggressor_buys: bool
    reference_bid: int | None
    reference_ask: int | None
    fees: int  # the venue's take of the trade, micro-USDT (taker fee + maker fee or rebate)

    @property
    def notional(self) -> int:
        """Micro-USDT."""
        return self.price * self.size // NOTIONAL_DIVISOR

    @property
    def crossing_price(self) -> int | None:
        """What the aggressor would have paid crossing the lit spread."""
        return self.reference_ask if self.aggressor_buys else self.reference_bid

    @property
    def improvement_per_unit(self) -> int | None:
        """Signed price units in the aggressor's favour; negative is worse than the lit touch."""
        crossing = self.crossing_price
        if crossing is None:
            return None
        return crossing - self.price if self.aggressor_buys else self.price - crossing

    @property
    def savings(self) -> int | None:
        """Micro-USDT the aggressor saved versus crossing the lit spread (signed)."""
        per_unit = self.improvement_per_unit
        if per_unit is None:
            return None
        # Floor towards zero either way, so a rounding never looks like a saving.
        magnitude = abs(per_unit) * self.size // NOTIONAL_DIVISOR
        return magnitude if per_unit >= 0 else -magnitude


@dataclass
class Totals:
    """Sums over some trades; ratios are derived by whoever presents them."""

    trades: int = 0
    volume: int = 0  # micro-USDT notional
    buy_volume: int = 0  # aggressor bought
    sell_volume: int = 0
    fees: int = 0
    compared_trades: int = 0  # trades that had a reference quote
    compared_volume: int = 0
    savings: int = 0
    inside_spread: int = 0  # compared trades at or better than the lit touch

    def add(self, record: ExecutionRecord) -> None:
        notional = record.notional
        self.trades += 1
        self.volume += notional
        if record.aggressor_buys:
            self.buy_volume += notional
        else:
            self.sell_volume += notional
        self.fees += record.fees
        saving = record.savings
        if saving is not None:
            self.compared_trades += 1
            self.compared_volume += notional
            self.savings += saving
            if saving >= 0:
                self.inside_spread += 1

    def merge(self, other: Totals) -> None:
        for name in Totals.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def improvement_bps(self) -> tuple[int, int] | None:
        """Savings per compared notional as (numerator, denominator) of basis points."""
        if self.compared_volume == 0:
            return None
        return self.savings * BPS, self.compared_volume


@dataclass(frozen=True, slots=True)
class DayTotals:
    day: date
    totals: Totals


class ExecutionStats:
    """Aggregates of every trade seen, by market and UTC day, plus the latest executions."""

    def __init__(self) -> None:
        self._days: dict[tuple[str, date], Totals] = {}
        self._recent: dict[str, deque[ExecutionRecord]] = {}

    def record(self, record: ExecutionRecord) -> None:
        key = (record.symbol, record.at.date())
        totals = self._days.get(key)
        if totals is None:
            totals = self._days[key] = Totals()
        totals.add(record)
        recent = self._recent.get(record.symbol)
        if recent is None:
            recent = self._recent[record.symbol] = deque(maxlen=RECENT_EXECUTIONS)
        recent.append(record)

    @property
    def symbols(self) -> list[str]:
        return sorted({symbol for symbol, _ in self._days})

    def daily(self, first: date, last: date, symbol: str | None = None) -> list[DayTotals]:
        """One entry per day in [first, last] that had trades, oldest first."""
        by_day: dict[date, Totals] = {}
        for (market, day), totals in self._days.items():
            if (symbol is not None and market != symbol) or not first <= day <= last:
                continue
            by_day.setdefault(day, Totals()).merge(totals)
        return [DayTotals(day, by_day[day]) for day in sorted(by_day)]

    def totals(self, first: date, last: date, symbol: str | None = None) -> Totals:
        total = Totals()
        for day in self.daily(first, last, symbol):
            total.merge(day.totals)
        return total

    def by_symbol(self, first: date, last: date) -> dict[str, Totals]:
        return {symbol: self.totals(first, last, symbol) for symbol in self.symbols}

    def recent(self, symbol: str | None, limit: int) -> list[ExecutionRecord]:
        """The latest executions, newest first."""
        markets = [symbol] if symbol is not None else list(self._recent)
        records = [r for market in markets for r in self._recent.get(market, ())]
        records.sort(key=lambda r: r.at, reverse=True)
        return records[:limit]
