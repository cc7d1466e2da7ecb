"""The reference lit market: consolidated best bid and offer, and the top of the book.

Built only from venues the index accepted (fresh and within 2 % of the median), so a
venue that lies or lags cannot move the NBBO that protects our executions and pegs.
This is the lit market, never our own dark book.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from engine.oracle.index import PRICE_STALENESS
from engine.oracle.model import BookLevel, SourceQuote
from engine.oracle.sources import SourceState

REFERENCE_BOOK_DEPTH = 10


@dataclass(frozen=True, slots=True)
class ReferenceQuote:
    asset: str
    bid: int | None
    ask: int | None
    bid_size: int
    ask_size: int
    sources: tuple[str, ...]
    updated_at: datetime | None

    @property
    def mid(self) -> int | None:
        if self.bid is None or self.ask is None:
            return None
        return (self.bid + self.ask) // 2

    @property
    def crossed(self) -> bool:
        return self.bid is not None and self.ask is not None and self.bid > self.ask

    @property
    def locked(self) -> bool:
        return self.bid is not None and self.ask is not None and self.bid == self.ask

    @property
    def stale(self) -> bool:
        return not self.sources

    @property
    def tradable(self) -> bool:
        """Dark pools execute only against a two-sided, uncrossed, fresh reference."""
        return self.mid is not None and not self.crossed and not self.locked


@dataclass(frozen=True, slots=True)
class ReferenceBook:
    asset: str
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]
    sources: tuple[str, ...]
    updated_at: datetime | None


def compute_reference_quote(
    asset: str, states: Mapping[str, SourceState], accepted: Iterable[str], now: datetime
) -> ReferenceQuote:
    quotes = list(_fresh_quotes(states, accepted, now))
    if not quotes:
        return ReferenceQuote(asset, None, None, 0, 0, (), None)
    bid = max(quote.bid for quote in quotes)
    ask = min(quote.ask for quote in quotes)
    return ReferenceQuote(
        asset=asset,
        bid=bid,
        ask=ask,
        # Size at the NBBO is what every venue shows at that price, added up.
        bid_size=sum(quote.bid_size for quote in quotes if quote.bid == bid),
        ask_size=sum(quote.ask_size for quote in quotes if quote.ask == ask),
        sources=tuple(sorted(quote.source for quote in quotes)),
        updated_at=max(quote.venue_time for quote in quotes),
    )


def compute_reference_book(
    asset: str,
    states: Mapping[str, SourceState],
    accepted: Iterable[str],
    now: datetime,
    depth: int = REFERENCE_BOOK_DEPTH,
) -> ReferenceBook:
    bids: dict[int, int] = defaultdict(int)
    asks: dict[int, int] = defaultdict(int)
    sources: list[str] = []
    updated_at: datetime | None = None
    for source in accepted:
        state = states.get(source)
        if state is None:
            continue
        book = state.book
        if book is not None and now - book.venue_time <= PRICE_STALENESS:
            levels_bid, levels_ask, when = book.bids, book.asks, book.venue_time
        elif state.quote is not None and now - state.quote.venue_time <= PRICE_STALENESS:
            quote = state.quote
            levels_bid = (BookLevel(quote.bid, quote.bid_size),)
            levels_ask = (BookLevel(quote.ask, quote.ask_size),)
            when = quote.venue_time
        else:
            continue
        for level in levels_bid[:depth]:
            bids[level.price] += level.size
        for level in levels_ask[:depth]:
            asks[level.price] += level.size
        sources.append(source)
        updated_at = when if updated_at is None else max(updated_at, when)
    return ReferenceBook(
        asset=asset,
        bids=_top(bids, depth, best_first_descending=True),
        asks=_top(asks, depth, best_first_descending=False),
        sources=tuple(sorted(sources)),
        updated_at=updated_at,
    )


def _fresh_quotes(
    states: Mapping[str, SourceState], accepted: Iterable[str], now: datetime
) -> Iterable[SourceQuote]:
    for source in accepted:
        state = states.get(source)
        quote = None if state is None else state.quote
        if quote is not None and now - quote.venue_time <= PRICE_STALENESS:
            yield quote


def _top(
    levels: dict[int, int], depth: int, *, best_first_descending: bool
) -> tuple[BookLevel, ...]:
    prices = sorted(levels, reverse=best_first_descending)[:depth]
    return tuple(BookLevel(price, levels[price]) for price in prices)
