"""All-or-none and minimum quantity, by hand. Reference 100 x 110 (mid 105).

Rules: a resting all-or-none order trades only in one piece, with one incoming order
taking its whole remainder; an incoming all-or-none may gather its size from several
makers, but nothing trades unless it all fills. A fill of a minimum-quantity order is
at least `min_quantity` lots, or exactly the order's whole remainder.
"""

from __future__ import annotations

from engine.matching import TimeInForce
from tests.unit.matching.helpers import (
    BUY,
    SELL,
    cancellations,
    fills,
    limit,
    new_book,
    remaining,
    rest_all,
    trades,
)


def test_resting_all_or_none_ignores_an_order_too_small_to_take_it_whole() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 104, 5, "M", all_or_none=True))

    ioc = book.place(limit("b1", BUY, 106, 3, "T", time_in_force=TimeInForce.IOC))
    assert not trades(ioc)
    assert cancellations(ioc) == [("b1", "IOC_REMAINDER", 3)]

    gtc = book.place(limit("b2", BUY, 106, 3, "T"))
    assert not trades(gtc)
    assert remaining(book, "b2") == 3  # rests crossed with the all-or-none: allowed

    whole = book.place(limit("b3", BUY, 106, 5, "U"))
    assert fills(whole) == [("s", "b3", 105, 5)]  # one piece, (104 + 106) / 2


def test_resting_all_or_none_takes_a_larger_order_whole() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 104, 5, "M", all_or_none=True))

    events = book.place(limit("b", BUY, 104, 8, "T"))

    assert fills(events) == [("s", "b", 104, 5)]
    assert remaining(book, "b") == 3


def test_incoming_all_or_none_gathers_from_several_makers() -> None:
    book = new_book()
    rest_all(book, limit("s1", SELL, 104, 2, "M1"), limit("s2", SELL, 105, 2, "M2"))

    events = book.place(limit("b", BUY, 105, 4, "T", all_or_none=True))

    assert fills(events) == [("s1", "b", 104, 2), ("s2", "b", 105, 2)]


def test_incoming_all_or_none_that_cannot_fill_rests_untouched() -> None:
    book = new_book()
    rest_all(book, limit("s1", SELL, 104, 2, "M1"), limit("s2", SELL, 105, 2, "M2"))

    gtc = book.place(limit("b", BUY, 105, 5, "T", all_or_none=True))
    ioc = book.place(limit("c", BUY, 105, 5, "T", all_or_none=True, time_in_force=TimeInForce.IOC))

    assert not trades(gtc + ioc)
    assert remaining(book, "b") == 5
    assert cancellations(ioc) == [("c", "ALL_OR_NONE_UNFILLED", 5)]
    assert (remaining(book, "s1"), remaining(book, "s2")) == (2, 2)


def test_maker_minimum_quantity_blocks_a_smaller_fill() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 104, 10, "M", min_quantity=4))

    small = book.place(limit("b1", BUY, 104, 3, "T", time_in_force=TimeInForce.IOC))
    enough = book.place(limit("b2", BUY, 104, 4, "T"))

    assert not trades(small)
    assert fills(enough) == [("s", "b2", 104, 4)]
    assert remaining(book, "s") == 6


def test_a_fill_completing_a_minimum_quantity_order_is_allowed() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 104, 10, "M", min_quantity=4))
    book.place(limit("b1", BUY, 104, 7, "T"))
    assert remaining(book, "s") == 3  # now below its minimum

    events = book.place(limit("b2", BUY, 104, 3, "T"))

    assert fills(events) == [("s", "b2", 104, 3)]


def test_taker_minimum_quantity_skips_small_makers() -> None:
    book = new_book()
    rest_all(book, limit("s1", SELL, 104, 2, "M1"), limit("s2", SELL, 105, 6, "M2"))

    events = book.place(limit("b", BUY, 105, 6, "T", min_quantity=5))

    # s1 offers 2 < 5: skipped though better priced; s2 fills all 6.
    assert fills(events) == [("s2", "b", 105, 6)]
    assert remaining(book, "s1") == 2


def test_taker_remainder_below_its_minimum_goes_back_for_a_skipped_maker() -> None:
    book = new_book()
    rest_all(book, limit("s1", SELL, 104, 3, "M1"), limit("s2", SELL, 105, 8, "M2"))

    events = book.place(limit("b", BUY, 105, 10, "T", min_quantity=5))

    # s1: 3 < 5 and not all of 10, skipped. s2: 8. The remainder is 2, which s1 can
    # complete (a fill completing the order is allowed), at (104 + 105) / 2 -> 104.
    assert fills(events) == [("s2", "b", 105, 8), ("s1", "b", 104, 2)]
    assert remaining(book, "s1") == 1


def test_after_a_fill_shrinks_the_taker_a_maker_ranked_ahead_comes_first() -> None:
    book = new_book()
    rest_all(
        book,
        limit("b1", BUY, 105, 1, "M1"),
        limit("b2", BUY, 105, 2, "M2"),
        limit("b3", BUY, 105, 1, "M3"),
    )

    events = book.place(limit("s", SELL, 105, 3, "T", min_quantity=2))

    # b1 offers 1 < 2 of 3: skipped. b2 fills 2, leaving 1, which b1 (ahead of b3 in
    # time) can now complete: the walk goes back to the top rather than on to b3.
    assert fills(events) == [("b2", "s", 105, 2), ("b1", "s", 105, 1)]
    assert remaining(book, "b3") == 1
