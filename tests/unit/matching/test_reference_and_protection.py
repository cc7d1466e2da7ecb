"""No trade without a tradable reference; NBBO protection keeps prices inside bid..ask."""

from __future__ import annotations

import pytest

from engine.matching import OrderRested, ReferencePrices, TimeInForce
from tests.unit.matching.helpers import (
    AT,
    BUY,
    SELL,
    cancellations,
    fills,
    limit,
    market,
    new_book,
    only,
    remaining,
    rest_all,
    trades,
)

NOT_TRADABLE = [
    pytest.param(ReferencePrices(None, 110), id="no bid"),
    pytest.param(ReferencePrices(100, None), id="no ask"),
    pytest.param(ReferencePrices(None, None), id="no reference"),
    pytest.param(ReferencePrices(105, 105), id="locked"),
    pytest.param(ReferencePrices(106, 104), id="crossed"),
]


@pytest.mark.parametrize("reference", NOT_TRADABLE)
def test_immediate_orders_are_cancelled_while_the_reference_is_not_tradable(
    reference: ReferencePrices,
) -> None:
    book = new_book(reference)
    rest_all(book, limit("s", SELL, 104, 5, "M"))

    ioc = book.place(limit("b1", BUY, 108, 1, "T", time_in_force=TimeInForce.IOC))
    fok = book.place(limit("b2", BUY, 108, 1, "T", time_in_force=TimeInForce.FOK))
    mkt = book.place(market("b3", BUY, 1, "T"))

    assert not trades(ioc + fok + mkt)
    assert cancellations(ioc + fok + mkt) == [
        ("b1", "REFERENCE_NOT_TRADABLE", 1),
        ("b2", "REFERENCE_NOT_TRADABLE", 1),
        ("b3", "REFERENCE_NOT_TRADABLE", 1),
    ]
    assert remaining(book, "s") == 5


@pytest.mark.parametrize("reference", NOT_TRADABLE)
def test_resting_orders_rest_crossed_while_halted_and_trade_when_it_reopens(
    reference: ReferencePrices,
) -> None:
    book = new_book(reference)
    rest_all(book, limit("s", SELL, 104, 5, "M"))

    events = book.place(limit("b", BUY, 108, 3, "T"))

    assert not trades(events)
    assert only(events, OrderRested)
    assert (book.best_bid(), book.best_ask()) == (108, 104)  # crossed, held, not traded

    reopened = book.reprice(ReferencePrices(100, 110), AT)

    # The newer order (the buy) is the taker: midpoint of 104 and 108 = 106.
    assert fills(reopened) == [("s", "b", 106, 3)]
    assert remaining(book, "s") == 2


def test_a_reference_going_away_halts_trading() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 104, 5, "M"))

    assert book.reprice(ReferencePrices(None, 110), AT) == []
    events = book.place(market("b", BUY, 1, "T"))

    assert not trades(events)
    assert cancellations(events) == [("b", "REFERENCE_NOT_TRADABLE", 1)]


def test_protected_incoming_order_skips_prices_outside_the_nbbo() -> None:
    book = new_book()
    rest_all(book, limit("s1", SELL, 90, 1, "M1"), limit("s2", SELL, 100, 1, "M2"))

    events = book.place(
        limit("b", BUY, 100, 2, "T", nbbo_protection=True, time_in_force=TimeInForce.IOC)
    )

    # s1 would trade at (90 + 100) / 2 = 95, below the reference bid 100: not for this
    # order. s2 trades at 100, the bid itself (the bounds are inclusive).
    assert fills(events) == [("s2", "b", 100, 1)]
    assert cancellations(events) == [("b", "IOC_REMAINDER", 1)]
    assert remaining(book, "s1") == 1


def test_protected_incoming_order_above_the_ask_rests_when_gtc() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 111, 1, "M"))

    events = book.place(limit("b", BUY, 112, 1, "T", nbbo_protection=True))

    # (111 + 112) / 2 = 111.5 -> 111, above the ask 110: the protected buy rests.
    assert not trades(events)
    assert remaining(book, "b") == 1
    assert (book.best_bid(), book.best_ask()) == (112, 111)


def test_protection_on_the_resting_order_is_honoured_too() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 111, 1, "M", nbbo_protection=True))

    events = book.place(market("b", BUY, 1, "T"))

    assert not trades(events)
    assert cancellations(events) == [("b", "IOC_REMAINDER", 1)]


def test_without_protection_a_trade_may_print_outside_the_nbbo() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 111, 1, "M"))

    assert fills(book.place(market("b", BUY, 1, "T"))) == [("s", "b", 111, 1)]


def test_a_protected_pair_trades_once_the_nbbo_moves_over_its_price() -> None:
    book = new_book()
    rest_all(
        book,
        limit("s", SELL, 111, 1, "M"),
        limit("b", BUY, 112, 1, "T", nbbo_protection=True),
    )

    events = book.reprice(ReferencePrices(105, 115), AT)

    assert fills(events) == [("s", "b", 111, 1)]
