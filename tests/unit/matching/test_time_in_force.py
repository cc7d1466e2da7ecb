"""IOC, FOK, GTC and GTD, and MARKET orders' defaults. Reference 100 x 110 (mid 105)."""

from __future__ import annotations

from engine.matching import OrderExpired, OrderRested, ReferencePrices, TimeInForce
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
    trades,
)


def test_ioc_trades_what_it_can_and_cancels_the_rest() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 104, 2, "M"))

    events = book.place(limit("b", BUY, 105, 5, "T", time_in_force=TimeInForce.IOC))

    assert fills(events) == [("s", "b", 104, 2)]  # 104.5 -> 104, toward the resting sell
    assert cancellations(events) == [("b", "IOC_REMAINDER", 3)]
    assert book.order("b") is None


def test_a_market_order_is_ioc_by_default() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 104, 2, "M"))

    events = book.place(market("b", BUY, 5, "T"))

    assert fills(events) == [("s", "b", 104, 2)]
    assert cancellations(events) == [("b", "IOC_REMAINDER", 3)]


def test_a_limit_order_is_gtc_by_default() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 104, 2, "M"))

    events = book.place(limit("b", BUY, 105, 5, "T"))

    assert fills(events) == [("s", "b", 104, 2)]
    assert only(events, OrderRested)[0].remaining == 3
    view = book.order("b")
    assert view is not None and view.time_in_force is TimeInForce.GTC


def test_a_gtc_market_order_rests_at_the_mid_and_follows_it() -> None:
    book = new_book()

    events = book.place(market("b", BUY, 2, "T", time_in_force=TimeInForce.GTC))

    assert only(events, OrderRested)
    assert book.best_bid() == 105
    book.reprice(ReferencePrices(102, 112), AT)
    assert book.best_bid() == 107


def test_fok_that_cannot_fill_completely_trades_nothing() -> None:
    book = new_book()
    rest_all(book, limit("s1", SELL, 104, 2, "M1"), limit("s2", SELL, 105, 2, "M2"))

    events = book.place(limit("b", BUY, 106, 5, "T", time_in_force=TimeInForce.FOK))

    assert not trades(events)
    assert cancellations(events) == [("b", "FOK_UNFILLED", 5)]
    assert (remaining(book, "s1"), remaining(book, "s2")) == (2, 2)


def test_fok_that_can_fill_completely_trades_across_makers() -> None:
    book = new_book()
    rest_all(book, limit("s1", SELL, 104, 2, "M1"), limit("s2", SELL, 105, 2, "M2"))

    events = book.place(limit("b", BUY, 106, 4, "T", time_in_force=TimeInForce.FOK))

    # (104 + 106) / 2 = 105; (105 + 106) / 2 = 105.5 -> 105 toward the resting 105.
    assert fills(events) == [("s1", "b", 105, 2), ("s2", "b", 105, 2)]
    assert not cancellations(events)


def test_gtd_order_expires_exactly_once() -> None:
    book = new_book()
    rest_all(
        book,
        limit("s", SELL, 107, 2, "M", time_in_force=TimeInForce.GTD, expires_at=later(10)),
    )

    assert book.next_expiry() == later(10)
    assert book.expire(later(9)) == []
    expired = book.expire(later(10))
    assert expired == [OrderExpired("s", "M", 2, later(10))]
    assert book.expire(later(11)) == []
    assert book.expire(later(20)) == []
    assert book.order("s") is None
    assert book.next_expiry() is None


def test_an_order_past_its_expiry_never_trades() -> None:
    book = new_book()
    rest_all(
        book,
        limit("s", SELL, 104, 2, "M", time_in_force=TimeInForce.GTD, expires_at=later(10)),
    )

    # The scheduler has not called expire() yet; the next command still sees the time.
    events = book.place(limit("b", BUY, 106, 2, "T", at=later(10)))

    assert only(events, OrderExpired) == [OrderExpired("s", "M", 2, later(10))]
    assert not trades(events)
    assert book.expire(later(30)) == []


def test_next_expiry_skips_orders_that_closed_before_expiring() -> None:
    book = new_book()
    rest_all(
        book,
        limit("a", SELL, 107, 1, "M", time_in_force=TimeInForce.GTD, expires_at=later(5)),
        limit("b", SELL, 108, 1, "M", time_in_force=TimeInForce.GTD, expires_at=later(8)),
    )
    book.place(market("t", BUY, 1, "T"))  # fills "a"

    assert book.next_expiry() == later(8)
    assert [event.order_id for event in only(book.expire(later(9)), OrderExpired)] == ["b"]
