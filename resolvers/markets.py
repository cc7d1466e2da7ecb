"""Markets, the reference book, candles and the ticker and reference book subscriptions."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator
from datetime import datetime
from decimal import Decimal as PyDecimal
from typing import Annotated, Any

import strawberry

from engine.oracle import candles as oracle_candles
from engine.oracle.index import SourceReading
from engine.oracle.model import SIZE_DECIMALS, format_price
from engine.oracle.nbbo import ReferenceBook as OracleReferenceBook
from engine.oracle.nbbo import ReferenceQuote
from engine.oracle.prices import MarketPrice
from engine.oracle.symbols import QUOTE_ASSET, asset_of, perp_symbol
from resolvers.context import Info
from resolvers.errors import InvalidArgument
from schema.markets import (
    REFERENCE_MARKET_LABEL,
    BookLevel,
    Candle,
    CandleInterval,
    Market,
    Nbbo,
    OracleTier,
    PriceKind,
    PriceSource,
    PriceSourceExclusion,
    ReferenceBook,
    Ticker,
)
from schema.scalars import Decimal

MAX_BOOK_DEPTH = 10
MAX_CANDLES = 1_500
# The oracle ticks ten times a second; no subscriber is sent more than that.
MIN_TICKER_GAP_SECONDS = 0.1
# Issue #8: the reference book is sampled at most twice a second, at the first oracle tick
# after the gap, and sent only when it changed: plenty for a display, and one shared stream
# per (symbol, depth) whatever the number of watchers (api/fanout.py).
MIN_BOOK_GAP_SECONDS = 0.5


def markets(info: Info) -> list[Market]:
    oracle = info.context.venue.oracle
    return [_market(asset, oracle.latest(asset)) for asset in oracle.assets]


def market(info: Info, symbol: str) -> Market | None:
    asset = asset_of(symbol)
    oracle = info.context.venue.oracle
    if asset is None or asset not in oracle.assets:
        return None
    return _market(asset, oracle.latest(asset))


def reference_book(info: Info, symbol: str, depth: int = MAX_BOOK_DEPTH) -> ReferenceBook:
    asset = _book_asset(info, symbol, depth)
    return _reference_book(symbol, info.context.venue.oracle.reference_book(asset, depth))


async def reference_book_stream(
    info: Info, symbol: str, depth: int = MAX_BOOK_DEPTH
) -> AsyncGenerator[ReferenceBook, None]:
    """The book now, then at most every MIN_BOOK_GAP_SECONDS while it changes."""
    asset = _book_asset(info, symbol, depth)
    oracle = info.context.venue.oracle
    async with info.context.venue.bus.subscribe(f"ticker.{asset}") as ticks:
        last = oracle.reference_book(asset, depth)
        last_sent = time.monotonic()
        yield _reference_book(symbol, last)
        async for _tick in ticks:
            now = time.monotonic()
            if now - last_sent < MIN_BOOK_GAP_SECONDS:
                continue
            book = oracle.reference_book(asset, depth)
            if _same_levels(book, last):
                continue
            last, last_sent = book, now
            yield _reference_book(symbol, book)


def _book_asset(info: Info, symbol: str, depth: int) -> str:
    asset = _known_asset(info, symbol)
    if not 1 <= depth <= MAX_BOOK_DEPTH:
        raise InvalidArgument(f"depth must be between 1 and {MAX_BOOK_DEPTH}")
    return asset


def _same_levels(book: OracleReferenceBook, other: OracleReferenceBook) -> bool:
    """Same quotes from the same venues: only the time moved, nothing worth sending."""
    return (book.bids, book.asks, book.sources) == (other.bids, other.asks, other.sources)


def _reference_book(symbol: str, book: OracleReferenceBook) -> ReferenceBook:
    return ReferenceBook(
        symbol=symbol,
        label=REFERENCE_MARKET_LABEL,
        bids=[BookLevel(price=_price(level.price), size=_size(level.size)) for level in book.bids],
        asks=[BookLevel(price=_price(level.price), size=_size(level.size)) for level in book.asks],
        sources=list(book.sources),
        updated_at=book.updated_at,
    )


async def candles(
    info: Info,
    symbol: str,
    interval: CandleInterval,
    start: Annotated[datetime, strawberry.argument(name="from")],
    end: Annotated[datetime, strawberry.argument(name="to")],
    kind: PriceKind = PriceKind.INDEX,
) -> list[Candle]:
    """Candles starting in [start, end), oldest first; at most the latest 1,500."""
    asset = _known_asset(info, symbol)
    if start >= end:
        raise InvalidArgument("`from` must be before `to`")
    oracle_interval = oracle_candles.CandleInterval(interval.value)
    oracle_kind = oracle_candles.PriceKind(kind.value)
    venue = info.context.venue
    stored = await venue.candles.between(
        asset, oracle_kind, oracle_interval, start, end, MAX_CANDLES
    )
    current = venue.oracle.open_candle(asset, oracle_kind, oracle_interval)
    if current is not None and start <= current.start < end:
        stored = [*stored[-(MAX_CANDLES - 1) :], current]
    return [_candle(candle) for candle in stored]


async def ticker(info: Info, symbol: str) -> AsyncGenerator[Ticker, None]:
    asset = _known_asset(info, symbol)
    last_sent = 0.0
    async with info.context.venue.bus.subscribe(f"ticker.{asset}") as events:
        async for event in events:
            now = time.monotonic()
            if now - last_sent < MIN_TICKER_GAP_SECONDS:
                continue
            last_sent = now
            yield _ticker(symbol, event)


def _known_asset(info: Info, symbol: str) -> str:
    asset = asset_of(symbol)
    if asset is None or asset not in info.context.venue.oracle.assets:
        raise InvalidArgument(f"unknown market {symbol[:40]!r}; symbols look like BTC-USDT-PERP")
    return asset


def _market(asset: str, price: MarketPrice | None) -> Market:
    if price is None:
        return Market(
            symbol=perp_symbol(asset),
            base_asset=asset,
            quote_asset=QUOTE_ASSET,
            index_price=None,
            mark_price=None,
            nbbo=_nbbo(None),
            oracle_confidence=0.0,
            oracle_healthy=False,
            oracle_tier=OracleTier.UNAVAILABLE,
            price_sources=[],
            updated_at=None,
        )
    return Market(
        symbol=perp_symbol(asset),
        base_asset=asset,
        quote_asset=QUOTE_ASSET,
        index_price=_optional_price(price.index.price),
        mark_price=_optional_price(price.mark),
        nbbo=_nbbo(price.reference),
        oracle_confidence=price.index.confidence,
        oracle_healthy=price.healthy,
        oracle_tier=OracleTier(price.index.tier.value),
        price_sources=[_source(reading) for reading in price.index.sources],
        updated_at=price.computed_at,
    )


def _nbbo(reference: ReferenceQuote | None) -> Nbbo:
    if reference is None:
        return Nbbo(
            bid=None, ask=None, mid=None, bid_size=None, ask_size=None, crossed=False, locked=False
        )
    return Nbbo(
        bid=_optional_price(reference.bid),
        ask=_optional_price(reference.ask),
        mid=_optional_price(reference.mid),
        bid_size=_size(reference.bid_size) if reference.bid is not None else None,
        ask_size=_size(reference.ask_size) if reference.ask is not None else None,
        crossed=reference.crossed,
        locked=reference.locked,
    )


def _source(reading: SourceReading) -> PriceSource:
    deviation = None
    if reading.deviation_bps is not None:
        deviation = Decimal(PyDecimal(reading.deviation_bps).scaleb(-2))
    return PriceSource(
        name=reading.source,
        healthy=reading.healthy,
        price=_optional_price(reading.price),
        last_update=reading.last_update,
        deviation=deviation,
        excluded_reason=(
            None if reading.excluded is None else PriceSourceExclusion(reading.excluded.value)
        ),
    )


def _candle(candle: oracle_candles.Candle) -> Candle:
    return Candle(
        start=candle.start,
        open=_price(candle.open),
        high=_price(candle.high),
        low=_price(candle.low),
        close=_price(candle.close),
        volume=_size(candle.volume),
    )


def _ticker(symbol: str, event: dict[str, Any]) -> Ticker:
    def decimal(name: str) -> Decimal | None:
        value = event.get(name)
        return None if value is None else Decimal(PyDecimal(value))

    bid, ask = decimal("bid"), decimal("ask")
    return Ticker(
        symbol=symbol,
        index_price=decimal("indexPrice"),
        mark_price=decimal("markPrice"),
        nbbo=Nbbo(
            bid=bid,
            ask=ask,
            mid=decimal("mid"),
            bid_size=None,
            ask_size=None,
            crossed=bid is not None and ask is not None and bid > ask,
            locked=bid is not None and bid == ask,
        ),
        oracle_confidence=float(event["confidence"]),
        oracle_healthy=bool(event["healthy"]),
        oracle_tier=OracleTier(event["tier"]),
        time=datetime.fromisoformat(event["at"]),
    )


def _price(units: int) -> Decimal:
    return Decimal(PyDecimal(format_price(units)))


def _optional_price(units: int | None) -> Decimal | None:
    return None if units is None else _price(units)


def _size(units: int) -> Decimal:
    return Decimal(PyDecimal(units).scaleb(-SIZE_DECIMALS))
