"""Margin tests and the exact prices where they trigger: the issue's worked example and
the boundary property for every position."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given

from engine.perps.margin import (
    bankruptcy_price,
    is_in_warning_zone,
    is_liquidatable,
    liquidation_price,
    maintenance_margin,
    margin_ratio,
    warning_price,
)
from engine.perps.position import Position, Side, scaled_equity
from tests.unit.perps.helpers import position, px, usdt
from tests.unit.perps.strategies import positions, prices, ticks

CENT = px("0.01")


def issue_long() -> Position:
    """Long 0.1 BTC at 60,000 with 10x (600 USDT) and MMR 0.4 %."""
    return position(Side.LONG, "0.1", "60000", "600", maintenance_margin_bps=40)


def issue_short() -> Position:
    return position(Side.SHORT, "0.1", "60000", "600", maintenance_margin_bps=40)


def test_the_issue_long_liquidates_below_60000_x_0_9_over_0_996() -> None:
    # 600 + 0.1 (m - 60,000) < 0.004 x 0.1 x m  <=>  m < 5,400 / 0.0996 = 54,216.867469879...
    assert liquidation_price(issue_long()) == px("54216.8674698795")
    assert liquidation_price(issue_long(), CENT) == px("54216.86")
    assert is_liquidatable(issue_long(), px("54216.86"))
    assert not is_liquidatable(issue_long(), px("54216.87"))  # the exact 54,216.8675 rounded


def test_the_seed_approximation_54240_is_not_where_the_test_triggers() -> None:
    # Seed 004: entry (1 - 1/L + MMR) = 54,240. There equity is 24 USDT and maintenance
    # 21.696 USDT: the position is healthy, 23 USDT above its real liquidation price.
    assert not is_liquidatable(issue_long(), px("54240"))
    assert maintenance_margin(issue_long(), px("54240")) == usdt("21.696")


def test_the_issue_short_liquidates_above_60000_x_1_1_over_1_004() -> None:
    # 600 + 0.1 (60,000 - m) < 0.0004 m  <=>  m > 6,600 / 0.1004 = 65,737.0517928...
    assert liquidation_price(issue_short()) == px("65737.0517928287")
    assert liquidation_price(issue_short(), CENT) == px("65737.06")
    assert is_liquidatable(issue_short(), px("65737.06"))
    assert not is_liquidatable(issue_short(), px("65737.05"))
    # The seed's 60,000 (1 + 1/L - MMR) = 65,760 is 23 USDT past the real one: at 65,750
    # the seed would call the position safe, the engine's own test liquidates it.
    assert is_liquidatable(issue_short(), px("65750"))


def test_warning_price_is_at_150_percent_of_maintenance() -> None:
    # 600 + 0.1 (m - 60,000) < 1.5 x 0.0004 m  <=>  m < 5,400 / 0.0994 = 54,325.9557...
    assert warning_price(issue_long(), CENT) == px("54325.95")
    assert is_in_warning_zone(issue_long(), px("54325.95"))
    assert not is_in_warning_zone(issue_long(), px("54325.96"))


def test_margin_ratio_is_exact_equity_over_notional() -> None:
    # At 55,000: equity 600 - 500 = 100, notional 5,500.
    assert margin_ratio(issue_long(), px("55000")) == Fraction(100, 5500)
    assert maintenance_margin(issue_long(), px("55000")) == usdt("22")


def test_maintenance_margin_rounds_up() -> None:
    tiny = position(Side.LONG, "0.00000001", "1", "1", maintenance_margin_bps=40)
    # 1e-8 BTC at 1 USDT = 1e-8 USDT notional; 0.4 % of it is far below a micro-USDT.
    assert maintenance_margin(tiny, px("1")) == 1


def test_an_unlevered_long_has_no_liquidation_price() -> None:
    full = position(Side.LONG, "1", "100", "100", maintenance_margin_bps=250)
    assert liquidation_price(full) is None
    assert not is_liquidatable(full, 1)


def test_bankruptcy_prices() -> None:
    assert bankruptcy_price(issue_long()) == px("54000")
    assert bankruptcy_price(issue_short()) == px("66000")
    uneven = position(Side.LONG, "0.3", "10000", "100.000001")
    price = bankruptcy_price(uneven)
    assert price is not None
    assert scaled_equity(uneven, price) >= 0 > scaled_equity(uneven, price - 1)


@given(positions(), ticks)
def test_liquidation_price_is_the_last_triggering_tick(pos: Position, tick: int) -> None:
    price = liquidation_price(pos, tick)
    if price is None:
        assert pos.side is Side.LONG
        assert not is_liquidatable(pos, tick)
        return
    assert price > 0 and price % tick == 0
    assert is_liquidatable(pos, price)
    safe = price + tick if pos.side is Side.LONG else price - tick
    if safe > 0:
        assert not is_liquidatable(pos, safe)


@given(positions(), ticks)
def test_warning_price_is_the_last_warning_tick(pos: Position, tick: int) -> None:
    price = warning_price(pos, tick)
    if price is None:
        assert not is_in_warning_zone(pos, tick)
        return
    assert is_in_warning_zone(pos, price)
    safe = price + tick if pos.side is Side.LONG else price - tick
    if safe > 0:
        assert not is_in_warning_zone(pos, safe)


@given(positions(), prices)
def test_the_liquidating_marks_are_exactly_a_half_line(pos: Position, mark: int) -> None:
    boundary = liquidation_price(pos)
    if pos.side is Side.LONG:
        expected = boundary is not None and mark <= boundary
    else:
        assert boundary is not None
        expected = mark >= boundary
    assert is_liquidatable(pos, mark) == expected


@given(positions(), prices)
def test_liquidatable_implies_warning(pos: Position, mark: int) -> None:
    if is_liquidatable(pos, mark):
        assert is_in_warning_zone(pos, mark)


@given(positions())
def test_bankruptcy_price_is_where_equity_turns_negative(pos: Position) -> None:
    price = bankruptcy_price(pos)
    if price is None:
        return
    assert scaled_equity(pos, price) >= 0
    beyond = price - 1 if pos.side is Side.LONG else price + 1
    if beyond > 0:
        assert scaled_equity(pos, beyond) < 0
