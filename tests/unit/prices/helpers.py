"""Builders for hand-computed oracle scenarios: prices written as decimals, stored as units."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from engine.oracle.model import (
    PRICE_SCALE,
    SIZE_SCALE,
    BookLevel,
    SourceBook,
    SourceQuote,
    SourceTrade,
)
from engine.oracle.sources import SourceState

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)


def px(text: str) -> int:
    return int(Decimal(text) * PRICE_SCALE)


def qty(text: str) -> int:
    return int(Decimal(text) * SIZE_SCALE)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def trade(source: str, price: str, size: str, age: float = 1.0, asset: str = "BTC") -> SourceTrade:
    when = ago(age)
    return SourceTrade(source, asset, px(price), qty(size), when, when)


def quote(
    source: str, bid: str, ask: str, age: float = 1.0, size: str = "1", asset: str = "BTC"
) -> SourceQuote:
    when = ago(age)
    return SourceQuote(source, asset, px(bid), px(ask), qty(size), qty(size), when, when)


def book(
    source: str, bids: list[tuple[str, str]], asks: list[tuple[str, str]], age: float = 1.0
) -> SourceBook:
    when = ago(age)
    return SourceBook(
        source,
        "BTC",
        tuple(BookLevel(px(p), qty(s)) for p, s in bids),
        tuple(BookLevel(px(p), qty(s)) for p, s in asks),
        when,
        when,
    )


def state_with_trades(source: str, *trades: tuple[str, str], age: float = 1.0) -> SourceState:
    state = SourceState(source)
    for price, size in trades:
        state.add_trade(trade(source, price, size, age))
    return state


def state_with_quote(source: str, bid: str, ask: str, age: float = 1.0) -> SourceState:
    state = SourceState(source)
    state.set_quote(quote(source, bid, ask, age))
    return state
