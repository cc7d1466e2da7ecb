"""Pegs stand where the reference puts them, move with it, and keep their time priority."""

from __future__ import annotations

from engine.matching import OrderBook, OrderType, ReferencePrices
from tests.unit.matching.helpers import (
    AT,
    BUY,
    SELL,
    fills,
    limit,
    market,
    new_book,
    peg,
    rest_all,
    trades,
)


def _level(book: OrderBook, order_id: str) -> int | None:
    view = book.order(order_id)
    assert view is not None
    return view.price


def test_pegs_stand_at_mid_bid_and_ask_with_offsets_and_caps() -> None:
    book = new_book()  # 100 x 110
    rest_all(
        book,
        peg("mid", BUY, OrderType.PEG_MID, 1, "A"),
        peg("bid", BUY, OrderType.PEG_BID, 1, "A", peg_offset_ticks=-1),
        peg("capped", BUY, OrderType.PEG_BID, 1, "A", peg_offset_ticks=3, limit_price=102),
        peg("ask", SELL, OrderType.PEG_ASK, 1, "B"),
        peg("floor", SELL, OrderType.PEG_ASK, 1, "B", peg_offset_ticks=-4, limit_price=108),
    )

    levels = [_level(book, name) for name in ("mid", "bid", "capped", "ask", "floor")]
    assert levels == [105, 99, 102, 110, 108]


def test_repricing_moves_every_peg() -> None:
    book = new_book()
    rest_all(
        book,
        peg("mid", BUY, OrderType.PEG_MID, 1, "A"),
        peg("ask", SELL, OrderType.PEG_ASK, 1, "B", peg_offset_ticks=2),
        limit("fixed", BUY, 95, 1, "A"),
    )

    assert book.reprice(ReferencePrices(90, 96), AT) == []

    assert [_level(book, name) for name in ("mid", "ask", "fixed")] == [93, 98, 95]
    assert (book.best_bid(), book.best_ask()) == (95, 98)


def test_a_repriced_peg_keeps_its_original_time_priority() -> None:
    book = new_book()
    rest_all(
        book,
        peg("peg", BUY, OrderType.PEG_BID, 1, "A"),  # sequence 1, at 100
        limit("fixed", BUY, 101, 1, "B"),  # sequence 2, at 101
    )

    book.reprice(ReferencePrices(101, 111), AT)  # the peg joins 101, ahead of "fixed"
    events = book.place(market("s", SELL, 1, "C"))

    assert fills(events) == [("peg", "s", 101, 1)]


def test_a_peg_moving_across_an_older_limit_trades_at_the_midpoint() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 107, 1, "A"), peg("p", BUY, OrderType.PEG_MID, 1, "B"))

    events = book.reprice(ReferencePrices(106, 112), AT)

    # The peg (newer) now stands at 109 and is the taker: (107 + 109) / 2 = 108.
    assert fills(events) == [("s", "p", 108, 1)]


def test_a_limit_newer_than_a_peg_that_moves_onto_it_trades_at_the_peg_level() -> None:
    book = new_book()
    rest_all(book, peg("p", BUY, OrderType.PEG_MID, 1, "B"), limit("s", SELL, 107, 1, "A"))

    events = book.reprice(ReferencePrices(106, 112), AT)

    # The limit (newer) is the taker against the peg at 109: the peg's level.
    assert fills(events) == [("p", "s", 109, 1)]


def test_a_peg_placed_before_any_reference_waits_unpriced() -> None:
    book = new_book(ReferencePrices(None, None))
    rest_all(book, peg("p", BUY, OrderType.PEG_MID, 1, "A"))

    assert _level(book, "p") is None
    assert book.best_bid() is None

    book.reprice(ReferencePrices(100, 110), AT)
    assert _level(book, "p") == 105
    assert book.best_bid() == 105


def test_pegs_hold_their_last_level_while_trading_is_halted() -> None:
    book = new_book()
    rest_all(book, peg("p", BUY, OrderType.PEG_MID, 1, "A"), limit("s", SELL, 106, 1, "B"))

    events = book.reprice(ReferencePrices(110, 110), AT)  # locked: mid would be 110

    assert not trades(events)
    assert _level(book, "p") == 105
