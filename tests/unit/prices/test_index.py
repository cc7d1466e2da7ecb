"""Index rules with hand-computed expectations: weights, median filter, staleness, tiers."""

from __future__ import annotations

from fractions import Fraction

import pytest

from engine.oracle.index import Exclusion, OracleTier, compute_index
from engine.oracle.model import PRICE_SCALE
from tests.unit.prices.helpers import NOW, px, state_with_quote, state_with_trades, trade


def rounded(value: Fraction) -> int:
    """Half-up rounding of a positive fraction of price units, as the oracle does."""
    return int(value * PRICE_SCALE + Fraction(1, 2))


def test_weighted_vwap_of_agreeing_sources_with_the_liar_dropped() -> None:
    states = {
        "BINANCE": state_with_trades("BINANCE", ("100.00", "2"), ("101.00", "2")),  # VWAP 100.50
        "COINBASE": state_with_trades("COINBASE", ("100.40", "1")),
        "KRAKEN": state_with_trades("KRAKEN", ("100.60", "1")),
        "BYBIT": state_with_trades("BYBIT", ("100.50", "2")),
        "OKX": state_with_trades("OKX", ("104.00", "1")),  # 3.48 % above the median
    }
    index = compute_index("BTC", states, NOW)

    # median(100.4, 100.5, 100.5, 100.6, 104.0) = 100.5; OKX is |104 - 100.5| / 100.5 away.
    assert index.median == px("100.50")
    okx = next(r for r in index.sources if r.source == "OKX")
    assert okx.excluded == Exclusion.DEVIATION
    assert okx.deviation_bps == 348
    # Sum of price x volume x weight over the four that agree, by hand:
    # Binance 100.50*4*0.30, Coinbase 100.40*1*0.25, Kraken 100.60*1*0.15, Bybit 100.50*2*0.15
    numerator = (
        Fraction("100.50") * 4 * 3000
        + Fraction("100.40") * 1 * 2500
        + Fraction("100.60") * 1 * 1500
        + Fraction("100.50") * 2 * 1500
    )
    denominator = 4 * 3000 + 1 * 2500 + 1 * 1500 + 2 * 1500
    assert index.price == rounded(numerator / denominator)  # 100.4947368421...
    assert index.tier == OracleTier.PRIMARY
    assert index.healthy


def test_a_source_exactly_two_percent_away_stays_and_one_unit_more_goes() -> None:
    base = {
        "BINANCE": state_with_quote("BINANCE", "99.99", "100.01"),
        "COINBASE": state_with_quote("COINBASE", "99.99", "100.01"),
    }
    at_limit = compute_index(
        "BTC", {**base, "KRAKEN": state_with_quote("KRAKEN", "101.99", "102.01")}, NOW
    )
    assert at_limit.median == px("100.00")
    assert next(r for r in at_limit.sources if r.source == "KRAKEN").healthy

    beyond = {**base, "KRAKEN": state_with_quote("KRAKEN", "101.99", "102.0100000002")}
    judged = compute_index("BTC", beyond, NOW)
    assert next(r for r in judged.sources if r.source == "KRAKEN").excluded == Exclusion.DEVIATION


def test_quote_only_sources_are_weighted_by_source_weight_alone() -> None:
    states = {
        "BINANCE": state_with_quote("BINANCE", "99.90", "100.10"),  # mid 100.00
        "KRAKEN": state_with_quote("KRAKEN", "100.90", "101.10"),  # mid 101.00
        "OKX": state_with_quote("OKX", "100.40", "100.60"),  # mid 100.50
    }
    index = compute_index("BTC", states, NOW)
    expected = (Fraction(100) * 3000 + Fraction(101) * 1500 + Fraction("100.5") * 1500) / 6000
    assert index.price == rounded(expected)  # 100.375


@pytest.mark.parametrize(("age", "stale"), [(10.0, False), (10.001, True), (60.0, True)])
def test_a_price_older_than_ten_seconds_is_stale(age: float, stale: bool) -> None:
    states = {
        "BINANCE": state_with_trades("BINANCE", ("100", "1")),
        "COINBASE": state_with_trades("COINBASE", ("100", "1")),
        "KRAKEN": state_with_trades("KRAKEN", ("100", "1"), age=age),
    }
    kraken = next(r for r in compute_index("BTC", states, NOW).sources if r.source == "KRAKEN")
    assert (kraken.excluded == Exclusion.STALE) is stale


def test_two_agreeing_sources_are_the_fallback_tier_and_still_healthy() -> None:
    states = {
        "BINANCE": state_with_trades("BINANCE", ("100", "1")),
        "COINBASE": state_with_trades("COINBASE", ("100.2", "1")),
        "KRAKEN": state_with_trades("KRAKEN", ("100", "1"), age=30),
    }
    index = compute_index("BTC", states, NOW)
    assert index.tier == OracleTier.FALLBACK
    assert index.healthy
    assert [r.excluded for r in index.sources] == [
        None,
        None,
        Exclusion.STALE,
        Exclusion.NO_DATA,
        Exclusion.NO_DATA,
    ]


def test_one_source_alone_gives_a_price_but_not_a_healthy_one() -> None:
    index = compute_index("BTC", {"OKX": state_with_trades("OKX", ("100", "1"))}, NOW)
    assert index.tier == OracleTier.FALLBACK
    assert index.price == px("100")
    assert not index.healthy


def test_two_sources_that_disagree_cannot_make_a_price() -> None:
    # Median 100; each is 2.5 % from it: neither can be trusted over the other.
    states = {
        "BINANCE": state_with_trades("BINANCE", ("97.5", "1")),
        "COINBASE": state_with_trades("COINBASE", ("102.5", "1")),
    }
    index = compute_index("BTC", states, NOW)
    assert index.tier == OracleTier.UNAVAILABLE
    assert index.price is None
    assert not index.healthy
    assert index.confidence == 0.0


def test_all_sources_stale_is_unavailable_and_unhealthy() -> None:
    states = {name: state_with_trades(name, ("100", "1"), age=11) for name in ("BINANCE", "OKX")}
    index = compute_index("BTC", states, NOW)
    assert index.tier == OracleTier.UNAVAILABLE
    assert not index.healthy


def test_confidence_follows_the_seed_formula() -> None:
    # Three identical, current prices from Binance, Coinbase and Kraken; two venues silent.
    states = {
        name: state_with_quote(name, "99.99", "100.01", age=0)
        for name in ("BINANCE", "COINBASE", "KRAKEN")
    }
    index = compute_index("BTC", states, NOW)
    # C = 0.3 * C_data(1, no spread) + 0.3 * C_price(0.30 + 0.25 + 0.15)
    #   + 0.2 * C_freshness(1, no lag) + 0.2 * C_coverage(3 of 5)
    assert index.confidence == pytest.approx(0.3 * 1 + 0.3 * 0.7 + 0.2 * 1 + 0.2 * 0.6)


def test_old_trades_leave_the_window_and_the_quote_takes_over() -> None:
    state = state_with_trades("BINANCE", ("90", "5"), age=11)
    state.set_quote(state_with_quote("BINANCE", "99.9", "100.1", age=1).quote)  # type: ignore[arg-type]
    index = compute_index("BTC", {"BINANCE": state}, NOW)
    assert index.sources[0].price == px("100")
    assert state.volume == 0


def test_a_venue_is_dropped_at_its_first_lie_not_when_its_vwap_catches_up() -> None:
    honest = {
        name: state_with_trades(name, ("100", "1")) for name in ("BINANCE", "COINBASE", "KRAKEN")
    }
    liar = state_with_trades("OKX", *[("100", "1")] * 9, age=2)
    liar.add_trade(trade("OKX", "103", "1", age=1))  # its VWAP is only 100.3 so far
    index = compute_index("BTC", {**honest, "OKX": liar}, NOW)

    okx = next(r for r in index.sources if r.source == "OKX")
    assert okx.price == px("100.3")
    assert okx.excluded == Exclusion.DEVIATION
    assert okx.deviation_bps == 300
    assert index.price == px("100")
