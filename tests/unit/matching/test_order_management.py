"""Cancel, cancel-all, amend, client order ids and the checks on a new order."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.matching import (
    AmendOrder,
    AmendRejected,
    CancelAllOrders,
    CancelOrder,
    CancelRejected,
    DuplicateClientOrderId,
    OrderAccepted,
    OrderAmended,
    OrderRejected,
    OrderType,
    PlaceOrder,
    RejectCode,
    TimeInForce,
)
from tests.unit.matching.helpers import (
    AT,
    BUY,
    SELL,
    cancellations,
    fills,
    later,
    limit,
    market,
    new_book,
    only,
    remaining,
    rest_all,
)


def test_cancel_needs_the_owning_account() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 107, 2, "M"))

    stranger = book.cancel(CancelOrder("s", "X", AT))
    owner = book.cancel(CancelOrder("s", "M", AT))
    again = book.cancel(CancelOrder("s", "M", AT))

    # Someone else's order is "not found": a book never confirms that it exists.
    assert [event.code for event in only(stranger + again, CancelRejected)] == [
        RejectCode.ORDER_NOT_FOUND,
        RejectCode.ORDER_NOT_FOUND,
    ]
    assert cancellations(owner) == [("s", "USER", 2)]
    assert book.order("s") is None


def test_cancel_all_cancels_every_open_order_of_one_account_only() -> None:
    book = new_book()
    rest_all(
        book,
        limit("a1", SELL, 107, 1, "A"),
        limit("b1", SELL, 108, 1, "B"),
        limit("a2", BUY, 103, 1, "A"),
    )

    events = book.cancel_all(CancelAllOrders("A", AT))

    assert cancellations(events) == [("a1", "USER", 1), ("a2", "USER", 1)]
    assert [view.order_id for view in book.resting_orders()] == ["b1"]
    assert book.cancel_all(CancelAllOrders("A", AT)) == []


def test_amend_down_keeps_time_priority() -> None:
    book = new_book()
    rest_all(book, limit("s1", SELL, 104, 5, "M1"), limit("s2", SELL, 104, 5, "M2"))

    amended = book.amend(AmendOrder("s1", "M1", 3, AT))
    events = book.place(limit("b", BUY, 104, 4, "T"))

    assert amended == [OrderAmended("s1", "M1", 3, 3, AT)]
    assert fills(events) == [("s1", "b", 104, 3), ("s2", "b", 104, 1)]


def test_amend_counts_fills_already_made() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 104, 5, "M"))
    book.place(limit("b", BUY, 104, 2, "T"))

    events = book.amend(AmendOrder("s", "M", 4, AT))

    assert events == [OrderAmended("s", "M", 4, 2, AT)]  # 2 filled, 2 left of 4


def test_amend_to_no_more_than_filled_is_a_cancel() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 104, 5, "M"))
    book.place(limit("b", BUY, 104, 2, "T"))

    events = book.amend(AmendOrder("s", "M", 2, AT))

    assert cancellations(events) == [("s", "AMENDED_TO_FILLED", 3)]
    assert book.order("s") is None


@pytest.mark.parametrize(
    ("order_id", "account", "new_size", "code"),
    [
        ("s", "M", 6, RejectCode.SIZE_INCREASE_NOT_ALLOWED),
        ("s", "M", 0, RejectCode.INVALID_SIZE),
        ("s", "X", 3, RejectCode.ORDER_NOT_FOUND),
        ("nope", "M", 3, RejectCode.ORDER_NOT_FOUND),
    ],
)
def test_amend_refusals(order_id: str, account: str, new_size: int, code: RejectCode) -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 104, 5, "M"))

    (event,) = book.amend(AmendOrder(order_id, account, new_size, AT))

    assert isinstance(event, AmendRejected) and event.code is code
    assert remaining(book, "s") == 5


def test_amend_down_can_let_a_resting_all_or_none_trade() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 104, 5, "M", all_or_none=True), limit("b", BUY, 105, 3, "T"))

    events = book.amend(AmendOrder("s", "M", 3, AT))

    # The buy (newer) takes the whole 3 now; (104 + 105) / 2 = 104.5 -> 104.
    assert fills(events) == [("s", "b", 104, 3)]


def test_a_client_order_id_is_used_once_per_account() -> None:
    book = new_book()
    first = book.place(limit("o1", SELL, 107, 1, "A", client_order_id="c1"))
    again = book.place(limit("o2", SELL, 108, 1, "A", client_order_id="c1"))
    other_account = book.place(limit("o3", SELL, 108, 1, "B", client_order_id="c1"))

    assert only(first, OrderAccepted)[0].client_order_id == "c1"
    assert again == [DuplicateClientOrderId("o2", "A", "c1", "o1", AT)]
    assert book.order("o2") is None
    assert only(other_account, OrderAccepted)


def test_a_retry_after_the_order_closed_is_still_a_duplicate() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 104, 1, "M"))
    book.place(market("o1", BUY, 1, "A", client_order_id="c1"))  # filled and gone

    retry = book.place(market("o2", BUY, 1, "A", client_order_id="c1"))

    assert retry == [DuplicateClientOrderId("o2", "A", "c1", "o1", AT)]


def test_closed_client_order_ids_are_forgotten_oldest_first() -> None:
    book = new_book(client_order_id_memory=1)
    book.place(market("o1", BUY, 1, "A", client_order_id="c1"))  # cancelled: no liquidity
    book.place(market("o2", BUY, 1, "A", client_order_id="c2"))  # pushes c1 out

    assert only(book.place(market("o3", BUY, 1, "A", client_order_id="c2")), DuplicateClientOrderId)
    assert only(book.place(market("o4", BUY, 1, "A", client_order_id="c1")), OrderAccepted)


def _command(**changes: object) -> PlaceOrder:
    fields: dict[str, object] = {
        "order_id": "n",
        "account_id": "A",
        "side": BUY,
        "order_type": OrderType.LIMIT,
        "size": 1,
        "at": AT,
        "limit_price": 100,
    }
    fields.update(changes)
    return PlaceOrder(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"size": 0}, RejectCode.INVALID_SIZE),
        ({"limit_price": None}, RejectCode.INVALID_PRICE),
        ({"limit_price": 0}, RejectCode.INVALID_PRICE),
        ({"order_type": OrderType.MARKET}, RejectCode.INVALID_PRICE),
        ({"peg_offset_ticks": 1}, RejectCode.INVALID_PEG_OFFSET),
        ({"min_quantity": 2}, RejectCode.INVALID_MIN_QUANTITY),
        ({"min_quantity": -1}, RejectCode.INVALID_MIN_QUANTITY),
        ({"time_in_force": TimeInForce.GTD}, RejectCode.INVALID_EXPIRY),
        ({"time_in_force": TimeInForce.GTD, "expires_at": AT}, RejectCode.INVALID_EXPIRY),
        ({"expires_at": later(5)}, RejectCode.INVALID_EXPIRY),
        ({"order_id": "s"}, RejectCode.DUPLICATE_ORDER_ID),
    ],
)
def test_order_checks(changes: dict[str, object], code: RejectCode) -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 107, 1, "M"))

    (event,) = book.place(_command(**changes))

    assert isinstance(event, OrderRejected) and event.code is code
    assert book.order_count() == 1


def test_a_gtd_order_with_a_future_expiry_is_accepted() -> None:
    book = new_book()
    events = book.place(
        _command(time_in_force=TimeInForce.GTD, expires_at=AT + timedelta(microseconds=1))
    )
    assert only(events, OrderAccepted)
    assert book.account_order_count("A") == 1
