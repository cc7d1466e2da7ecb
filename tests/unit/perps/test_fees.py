"""Taker fee and maker rebate: amounts, rounding, and the venue never losing on a trade."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from engine.perps.fees import trade_fees
from engine.perps.units import BPS, NOTIONAL_DIVISOR
from tests.unit.perps.helpers import btc_market, px, qty, usdt
from tests.unit.perps.strategies import prices, sizes


def test_fees_on_a_6000_usdt_trade() -> None:
    fees = trade_fees(btc_market(), px("60000"), qty("0.1"))
    assert fees.taker_fee == usdt("3")  # 0.05 %
    assert fees.maker_fee == usdt("-1.2")  # -0.02 %: a rebate
    assert fees.venue_revenue == usdt("1.8")


def test_charges_round_up_and_rebates_round_down() -> None:
    # 1 BTC at 1.999999 USDT: the taker owes 999.9995 micro-USDT, the maker earns 399.9998.
    fees = trade_fees(btc_market(), px("1.999999"), qty("1"))
    assert fees.taker_fee == 1000
    assert fees.maker_fee == -399


def test_a_positive_maker_fee_is_a_charge() -> None:
    fees = trade_fees(btc_market(maker_fee_bps=1), px("1.999999"), qty("1"))
    assert fees.maker_fee == 200  # 199.9999 rounded up


@given(
    prices,
    sizes,
    st.integers(min_value=0, max_value=100).flatmap(
        lambda taker: st.tuples(st.just(taker), st.integers(min_value=-taker, max_value=100))
    ),
)
def test_the_venue_never_loses_and_rounding_never_favours_the_trader(
    price: int, size: int, rates: tuple[int, int]
) -> None:
    taker_bps, maker_bps = rates
    market = btc_market(taker_fee_bps=taker_bps, maker_fee_bps=maker_bps)
    fees = trade_fees(market, price, size)
    assert fees.venue_revenue >= 0  # a rebate never exceeds the same trade's taker fee
    exact_scale = NOTIONAL_DIVISOR * BPS
    # Every amount, compared exactly in 1e-18 x 1e-4 USDT: charges >= exact, rebates <= exact.
    assert fees.taker_fee * exact_scale >= price * size * taker_bps
    assert fees.maker_fee * exact_scale >= price * size * maker_bps
