"""Price-time priority and the execution price of every kind of pair, through the book.

Reference 100 x 110 (mid 105) throughout.
"""

from __future__ import annotations

from engine.matching import (
    Liquidity,
    OrderFilled,
    OrderPartiallyFilled,
    OrderType,
    ReferencePrices,
    TimeInForce,
)
from tests.unit.matching.helpers import (
    BUY,
    SELL,
    fills,
    limit,
    market,
    new_book,
    only,
    peg,
    remaining,
    rest_all,
)


def test_better_price_trades_first_whatever_the_time() -> None:
    book = new_book()
    rest_all(
        book,
        limit("s1", SELL, 106, 1, "M1"),
        limit("s2", SELL, 104, 1, "M2"),
        limit("s3", SELL, 105, 1, "M3"),
    )

    events = book.place(market("b", BUY, 3, "T"))

    # A MARKET buy pays each resting limit: best (lowest) ask first.
    assert fills(events) == [("s2", "b", 104, 1), ("s3", "b", 105, 1), ("s1", "b", 106, 1)]


def test_at_one_price_the_earlier_order_trades_first() -> None:
    book = new_book()
    rest_all(book, limit("s1", SELL, 104, 2, "M1"), limit("s2", SELL, 104, 2, "M2"))

    events = book.place(limit("b", BUY, 104, 3, "T"))

    assert fills(events) == [("s1", "b", 104, 2), ("s2", "b", 104, 1)]
    assert remaining(book, "s1") is None
    assert remaining(book, "s2") == 1


def test_best_bid_trades_first_for_an_incoming_sell() -> None:
    book = new_book()
    rest_all(
        book,
        limit("b1", BUY, 103, 1, "M1"),
        limit("b2", BUY, 104, 1, "M2"),
        limit("b3", BUY, 104, 1, "M3"),
    )

    events = book.place(market("s", SELL, 3, "T"))

    assert fills(events) == [("b2", "s", 104, 1), ("b3", "s", 104, 1), ("b1", "s", 103, 1)]


def test_limit_against_limit_trades_at_the_midpoint() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 104, 1, "M"))

    assert fills(book.place(limit("b", BUY, 108, 1, "T"))) == [("s", "b", 106, 1)]


def test_half_tick_midpoint_rounds_toward_a_resting_sell() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 104, 1, "M"))

    # (104 + 107) / 2 = 105.5 -> 105, the resting seller's side.
    assert fills(book.place(limit("b", BUY, 107, 1, "T"))) == [("s", "b", 105, 1)]


def test_half_tick_midpoint_rounds_toward_a_resting_buy() -> None:
    book = new_book()
    rest_all(book, limit("b", BUY, 107, 1, "M"))

    # (107 + 104) / 2 = 105.5 -> 106, the resting buyer's side.
    assert fills(book.place(limit("s", SELL, 104, 1, "T"))) == [("b", "s", 106, 1)]


def test_market_against_limit_trades_at_the_resting_limit() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 104, 1, "M1"), limit("b", BUY, 102, 1, "M2"))

    assert fills(book.place(market("mb", BUY, 1, "T"))) == [("s", "mb", 104, 1)]
    assert fills(book.place(market("ms", SELL, 1, "T"))) == [("b", "ms", 102, 1)]


def test_limit_against_a_resting_peg_trades_at_the_peg_level() -> None:
    book = new_book()
    rest_all(book, peg("p", SELL, OrderType.PEG_MID, 1, "M"))

    # The peg stands at 105; the buyer's 108 crosses it; the peg's level is the price.
    assert fills(book.place(limit("b", BUY, 108, 1, "T"))) == [("p", "b", 105, 1)]


def test_market_against_a_resting_peg_trades_at_the_peg_level() -> None:
    book = new_book()
    rest_all(book, peg("p", BUY, OrderType.PEG_BID, 1, "M"))

    assert fills(book.place(market("s", SELL, 1, "T"))) == [("p", "s", 100, 1)]


def test_market_against_a_resting_market_trades_at_the_reference_mid() -> None:
    book = new_book()
    rest_all(book, market("mb", BUY, 2, "M", time_in_force=TimeInForce.GTC))
    resting_market = book.order("mb")
    assert resting_market is not None and resting_market.price == 105

    assert fills(book.place(market("ms", SELL, 2, "T"))) == [("mb", "ms", 105, 2)]


def test_a_limit_meeting_a_resting_market_trades_at_the_mid() -> None:
    book = new_book()
    rest_all(book, market("mb", BUY, 1, "M", time_in_force=TimeInForce.GTC))

    # The resting MARKET is a peg to the mid: the sell at 103 crosses 105, price 105.
    assert fills(book.place(limit("s", SELL, 103, 1, "T"))) == [("mb", "s", 105, 1)]


def test_an_incoming_peg_counts_as_a_limit_at_its_level() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 102, 1, "M"))

    # The peg buys at 105; against the resting 102 that is (102 + 105) / 2 = 103.5 -> 103.
    assert fills(book.place(peg("p", BUY, OrderType.PEG_MID, 1, "T"))) == [("s", "p", 103, 1)]


def test_odd_spread_mid_rounds_down() -> None:
    book = new_book(ReferencePrices(100, 111))  # mid 105.5 -> 105
    rest_all(book, market("mb", BUY, 1, "M", time_in_force=TimeInForce.GTC))

    assert fills(book.place(market("ms", SELL, 1, "T"))) == [("mb", "ms", 105, 1)]


def test_a_limit_that_does_not_cross_rests() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 106, 1, "M"), limit("b", BUY, 105, 1, "T"))

    assert (book.best_bid(), book.best_ask()) == (105, 106)
    assert book.order_count() == 2


def test_fill_events_name_each_side_with_its_liquidity() -> None:
    book = new_book()
    rest_all(book, limit("s", SELL, 104, 5, "M"))

    events = book.place(limit("b", BUY, 104, 2, "T"))

    (taker_fill,) = only(events, OrderFilled)
    (maker_fill,) = only(events, OrderPartiallyFilled)
    assert (taker_fill.order_id, taker_fill.account_id, taker_fill.liquidity) == (
        "b",
        "T",
        Liquidity.TAKER,
    )
    assert (maker_fill.order_id, maker_fill.account_id, maker_fill.liquidity) == (
        "s",
        "M",
        Liquidity.MAKER,
    )
    assert (maker_fill.price, maker_fill.size, maker_fill.remaining) == (104, 2, 3)
    trade = taker_fill.trade
    assert (trade.buy_order_id, trade.sell_order_id) == ("b", "s")
    assert (trade.buyer_account_id, trade.seller_account_id) == ("T", "M")
    assert trade.aggressor_side is BUY
