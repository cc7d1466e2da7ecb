"""A book as plain data (ints, strs, lists, dicts) and back, and its canonical hash.

A snapshot holds everything the book's future behaviour depends on, and nothing that
depends on how it got there (price levels and indexes are rebuilt from the orders), so
snapshot plus the journal replayed after it gives back the same book, hash for hash.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import TypedDict

from engine.matching.model import Order, OrderStatus, OrderType, Side, TimeInForce

SNAPSHOT_FORMAT = 1


class OrderRecord(TypedDict):
    order_id: str
    account_id: str
    client_order_id: str | None
    side: str
    order_type: str
    time_in_force: str
    size: int
    remaining: int
    limit_price: int | None
    peg_offset_ticks: int
    min_quantity: int
    all_or_none: bool
    nbbo_protection: bool
    expires_at: str | None  # ISO 8601 with its UTC offset
    sequence: int
    created_at: str
    status: str
    price: int | None


class BookSnapshot(TypedDict):
    format: int
    symbol: str
    reference: tuple[int | None, int | None]
    peg_reference: tuple[int | None, int | None] | None  # the last tradable reference
    next_sequence: int
    trade_count: int
    client_order_id_memory: int
    orders: list[OrderRecord]  # open orders, in sequence order
    client_order_ids: list[tuple[str, str, str]]  # (account, client order id, order id)
    closed_client_order_ids: list[tuple[str, str]]  # oldest first: forgotten first


def order_record(order: Order) -> OrderRecord:
    return OrderRecord(
        order_id=order.order_id,
        account_id=order.account_id,
        client_order_id=order.client_order_id,
        side=order.side.value,
        order_type=order.order_type.value,
        time_in_force=order.time_in_force.value,
        size=order.size,
        remaining=order.remaining,
        limit_price=order.limit_price,
        peg_offset_ticks=order.peg_offset_ticks,
        min_quantity=order.min_quantity,
        all_or_none=order.all_or_none,
        nbbo_protection=order.nbbo_protection,
        expires_at=None if order.expires_at is None else order.expires_at.isoformat(),
        sequence=order.sequence,
        created_at=order.created_at.isoformat(),
        status=order.status.value,
        price=order.price,
    )


def order_from_record(record: OrderRecord) -> Order:
    expires_at = record["expires_at"]
    order = Order(
        order_id=record["order_id"],
        account_id=record["account_id"],
        client_order_id=record["client_order_id"],
        side=Side(record["side"]),
        order_type=OrderType(record["order_type"]),
        time_in_force=TimeInForce(record["time_in_force"]),
        size=record["size"],
        limit_price=record["limit_price"],
        peg_offset_ticks=record["peg_offset_ticks"],
        min_quantity=record["min_quantity"],
        all_or_none=record["all_or_none"],
        nbbo_protection=record["nbbo_protection"],
        expires_at=None if expires_at is None else datetime.fromisoformat(expires_at),
        sequence=record["sequence"],
        created_at=datetime.fromisoformat(record["created_at"]),
    )
    order.remaining = record["remaining"]
    order.status = OrderStatus(record["status"])
    order.price = record["price"]
    return order


def snapshot_hash(snapshot: BookSnapshot) -> str:
    """SHA-256 of the canonical JSON form: equal books, equal hashes, on any machine."""
    canonical = json.dumps(snapshot, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
