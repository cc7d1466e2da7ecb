"""Snapshot -> restore gives the same book: same hash, same behaviour afterwards."""

from __future__ import annotations

import json

from engine.matching import (
    AmendOrder,
    BookCommand,
    CancelOrder,
    ExpireOrders,
    OrderBook,
    OrderType,
    ReferencePrices,
    TimeInForce,
    UpdateReference,
)
from tests.unit.matching.helpers import AT, BUY, SELL, later, limit, market, new_book, peg


def _busy_book() -> OrderBook:
    book = new_book(ReferencePrices(None, None))
    book.place(peg("unpriced", BUY, OrderType.PEG_MID, 2, "A", client_order_id="c0"))
    book.reprice(ReferencePrices(100, 110), AT)
    for command in (
        limit("s1", SELL, 107, 5, "M", client_order_id="c1"),
        limit("s2", SELL, 107, 3, "N", time_in_force=TimeInForce.GTD, expires_at=later(30)),
        peg("p1", SELL, OrderType.PEG_ASK, 4, "M", peg_offset_ticks=-1, limit_price=108),
        limit("b1", BUY, 103, 6, "A", min_quantity=2, nbbo_protection=True),
        limit("b2", BUY, 102, 4, "B", all_or_none=True),
        market("m1", BUY, 1, "C", time_in_force=TimeInForce.GTC),
        market("t1", SELL, 3, "C", client_order_id="gone"),
    ):
        book.place(command)
    return book


def _next_commands() -> list[BookCommand]:
    return [
        UpdateReference(ReferencePrices(104, 112), later(1)),
        limit("x1", BUY, 109, 6, "X", at=later(2)),
        AmendOrder("b1", "A", 3, later(3)),
        CancelOrder("s1", "M", later(4)),
        market("x2", SELL, 20, "X", at=later(5)),
        ExpireOrders(later(31)),
        limit("x3", BUY, 104, 1, "A", client_order_id="c0", at=later(32)),
    ]


def test_restored_book_has_the_same_hash_and_behaves_the_same() -> None:
    original = _busy_book()
    restored = OrderBook.restore(original.snapshot())

    assert restored.state_hash() == original.state_hash()
    assert restored.resting_orders() == original.resting_orders()
    for command in _next_commands():
        assert restored.handle(command) == original.handle(command)
        assert restored.state_hash() == original.state_hash()


def test_a_snapshot_is_plain_json_data() -> None:
    original = _busy_book()
    through_json = json.loads(json.dumps(original.snapshot()))

    restored = OrderBook.restore(through_json)

    assert restored.state_hash() == original.state_hash()
    assert restored.next_expiry() == original.next_expiry() == later(30)


def test_the_hash_changes_with_the_state() -> None:
    book = _busy_book()
    before = book.state_hash()

    book.amend(AmendOrder("b2", "B", 3, later(1)))

    assert book.state_hash() != before
