"""One side of a book: price levels in a dict, their prices in a sorted list (bisect).

Within a level, orders stay in sequence order (time priority): new orders are appended
(they have the highest sequence yet), and a repriced peg is inserted at the place its
original sequence gives it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import deque
from collections.abc import Iterator
from operator import attrgetter

from engine.matching.model import Order, Side

_sequence_of = attrgetter("sequence")


class BookSide:
    __slots__ = ("_best_is_highest", "levels", "prices", "side")

    def __init__(self, side: Side) -> None:
        self.side = side
        self.levels: dict[int, deque[Order]] = {}
        self.prices: list[int] = []  # ascending, whichever the side
        self._best_is_highest = side is Side.BUY

    def best_price(self) -> int | None:
        if not self.prices:
            return None
        return self.prices[-1] if self._best_is_highest else self.prices[0]

    def append(self, order: Order) -> None:
        """Add the newest order at its price: last in time priority there."""
        price = order.price
        assert price is not None
        level = self.levels.get(price)
        if level is None:
            self.levels[price] = deque((order,))
            insort(self.prices, price)
        else:
            level.append(order)

    def insert_by_sequence(self, order: Order) -> None:
        """Add an order that may be older than some at its level (a repriced peg)."""
        price = order.price
        assert price is not None
        level = self.levels.get(price)
        if level is None or level[-1].sequence < order.sequence:
            self.append(order)
            return
        level.insert(bisect_right(level, order.sequence, key=_sequence_of), order)

    def remove(self, order: Order) -> None:
        price = order.price
        assert price is not None
        level = self.levels[price]
        if level[0] is order:
            level.popleft()  # a fill: makers leave from the front
        else:
            level.remove(order)  # a cancel inside a level: linear in that level only
        if not level:
            del self.levels[price]
            del self.prices[bisect_left(self.prices, price)]

    def levels_best_first(self) -> Iterator[tuple[int, deque[Order]]]:
        prices = reversed(self.prices) if self._best_is_highest else iter(self.prices)
        levels = self.levels
        for price in prices:
            yield price, levels[price]
