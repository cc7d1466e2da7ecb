"""Reference NBBO and book, and the mark price rule, by hand."""

from __future__ import annotations

from datetime import timedelta

from engine.oracle.mark import MarkPriceTracker
from engine.oracle.nbbo import ReferenceQuote, compute_reference_book, compute_reference_quote
from engine.oracle.sources import SourceState
from tests.unit.prices.helpers import NOW, book, px, qty, quote


def states_with(*quotes_and_books: object) -> dict[str, SourceState]:
    states: dict[str, SourceState] = {}
    for item in quotes_and_books:
        source = item.source  # type: ignore[attr-defined]
        state = states.setdefault(source, SourceState(source))
        if hasattr(item, "bid"):
            state.set_quote(item)  # type: ignore[arg-type]
        else:
            state.set_book(item)  # type: ignore[arg-type]
    return states


def test_nbbo_is_the_best_bid_and_offer_of_accepted_venues() -> None:
    states = states_with(
        quote("BINANCE", "99.90", "100.10", size="2"),
        quote("COINBASE", "99.95", "100.20", size="3"),
        quote("KRAKEN", "99.95", "100.10", size="5"),
        quote("OKX", "103.00", "103.20"),  # the liar: not accepted by the index
    )
    nbbo = compute_reference_quote("BTC", states, ["BINANCE", "COINBASE", "KRAKEN"], NOW)

    assert (nbbo.bid, nbbo.ask) == (px("99.95"), px("100.10"))
    assert nbbo.bid_size == qty("8")  # Coinbase 3 + Kraken 5 at 99.95
    assert nbbo.ask_size == qty("7")  # Binance 2 + Kraken 5 at 100.10
    assert nbbo.mid == px("100.025")
    assert nbbo.tradable
    assert nbbo.sources == ("BINANCE", "COINBASE", "KRAKEN")


def test_a_crossed_or_locked_reference_is_not_tradable() -> None:
    crossed = compute_reference_quote(
        "BTC",
        states_with(quote("BINANCE", "100.00", "100.10"), quote("KRAKEN", "100.20", "100.30")),
        ["BINANCE", "KRAKEN"],
        NOW,
    )
    assert crossed.crossed and not crossed.tradable
    locked = compute_reference_quote(
        "BTC",
        states_with(quote("BINANCE", "100.00", "100.10"), quote("KRAKEN", "100.10", "100.30")),
        ["BINANCE", "KRAKEN"],
        NOW,
    )
    assert locked.locked and not locked.tradable


def test_stale_quotes_leave_the_nbbo() -> None:
    states = states_with(quote("BINANCE", "99", "101", age=11))
    nbbo = compute_reference_quote("BTC", states, ["BINANCE"], NOW)
    assert nbbo.stale and nbbo.bid is None and not nbbo.tradable


def test_reference_book_merges_venues_best_first_to_the_depth() -> None:
    states = states_with(
        book("BINANCE", [("99.9", "1"), ("99.8", "2")], [("100.1", "1"), ("100.2", "2")]),
        book("KRAKEN", [("99.9", "4"), ("99.7", "1")], [("100.2", "3"), ("100.3", "1")]),
        quote("COINBASE", "99.85", "100.15", size="6"),  # no book: its quote is one level
    )
    merged = compute_reference_book("BTC", states, ["BINANCE", "KRAKEN", "COINBASE"], NOW, 3)
    assert [(lvl.price, lvl.size) for lvl in merged.bids] == [
        (px("99.9"), qty("5")),
        (px("99.85"), qty("6")),
        (px("99.8"), qty("2")),
    ]
    assert [(lvl.price, lvl.size) for lvl in merged.asks] == [
        (px("100.1"), qty("1")),
        (px("100.15"), qty("6")),
        (px("100.2"), qty("5")),
    ]


def reference(bid: str, ask: str) -> ReferenceQuote:
    return ReferenceQuote("BTC", px(bid), px(ask), 1, 1, ("BINANCE",), NOW)


def test_mark_without_trades_is_the_median_of_oracle_and_reference() -> None:
    tracker = MarkPriceTracker()
    # median(index 100, median(99.9, 100.1, mid 100.0), mid 100.0)
    assert tracker.update(px("100"), reference("99.9", "100.1"), NOW) == px("100")


def test_a_wild_last_trade_cannot_drag_the_mark() -> None:
    tracker = MarkPriceTracker()
    tracker.record_trade(px("110"), NOW)
    # basis EMA starts at 10: components 110, median(99.9, 100.1, 110) = 100.1, and 100.0
    assert tracker.update(px("100"), reference("99.9", "100.1"), NOW) == px("100.1")


def test_the_mark_stays_within_one_percent_of_the_index() -> None:
    tracker = MarkPriceTracker()
    assert tracker.update(px("100"), reference("104.9", "105.1"), NOW) == px("101")


def test_the_basis_ema_halves_the_gap_every_150_seconds() -> None:
    tracker = MarkPriceTracker()
    tracker.update(px("100"), reference("99.9", "100.1"), NOW)  # basis 0
    tracker.record_trade(px("102"), NOW + timedelta(seconds=150))
    tracker.update(px("100"), reference("99.9", "100.1"), NOW + timedelta(seconds=150))
    assert tracker.basis_ema == px("1")  # half of the 2.00 basis
