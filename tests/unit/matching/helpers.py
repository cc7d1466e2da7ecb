"""Builders for hand-worked book scenarios: reference 100 x 110 (mid 105) unless said."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from engine.matching import (
    BookEvent,
    OrderBook,
    OrderCancelled,
    OrderType,
    PlaceOrder,
    ReferencePrices,
    Side,
    TradeExecuted,
)

AT = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
REFERENCE = ReferencePrices(bid=100, ask=110)  # mid 105
SYMBOL = "BTC-PERP"
BUY, SELL = Side.BUY, Side.SELL

EventT = TypeVar("EventT")


def later(seconds: float) -> datetime:
    return AT + timedelta(seconds=seconds)


def new_book(reference: ReferencePrices = REFERENCE, **options: Any) -> OrderBook:
    return OrderBook(SYMBOL, reference, **options)


def limit(
    order_id: str, side: Side, price: int, size: int, account: str, **fields: Any
) -> PlaceOrder:
    fields.setdefault("at", AT)
    return PlaceOrder(order_id, account, side, OrderType.LIMIT, size, limit_price=price, **fields)


def market(order_id: str, side: Side, size: int, account: str, **fields: Any) -> PlaceOrder:
    fields.setdefault("at", AT)
    return PlaceOrder(order_id, account, side, OrderType.MARKET, size, **fields)


def peg(
    order_id: str, side: Side, order_type: OrderType, size: int, account: str, **fields: Any
) -> PlaceOrder:
    fields.setdefault("at", AT)
    return PlaceOrder(order_id, account, side, order_type, size, **fields)


def rest_all(book: OrderBook, *commands: PlaceOrder) -> None:
    """Place orders that must rest untouched (the scenario's starting book)."""
    for command in commands:
        events = book.place(command)
        assert not trades(events), events
        assert book.order(command.order_id) is not None, events


def only(events: Iterable[BookEvent], kind: type[EventT]) -> list[EventT]:
    return [event for event in events if isinstance(event, kind)]


def trades(events: Iterable[BookEvent]) -> list[TradeExecuted]:
    return only(events, TradeExecuted)


def fills(events: Iterable[BookEvent]) -> list[tuple[str, str, int, int]]:
    """Each trade as (maker order, taker order, price, size), in execution order."""
    return [
        (trade.maker_order_id, trade.taker_order_id, trade.price, trade.size)
        for trade in trades(events)
    ]


def cancellations(events: Iterable[BookEvent]) -> list[tuple[str, str, int]]:
    """Each cancellation as (order, reason, cancelled size)."""
    return [
        (event.order_id, event.reason.value, event.cancelled_size)
        for event in only(events, OrderCancelled)
    ]


def remaining(book: OrderBook, order_id: str) -> int | None:
    view = book.order(order_id)
    return None if view is None else view.remaining
