"""Per-venue state for one asset: a sliding window of trades, the latest quote and book."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from engine.oracle.model import SourceBook, SourceQuote, SourceTrade

# Seed 004 computes the index as a VWAP "over a window"; 10 s smooths single prints
# while lagging a moving market by seconds at most, and matches the staleness limit.
VWAP_WINDOW = timedelta(seconds=10)


@dataclass
class SourceState:
    """What one venue has told us about one asset, kept incrementally for speed."""

    source: str
    trades: deque[SourceTrade] = field(default_factory=deque)
    # Running sums over `trades`, so a VWAP costs O(1) however busy the venue is.
    price_volume: int = 0
    volume: int = 0
    quote: SourceQuote | None = None
    book: SourceBook | None = None
    last_update: datetime | None = None
    last_trade_time: datetime | None = None

    def add_trade(self, trade: SourceTrade) -> None:
        self.trades.append(trade)
        self.price_volume += trade.price * trade.size
        self.volume += trade.size
        self.last_trade_time = trade.venue_time
        self._touch(trade.venue_time)

    def set_quote(self, quote: SourceQuote) -> None:
        self.quote = quote
        self._touch(quote.venue_time)

    def set_book(self, book: SourceBook) -> None:
        self.book = book
        self._touch(book.venue_time)

    def evict_before(self, cutoff: datetime) -> None:
        trades = self.trades
        while trades and trades[0].venue_time < cutoff:
            old = trades.popleft()
            self.price_volume -= old.price * old.size
            self.volume -= old.size

    def vwap(self) -> int | None:
        if self.volume <= 0:
            return None
        return _divide_rounded(self.price_volume, self.volume)

    def quote_mid(self) -> int | None:
        if self.quote is None:
            return None
        return (self.quote.bid + self.quote.ask) // 2

    def reference_price(self) -> int | None:
        """The venue's price: its trades' VWAP, or its quote's mid when it has not traded."""
        vwap = self.vwap()
        return vwap if vwap is not None else self.quote_mid()

    def current_price(self) -> int | None:
        """The venue's newest price: its last print, or its quote mid if that is newer."""
        quote, last_trade = self.quote, self.trades[-1] if self.trades else None
        if quote is not None and (last_trade is None or quote.venue_time >= last_trade.venue_time):
            return (quote.bid + quote.ask) // 2
        return None if last_trade is None else last_trade.price

    def last_price(self) -> int | None:
        return self.trades[-1].price if self.trades else self.quote_mid()

    def _touch(self, when: datetime) -> None:
        if self.last_update is None or when > self.last_update:
            self.last_update = when


def _divide_rounded(numerator: int, denominator: int) -> int:
    """Integer division rounding half away from zero, for positive operands."""
    return (2 * numerator + denominator) // (2 * denominator)
