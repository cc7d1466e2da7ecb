"""No rounding ever creates money: trading between accounts is zero-sum up to rounding that
always favours the venue's settlement pool, and each fill conserves value."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.perps.position import (
    Fill,
    FillOutcome,
    OrderSide,
    Position,
    Side,
    apply_fill,
    close_at,
)
from tests.unit.perps.helpers import BTC

ACCOUNTS = ("a", "b", "c")
# Per account a fixed leverage: an increase never changes it.
LEVERAGE = {"a": 10, "b": 100, "c": 1000}

trades = st.lists(
    st.tuples(
        st.sampled_from(ACCOUNTS),  # buyer
        st.sampled_from(ACCOUNTS),  # seller
        st.integers(min_value=1, max_value=10**10),  # size, base units
        st.integers(min_value=10**9, max_value=10**16),  # price units: 0.1 .. 1e6 USDT
    ).filter(lambda t: t[0] != t[1]),
    min_size=1,
    max_size=30,
)


def conserved(before: Position | None, outcome: FillOutcome) -> bool:
    collateral_before = 0 if before is None else before.collateral
    collateral_after = 0 if outcome.position is None else outcome.position.collateral
    return (
        collateral_before + outcome.margin_posted + outcome.realised_pnl + outcome.bad_debt
        == collateral_after + outcome.returned_to_available
    )


@settings(max_examples=300)
@given(trades, st.integers(min_value=10**9, max_value=10**16))
def test_trading_is_zero_sum_up_to_rounding_in_the_pools_favour(
    trade_list: list[tuple[str, str, int, int]], final_price: int
) -> None:
    book: dict[str, Position | None] = dict.fromkeys(ACCOUNTS)
    realised = 0
    fills = 0
    for buyer, seller, size, price in trade_list:
        for account, side in ((buyer, OrderSide.BUY), (seller, OrderSide.SELL)):
            before = book[account]
            fill = Fill(account, BTC, side, size, price, LEVERAGE[account])
            outcome = apply_fill(before, fill)
            assert conserved(before, outcome)
            book[account] = outcome.position
            realised += outcome.realised_pnl
            fills += 1
    # Every trade had a buyer and a seller, so the open positions net to zero: close all.
    net = sum((p.size if p.side is Side.LONG else -p.size) for p in book.values() if p)
    assert net == 0
    for held in book.values():
        if held is not None:
            outcome = close_at(held, final_price)
            assert conserved(held, outcome)
            realised += outcome.realised_pnl
            fills += 1
    # Exactly zero without rounding. Each realisation rounds down (< 1 micro-USDT) and each
    # averaged entry rounds against its holder (far below 1 micro-USDT here).
    assert -2 * fills <= realised <= 0
