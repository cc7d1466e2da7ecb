"""Assessment, liquidation plans with exact amounts, and their conservation of value.

The running example: long 1 BTC at 10,000 with 500 USDT (20x), maintenance 2.5 %.
Liquidatable below 9,500 / 0.975 = 9,743.59; warned below 9,500 / 0.9625 = 9,870.13.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given

from engine.perps.liquidation import (
    Healthy,
    Liquidate,
    LiquidationPlan,
    MarginWarning,
    PositionNotLiquidatable,
    assess,
    partial_liquidation_size,
    plan_liquidation,
    split_liquidation_fee,
)
from engine.perps.margin import is_liquidatable, liquidation_price, warning_price
from engine.perps.position import Position, Side
from engine.perps.units import NOTIONAL_DIVISOR
from tests.unit.perps.helpers import position, px, qty, usdt
from tests.unit.perps.strategies import positions, prices

CENT = px("0.01")


def example(partially_liquidated: bool = False) -> Position:
    return position(
        Side.LONG, "1", "10000", "500", leverage=20, partially_liquidated=partially_liquidated
    )


def test_the_example_prices() -> None:
    assert liquidation_price(example(), CENT) == px("9743.58")
    assert warning_price(example(), CENT) == px("9870.12")


def test_healthy_above_150_percent_of_maintenance() -> None:
    assert assess(example(), px("9900")) == Healthy()
    assert assess(example(), px("9870.13")) == Healthy()


def test_warning_below_150_percent_of_maintenance() -> None:
    # At 9,800: equity 300, maintenance 245, warning line 367.5.
    assert assess(example(), px("9800")) == MarginWarning(Fraction(300, 9800))
    assert isinstance(assess(example(), px("9870.12")), MarginWarning)
    assert isinstance(assess(example(), px("9743.59")), MarginWarning)


def test_half_first_when_half_restores_the_rest() -> None:
    mark = px("9740")  # equity 240 < maintenance 243.5
    assert assess(example(), mark) == Liquidate(Fraction(1, 2), qty("0.5"), Fraction(240, 9740))
    plan = plan_liquidation(example(), mark)
    assert not plan.is_full
    assert plan.closed_size == qty("0.5")
    assert plan.realised_pnl == usdt("-130")  # 0.5 x (9,740 - 10,000)
    assert plan.fee == usdt("24.35")  # 0.5 % of 4,870
    assert (plan.insurance_fee, plan.liquidator_fee) == (usdt("12.175"), usdt("12.175"))
    assert plan.remaining_collateral == usdt("345.65")  # 500 - 130 - 24.35
    assert (plan.forfeited_collateral, plan.bad_debt) == (0, 0)
    rest = plan.position_after
    assert rest is not None
    assert (rest.size, rest.entry_price, rest.partially_liquidated) == (
        qty("0.5"),
        px("10000"),
        True,
    )
    assert not is_liquidatable(rest, mark)  # equity 215.65 >= maintenance 121.75
    assert_conserved(example(), plan)


def test_then_the_rest_if_it_falls_below_again() -> None:
    rest = plan_liquidation(example(), px("9740")).position_after
    assert rest is not None
    # 345.65 + 0.5 (m - 10,000) < 0.0125 m  <=>  m < 9,547.38
    assert liquidation_price(rest, CENT) == px("9547.38")
    plan = plan_liquidation(rest, px("9500"))
    assert plan.is_full and plan.closed_size == qty("0.5")
    assert plan.realised_pnl == usdt("-250")
    assert plan.fee == usdt("23.75")  # 0.5 % of 4,750
    assert plan.forfeited_collateral == usdt("71.9")  # 345.65 - 250 - 23.75
    assert plan.position_after is None
    assert_conserved(rest, plan)


def test_all_at_once_when_half_would_not_be_enough() -> None:
    # At 9,600 equity is 100; after half the rest would have 76 against 120 maintenance.
    mark = px("9600")
    assert assess(example(), mark) == Liquidate(Fraction(1), qty("1"), Fraction(100, 9600))
    plan = plan_liquidation(example(), mark)
    assert plan.is_full
    assert plan.realised_pnl == usdt("-400")
    assert plan.fee == usdt("48")
    assert (plan.insurance_fee, plan.liquidator_fee) == (usdt("24"), usdt("24"))
    assert plan.forfeited_collateral == usdt("52")
    assert plan.bad_debt == 0
    assert plan.insurance_fund_delta == usdt("76")
    assert_conserved(example(), plan)


def test_bad_debt_beyond_the_collateral_and_no_fee() -> None:
    plan = plan_liquidation(example(), px("9400"))
    assert plan.realised_pnl == usdt("-600")
    assert (plan.fee, plan.forfeited_collateral, plan.bad_debt) == (0, 0, usdt("100"))
    assert plan.insurance_fund_delta == usdt("-100")
    assert_conserved(example(), plan)


def test_the_fee_is_capped_at_equity_and_the_fund_gets_the_odd_micro() -> None:
    plan = plan_liquidation(example(), px("9510.000001"))  # equity 10.000001 USDT
    assert plan.fee == usdt("10.000001")  # not 47.55: a fee never creates bad debt
    assert (plan.insurance_fee, plan.liquidator_fee) == (usdt("5.000001"), usdt("5"))
    assert (plan.forfeited_collateral, plan.bad_debt) == (0, 0)


def test_fee_split_is_exact() -> None:
    assert split_liquidation_fee(usdt("48")) == (usdt("24"), usdt("24"))
    assert split_liquidation_fee(7) == (4, 3)
    assert split_liquidation_fee(0) == (0, 0)


def test_a_short_half_liquidation() -> None:
    short = position(Side.SHORT, "1", "10000", "500", leverage=20)
    # 500 + (10,000 - m) < 0.025 m  <=>  m > 10,243.90
    assert liquidation_price(short, CENT) == px("10243.91")
    plan = plan_liquidation(short, px("10250"))
    assert not plan.is_full
    assert plan.realised_pnl == usdt("-125")
    assert plan.fee == usdt("25.625")
    assert (plan.insurance_fee, plan.liquidator_fee) == (usdt("12.8125"), usdt("12.8125"))
    assert plan.remaining_collateral == usdt("349.375")
    assert_conserved(short, plan)


def test_the_half_is_rounded_up_to_a_step_and_one_step_is_all() -> None:
    assert partial_liquidation_size(position(Side.LONG, "0.003", "10000", "1"), qty("0.001")) == (
        qty("0.002")
    )
    single = position(Side.LONG, "0.001", "10000", "0.5", leverage=20)
    decision = assess(single, px("9600"), step_size=qty("0.001"))
    assert isinstance(decision, Liquidate) and decision.fraction == 1


def test_a_partially_liquidated_position_goes_whole_next_time() -> None:
    again = example(partially_liquidated=True)
    decision = assess(again, px("9740"))
    assert isinstance(decision, Liquidate) and decision.fraction == 1


def test_planning_a_healthy_position_is_a_bug() -> None:
    with pytest.raises(PositionNotLiquidatable):
        plan_liquidation(example(), px("9800"))


def assert_conserved(before: Position, plan: LiquidationPlan) -> None:
    assert (
        before.collateral + plan.realised_pnl + plan.bad_debt
        == plan.fee + plan.forfeited_collateral + plan.remaining_collateral
    )
    assert plan.fee == plan.insurance_fee + plan.liquidator_fee
    assert min(plan.fee, plan.forfeited_collateral, plan.bad_debt) >= 0
    assert plan.forfeited_collateral == 0 or plan.bad_debt == 0


@given(positions(), prices)
def test_every_plan_conserves_value_and_leaves_no_debt_behind(pos: Position, mark: int) -> None:
    decision = assess(pos, mark)
    if not isinstance(decision, Liquidate):
        return
    plan = plan_liquidation(pos, mark)
    assert plan.closed_size == decision.size
    assert_conserved(pos, plan)
    # The PnL paid is the exact one rounded down: rounding creates no money for the holder.
    move = mark - pos.entry_price if pos.side is Side.LONG else pos.entry_price - mark
    exact = plan.closed_size * move
    assert (
        plan.realised_pnl * NOTIONAL_DIVISOR <= exact < (plan.realised_pnl + 1) * NOTIONAL_DIVISOR
    )
    if plan.position_after is not None:
        assert not is_liquidatable(plan.position_after, mark)
        assert plan.bad_debt == 0
