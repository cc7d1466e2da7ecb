"""Execution quality, market data and order flow from the engine's events, kept per
(market, UTC day).

Each trade is compared with the lit reference market's NBBO the engine held when it
matched: the aggressor would otherwise have crossed the lit spread (bought at the reference
ask, sold at the reference bid), so its price improvement is what the dark pool saved it.
Orders count towards the day they were accepted, fill times towards the day of the fill.
Only sums per market and day are kept: no accounts, no order ids, no resting prices.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from engine.perps.units import NOTIONAL_DIVISOR
from engine.trading.events import (
    EngineEvent,
    OrderEntered,
    OrderFill,
    OrderUpdated,
    TradePrinted,
)

BPS = 10_000
# The bucket of venue-wide figures (settlement), apart from every market's.
VENUE_WIDE = "*"
FILL_STATUSES = frozenset({"PARTIALLY_FILLED", "FILLED"})
MILLISECOND = timedelta(milliseconds=1)


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

    @classmethod
    def of(cls, trade: TradePrinted) -> ExecutionRecord:
        return cls(
            trade_id=trade.trade_id,
            symbol=trade.symbol,
            at=trade.at,
            price=trade.price,
            size=trade.size,
            aggressor_buys=trade.aggressor_side.value == "BUY",
            reference_bid=trade.reference_bid,
            reference_ask=trade.reference_ask,
        )

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
    """Sums over a market's day (or several); ratios are derived by whoever presents them.
    Every field is an integer counter, persisted as it is (engine/stats/store.py)."""

    trades: int = 0
    volume: int = 0  # micro-USDT notional
    buy_volume: int = 0  # aggressor bought
    sell_volume: int = 0
    fees: int = 0  # the venue's take: taker fees + maker fees (a rebate is negative)
    compared_trades: int = 0  # trades that had a reference quote
    compared_volume: int = 0
    savings: int = 0
    inside_spread: int = 0  # compared trades at or better than the lit touch
    orders: int = 0  # orders accepted
    liquidity: int = 0  # micro-USDT notional of the orders accepted
    first_fills: int = 0  # orders that had their first fill
    first_fill_ms: int = 0  # summed acceptance -> first fill
    complete_fills: int = 0  # orders filled completely
    complete_fill_ms: int = 0  # summed acceptance -> complete fill
    settled_batches: int = 0  # venue-wide: batches confirmed on chain
    settlement_ms: int = 0  # summed batch sealed -> confirmed
    failed_settlements: int = 0  # venue-wide: batch attempts that failed

    def add_trade(self, record: ExecutionRecord) -> None:
        notional = record.notional
        self.trades += 1
        self.volume += notional
        if record.aggressor_buys:
            self.buy_volume += notional
        else:
            self.sell_volume += notional
        saving = record.savings
        if saving is not None:
            self.compared_trades += 1
            self.compared_volume += notional
            self.savings += saving
            if saving >= 0:
                self.inside_spread += 1

    def merge(self, other: Totals) -> None:
        for name in COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def improvement_bps(self) -> tuple[int, int] | None:
        """Savings per compared notional as (numerator, denominator) of basis points."""
        if self.compared_volume == 0:
            return None
        return self.savings * BPS, self.compared_volume


COUNTERS: tuple[str, ...] = tuple(field.name for field in dataclasses.fields(Totals))


@dataclass(frozen=True, slots=True)
class DayTotals:
    day: date
    totals: Totals


BucketKey = tuple[str, date]  # (market or VENUE_WIDE, UTC day)


class ExecutionStats:
    """Sums of the engine's events by market and UTC day; remembers which days changed
    since they were last saved."""

    def __init__(self, days: Mapping[BucketKey, Totals] | None = None) -> None:
        self._days: dict[BucketKey, Totals] = dict(days or {})
        self._changed: set[BucketKey] = set()

    # --- recording ----------------------------------------------------------------------

    def observe(self, events: Iterable[EngineEvent]) -> None:
        """One command's events, in the order the engine produced them."""
        # A fill is followed by its order's update, which tells whether it was the first.
        fill_sizes: dict[str, int] = {}
        for event in events:
            if isinstance(event, TradePrinted):
                self.record(ExecutionRecord.of(event))
            elif isinstance(event, OrderEntered):
                self._add_order(event)
            elif isinstance(event, OrderFill):
                self._bucket(event.symbol, event.at).fees += event.fee
                fill_sizes[event.order_id] = event.size
            elif isinstance(event, OrderUpdated) and event.status in FILL_STATUSES:
                fill_size = fill_sizes.pop(event.order_id, None)
                if fill_size is not None:
                    self._add_fill_time(event, fill_size)

    def record(self, record: ExecutionRecord) -> None:
        self._bucket(record.symbol, record.at).add_trade(record)

    def record_settlement(self, created_at: datetime, confirmed_at: datetime | None) -> None:
        """A batch confirmed on chain (`confirmed_at`) or an attempt that failed (None)."""
        if confirmed_at is None:
            self._bucket(VENUE_WIDE, created_at).failed_settlements += 1
            return
        bucket = self._bucket(VENUE_WIDE, confirmed_at)
        bucket.settled_batches += 1
        bucket.settlement_ms += max(confirmed_at - created_at, timedelta(0)) // MILLISECOND

    def _add_order(self, entered: OrderEntered) -> None:
        bucket = self._bucket(entered.symbol, entered.at)
        bucket.orders += 1
        bucket.liquidity += entered.notional

    def _add_fill_time(self, update: OrderUpdated, fill_size: int) -> None:
        if update.placed_at is None:  # an event from before acceptance times were carried
            return
        waited = max(update.at - update.placed_at, timedelta(0)) // MILLISECOND
        bucket = self._bucket(update.symbol, update.at)
        if update.filled == fill_size:
            bucket.first_fills += 1
            bucket.first_fill_ms += waited
        if update.status == "FILLED":
            bucket.complete_fills += 1
            bucket.complete_fill_ms += waited

    def _bucket(self, symbol: str, at: datetime) -> Totals:
        key = (symbol, at.date())
        self._changed.add(key)
        totals = self._days.get(key)
        if totals is None:
            totals = self._days[key] = Totals()
        return totals

    def take_changed(self) -> dict[BucketKey, Totals]:
        """Copies of the days changed since the last call, to be saved."""
        changed = {key: dataclasses.replace(self._days[key]) for key in self._changed}
        self._changed.clear()
        return changed

    def mark_changed(self, keys: Iterable[BucketKey]) -> None:
        """Days whose save failed: saved again next time."""
        self._changed.update(keys)

    # --- reading ------------------------------------------------------------------------

    @property
    def symbols(self) -> list[str]:
        return sorted({symbol for symbol, _ in self._days if symbol != VENUE_WIDE})

    def daily(self, first: date, last: date, symbol: str | None = None) -> list[DayTotals]:
        """One entry per day in [first, last] that had activity, oldest first. No symbol:
        every market and the venue-wide figures together."""
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


def recent_executions(
    tapes: Mapping[str, Iterable[TradePrinted]], symbol: str | None, limit: int
) -> list[ExecutionRecord]:
    """The latest trades of the exchange's tape (which survives restarts in its snapshot),
    newest first."""
    markets = [symbol] if symbol is not None else list(tapes)
    records = [ExecutionRecord.of(trade) for market in markets for trade in tapes.get(market, ())]
    records.sort(key=lambda record: record.at, reverse=True)
    return records[:limit]
