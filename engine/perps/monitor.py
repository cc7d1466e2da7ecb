"""Liquidation monitor (seed 004, 3 D "Real-Time Monitoring"): every position checked against
every mark, without touching the healthy ones.

Each market keeps its positions sorted by the exact price at which each test starts to
hold (margin.threshold_price at a tick of one price unit): a long is liquidatable iff
mark <= its trigger, a short iff mark >= its trigger. A sweep is a binary search per side
and a slice of the crossed positions, so a mark that crosses nobody costs O(log n), and
the positions it does not return are proved above the threshold by the order alone.
Triggers change only when a position does (fill, funding, margin), and are re-indexed then.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from engine.perps.margin import LIQUIDATION_THRESHOLD_BPS, WARNING_THRESHOLD_BPS, threshold_price
from engine.perps.position import Position, Side


@dataclass(frozen=True, slots=True)
class SweepResult:
    liquidatable: tuple[Position, ...]
    warnings: tuple[Position, ...]  # below 150 % of maintenance, not liquidatable


class _SortedTriggers:
    """Trigger prices in ascending order with the account of each, as parallel lists."""

    __slots__ = ("accounts", "prices")

    def __init__(self) -> None:
        self.prices: list[int] = []
        self.accounts: list[str] = []

    def load(self, pairs: list[tuple[int, str]]) -> None:
        pairs.sort()
        self.prices = [price for price, _ in pairs]
        self.accounts = [account for _, account in pairs]

    def insert(self, price: int, account: str) -> None:
        at = bisect_right(self.prices, price)
        self.prices.insert(at, price)
        self.accounts.insert(at, account)

    def remove(self, price: int, account: str) -> None:
        at = bisect_left(self.prices, price)
        while self.accounts[at] != account:
            at += 1
        del self.prices[at]
        del self.accounts[at]

    def at_or_above(self, mark: int) -> list[str]:
        return self.accounts[bisect_left(self.prices, mark) :]

    def at_or_below(self, mark: int) -> list[str]:
        return self.accounts[: bisect_right(self.prices, mark)]


_Triggers = tuple[int | None, int | None]  # (liquidation, warning); None: never


class _SideIndex:
    """Liquidation and warning triggers of one side of one market."""

    __slots__ = ("liquidation", "warning")

    def __init__(self) -> None:
        self.liquidation = _SortedTriggers()
        self.warning = _SortedTriggers()

    def insert(self, triggers: _Triggers, account: str) -> None:
        liquidation, warning = triggers
        if liquidation is not None:
            self.liquidation.insert(liquidation, account)
        if warning is not None:
            self.warning.insert(warning, account)

    def remove(self, triggers: _Triggers, account: str) -> None:
        liquidation, warning = triggers
        if liquidation is not None:
            self.liquidation.remove(liquidation, account)
        if warning is not None:
            self.warning.remove(warning, account)


class MarketPositionIndex:
    """The open positions of one market, indexed by their trigger prices."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self._positions: dict[str, Position] = {}
        self._triggers: dict[str, _Triggers] = {}
        self._longs = _SideIndex()
        self._shorts = _SideIndex()

    def __len__(self) -> int:
        return len(self._positions)

    def get(self, account: str) -> Position | None:
        return self._positions.get(account)

    def positions(self) -> Iterable[Position]:
        return self._positions.values()

    def upsert(self, position: Position) -> None:
        self._require_symbol(position)
        self.remove(position.account)
        triggers = _triggers_of(position)
        self._positions[position.account] = position
        self._triggers[position.account] = triggers
        self._side(position.side).insert(triggers, position.account)

    def remove(self, account: str) -> None:
        position = self._positions.pop(account, None)
        if position is not None:
            self._side(position.side).remove(self._triggers.pop(account), account)

    def rebuild(self, positions: Iterable[Position]) -> None:
        """Replace every position at once (after funding moves all collateral): one sort."""
        self._positions = {}
        self._triggers = {}
        # (trigger, account) pairs: long liquidation, long warning, short ..., short ...
        pairs: tuple[list[tuple[int, str]], ...] = ([], [], [], [])
        for position in positions:
            self._require_symbol(position)
            account = position.account
            triggers = _triggers_of(position)
            self._positions[account] = position
            self._triggers[account] = triggers
            first = 0 if position.side is Side.LONG else 2
            for offset, price in enumerate(triggers):
                if price is not None:
                    pairs[first + offset].append((price, account))
        self._longs.liquidation.load(pairs[0])
        self._longs.warning.load(pairs[1])
        self._shorts.liquidation.load(pairs[2])
        self._shorts.warning.load(pairs[3])

    def sweep(self, mark: int) -> SweepResult:
        if mark <= 0:
            raise ValueError("mark must be positive")
        liquidatable = self._longs.liquidation.at_or_above(mark)
        liquidatable += self._shorts.liquidation.at_or_below(mark)
        warned = self._longs.warning.at_or_above(mark) + self._shorts.warning.at_or_below(mark)
        # A liquidatable position is also below the warning line: warn only the others.
        if len(warned) > len(liquidatable):
            liquidating = set(liquidatable)
            warned = [account for account in warned if account not in liquidating]
        else:
            warned = []
        positions = self._positions
        return SweepResult(
            tuple([positions[a] for a in liquidatable]),
            tuple([positions[a] for a in warned]),
        )

    def _side(self, side: Side) -> _SideIndex:
        return self._longs if side is Side.LONG else self._shorts

    def _require_symbol(self, position: Position) -> None:
        if position.symbol != self.symbol:
            raise ValueError(f"{position.position_id} is not a {self.symbol} position")


def _triggers_of(position: Position) -> _Triggers:
    return (
        threshold_price(position, LIQUIDATION_THRESHOLD_BPS),
        threshold_price(position, WARNING_THRESHOLD_BPS),
    )


class LiquidationMonitor:
    """The indexes of every market; one sweep per mark update (at least once a second)."""

    def __init__(self) -> None:
        self._markets: dict[str, MarketPositionIndex] = {}

    def market(self, symbol: str) -> MarketPositionIndex:
        index = self._markets.get(symbol)
        if index is None:
            index = self._markets[symbol] = MarketPositionIndex(symbol)
        return index

    def __len__(self) -> int:
        return sum(len(index) for index in self._markets.values())

    def upsert(self, position: Position) -> None:
        self.market(position.symbol).upsert(position)

    def remove(self, symbol: str, account: str) -> None:
        self.market(symbol).remove(account)

    def sweep(self, marks: Mapping[str, int]) -> SweepResult:
        liquidatable: list[Position] = []
        warnings: list[Position] = []
        for symbol, mark in marks.items():
            index = self._markets.get(symbol)
            if index is None:
                continue
            result = index.sweep(mark)
            liquidatable.extend(result.liquidatable)
            warnings.extend(result.warnings)
        return SweepResult(tuple(liquidatable), tuple(warnings))
