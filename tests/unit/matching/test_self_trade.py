"""Self-trade prevention: the newer of two orders of one account is cancelled."""

from __future__ import annotations

from engine.matching import OrderType, ReferencePrices, TimeInForce
from tests.unit.matching.helpers import (
    AT,
    BUY,
    SELL,
    cancellations,
    fills,
    limit,
    new_book,
    peg,
    remaining,
    rest_all,
    trades,
)


def test_incoming_remainder_is_cancelled_and_earlier_fills_stand() -> None:
    book = new_book()
    rest_all(book, limit("s1", SELL, 104, 2, "M"), limit("s2", SELL, 105, 2, "T"))

    events = book.place(limit("b", BUY, 106, 5, "T"))

    assert fills(events) == [("s1", "b", 105, 2)]
    assert cancellations(events) == [("b", "SELF_TRADE", 3)]
    assert remaining(book, "s2") == 2  # the resting (older) order is untouched
    assert book.order("b") is None


def test_fok_meeting_its_own_order_trades_nothing() -> None:
    book = new_book()
    rest_all(book, limit("s1", SELL, 104, 2, "M"), limit("s2", SELL, 105, 2, "T"))

    events = book.place(limit("b", BUY, 106, 4, "T", time_in_force=TimeInForce.FOK))

    assert not trades(events)
    assert cancellations(events) == [("b", "SELF_TRADE", 4)]
    assert remaining(book, "s1") == 2


def test_an_own_order_that_could_not_trade_anyway_is_not_a_self_trade() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 104, 10, "T", all_or_none=True))

    events = book.place(limit("b", BUY, 106, 3, "T"))

    assert not trades(events)
    assert not cancellations(events)
    assert remaining(book, "b") == 3


def test_a_peg_moving_onto_its_own_account_order_is_cancelled_as_the_newer() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 107, 2, "T"), peg("p", BUY, OrderType.PEG_MID, 2, "T"))

    events = book.reprice(ReferencePrices(106, 116), AT)  # mid 111 crosses the 107

    assert not trades(events)
    assert cancellations(events) == [("p", "SELF_TRADE", 2)]
    assert remaining(book, "s") == 2
