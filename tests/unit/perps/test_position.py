"""Fills on isolated positions: open, average, reduce, close, flip; PnL; margin transfers."""

from __future__ import annotations

import pytest

from engine.perps.errors import InsufficientMargin, InvalidMarginAmount, LeverageNotAllowed
from engine.perps.margin import liquidation_price
from engine.perps.position import (
    Fill,
    FillOutcome,
    OrderSide,
    Position,
    Side,
    add_margin,
    apply_fill,
    max_removable_margin,
    remove_margin,
    unrealised_pnl,
)
from tests.unit.perps.helpers import BTC, position, px, qty, usdt


def fill(side: OrderSide, size: str, price: str, leverage: int = 10) -> Fill:
    return Fill("alice", BTC, side, qty(size), px(price), leverage)


def opened(side: OrderSide, size: str, price: str, leverage: int = 10) -> Position:
    result = apply_fill(None, fill(side, size, price, leverage)).position
    assert result is not None
    return result


def assert_conserved(before: Position | None, outcome: FillOutcome) -> None:
    collateral_before = 0 if before is None else before.collateral
    collateral_after = 0 if outcome.position is None else outcome.position.collateral
    assert (
        collateral_before + outcome.margin_posted + outcome.realised_pnl + outcome.bad_debt
        == collateral_after + outcome.returned_to_available
    )


def test_opening_at_10x_posts_a_tenth_of_the_notional() -> None:
    outcome = apply_fill(None, fill(OrderSide.BUY, "0.1", "60000"))
    assert outcome.margin_posted == usdt("600")
    assert outcome.position == Position(
        account="alice",
        symbol=BTC,
        side=Side.LONG,
        size=qty("0.1"),
        entry_price=px("60000"),
        collateral=usdt("600"),
        leverage=10,
        initial_margin_bps=500,
        maintenance_margin_bps=250,
    )


@pytest.mark.parametrize(
    ("leverage", "margin"),
    [
        (20, "250"),  # 1/20 = 5 % = the tier's IM
        (50, "100"),  # 1/50 = 2 %
        (100, "50"),  # 1/100 = 1 %
        (200, "25"),  # 1/200 = 0.5 % = the tier's IM
        (500, "25"),  # 1/500 = 0.2 % < IM 0.5 %: the table wins
        (1000, "10"),  # 1/1000 = 0.1 % < IM 0.2 %
    ],
)
def test_initial_margin_is_the_larger_of_one_over_leverage_and_the_tier_ratio(
    leverage: int, margin: str
) -> None:
    # 0.1 BTC at 50,000 = 5,000 USDT notional.
    outcome = apply_fill(None, fill(OrderSide.SELL, "0.1", "50000", leverage))
    assert outcome.margin_posted == usdt(margin)


def test_increasing_averages_the_entry_and_adds_margin() -> None:
    first = opened(OrderSide.BUY, "0.1", "60000")
    outcome = apply_fill(first, fill(OrderSide.BUY, "0.3", "61000"))
    assert outcome.position is not None
    # (0.1 x 60,000 + 0.3 x 61,000) / 0.4 = 60,750
    assert outcome.position.entry_price == px("60750")
    assert outcome.position.size == qty("0.4")
    assert outcome.margin_posted == usdt("1830")
    assert outcome.position.collateral == usdt("2430")
    assert_conserved(first, outcome)


def test_an_uneven_average_rounds_against_the_holder() -> None:
    # 1 unit at 10 and 2 units at 11 price units: 32 / 3 = 10.67.
    long = Position("a", BTC, Side.LONG, 1, 10, 10**6, 10, 500, 250)
    short = Position("a", BTC, Side.SHORT, 1, 10, 10**6, 10, 500, 250)
    long_after = apply_fill(long, Fill("a", BTC, OrderSide.BUY, 2, 11, 10)).position
    short_after = apply_fill(short, Fill("a", BTC, OrderSide.SELL, 2, 11, 10)).position
    assert long_after is not None and long_after.entry_price == 11  # up for a long
    assert short_after is not None and short_after.entry_price == 10  # down for a short


def test_increasing_at_another_leverage_is_refused() -> None:
    first = opened(OrderSide.BUY, "0.1", "60000", leverage=10)
    with pytest.raises(LeverageNotAllowed) as refused:
        apply_fill(first, fill(OrderSide.BUY, "0.1", "60000", leverage=20))
    assert refused.value.code == "LEVERAGE_NOT_ALLOWED"


def test_reducing_keeps_the_entry_and_returns_the_share_of_collateral_plus_pnl() -> None:
    held = position(Side.LONG, "0.4", "60750", "2430")
    outcome = apply_fill(held, fill(OrderSide.SELL, "0.1", "62000"))
    assert outcome.position is not None
    assert outcome.position.entry_price == px("60750")
    assert outcome.position.size == qty("0.3")
    assert outcome.realised_pnl == usdt("125")  # 0.1 x (62,000 - 60,750)
    assert outcome.returned_to_available == usdt("732.5")  # 2,430 / 4 + 125
    assert outcome.position.collateral == usdt("1822.5")
    assert outcome.position.realised_pnl == usdt("125")
    # The rest keeps its liquidation price: same entry, same collateral per unit.
    assert liquidation_price(outcome.position) == liquidation_price(held)
    assert_conserved(held, outcome)


def test_closing_returns_collateral_plus_pnl() -> None:
    held = position(Side.LONG, "0.1", "60000", "600")
    outcome = apply_fill(held, fill(OrderSide.SELL, "0.1", "59000"))
    assert outcome.position is None
    assert outcome.realised_pnl == usdt("-100")
    assert outcome.returned_to_available == usdt("500")
    assert outcome.bad_debt == 0
    assert_conserved(held, outcome)


def test_closing_past_bankruptcy_is_bad_debt_not_the_accounts_debt() -> None:
    held = position(Side.LONG, "0.1", "60000", "600")
    outcome = apply_fill(held, fill(OrderSide.SELL, "0.1", "53000"))
    assert outcome.realised_pnl == usdt("-700")
    assert outcome.returned_to_available == 0
    assert outcome.bad_debt == usdt("100")
    assert_conserved(held, outcome)


def test_a_reduction_past_bankruptcy_is_paid_by_the_rest_of_the_position() -> None:
    held = position(Side.LONG, "0.2", "60000", "1200")
    outcome = apply_fill(held, fill(OrderSide.SELL, "0.1", "53000"))
    assert outcome.returned_to_available == 0
    assert outcome.position is not None
    assert outcome.position.collateral == usdt("500")  # 1,200 - 600 share - 100 deficit
    assert_conserved(held, outcome)


def test_a_flip_closes_and_opens_the_remainder_with_its_own_margin() -> None:
    held = position(Side.LONG, "0.1", "60000", "600")
    outcome = apply_fill(held, fill(OrderSide.SELL, "0.3", "61000", leverage=20))
    assert outcome.realised_pnl == usdt("100")
    assert outcome.returned_to_available == usdt("700")
    assert outcome.position is not None
    assert outcome.position.side is Side.SHORT
    assert outcome.position.size == qty("0.2")
    assert outcome.position.entry_price == px("61000")
    assert outcome.position.leverage == 20
    assert outcome.margin_posted == usdt("610")  # 12,200 / 20
    assert outcome.position.collateral == usdt("610")
    assert_conserved(held, outcome)


def test_unrealised_pnl_long_and_short() -> None:
    long = position(Side.LONG, "0.5", "60000", "3000")
    short = position(Side.SHORT, "0.5", "60000", "3000")
    assert unrealised_pnl(long, px("61000")) == usdt("500")
    assert unrealised_pnl(short, px("61000")) == usdt("-500")


def test_unrealised_pnl_rounds_down_for_gains_and_losses() -> None:
    one_unit = Position("a", BTC, Side.LONG, 1, px("100"), 1, 10, 500, 250)
    # 1e-8 BTC moving 1 USDT is 1e-8 USDT: a gain shows 0, a loss a whole micro-USDT.
    assert unrealised_pnl(one_unit, px("101")) == 0
    assert unrealised_pnl(one_unit, px("99")) == -1


def test_add_margin_and_its_limits() -> None:
    held = position(Side.LONG, "0.1", "60000", "600", partially_liquidated=True)
    added = add_margin(held, usdt("100"))
    assert added.collateral == usdt("700")
    assert not added.partially_liquidated
    with pytest.raises(InvalidMarginAmount):
        add_margin(held, 0)


def test_remove_margin_only_down_to_the_initial_margin() -> None:
    held = position(Side.LONG, "0.1", "60000", "1000")
    # At 60,000 the initial margin at 10x is 600.
    assert max_removable_margin(held, px("60000")) == usdt("400")
    assert remove_margin(held, usdt("400"), px("60000")).collateral == usdt("600")
    with pytest.raises(InsufficientMargin) as refused:
        remove_margin(held, usdt("400.000001"), px("60000"))
    assert refused.value.code == "INSUFFICIENT_MARGIN"


def test_unrealised_profit_cannot_be_removed_but_losses_count() -> None:
    held = position(Side.LONG, "0.1", "60000", "1000")
    assert max_removable_margin(held, px("62000")) == usdt("380")  # 1,000 - 620
    assert max_removable_margin(held, px("58000")) == usdt("220")  # 1,000 - 200 - 580
    assert max_removable_margin(held, px("50000")) == 0
    with pytest.raises(InvalidMarginAmount):
        remove_margin(held, -1, px("60000"))
