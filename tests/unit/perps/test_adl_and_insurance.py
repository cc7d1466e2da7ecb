"""Auto-deleveraging rank and plan; bad-debt coverage; insurance-fund health."""

from __future__ import annotations

from fractions import Fraction

from engine.perps.adl import auto_deleverage_rank, plan_auto_deleverage
from engine.perps.insurance import cover_bad_debt, insurance_fund_health, open_interest
from engine.perps.position import Position, Side
from tests.unit.perps.helpers import position, px, qty, usdt

MARK = px("9400")


def shorts() -> dict[str, Position]:
    return {
        # upnl 1,600 on 1,000 collateral; equity 2,600; notional 9,400.
        "x": position(Side.SHORT, "1", "11000", "1000", account="x"),
        # upnl 1,200 on 100 collateral; equity 1,300; notional 18,800.
        "y": position(Side.SHORT, "2", "10000", "100", account="y"),
        # a loss of 400: no profit, rank 0.
        "z": position(Side.SHORT, "1", "9000", "500", account="z"),
    }


def test_rank_is_profit_ratio_times_effective_leverage() -> None:
    ranks = {name: auto_deleverage_rank(p, MARK) for name, p in shorts().items()}
    assert ranks["x"] == Fraction(1600, 1000) * Fraction(9400, 2600) == Fraction(376, 65)
    assert ranks["y"] == Fraction(1200, 100) * Fraction(18800, 1300) == Fraction(2256, 13)
    assert ranks["z"] == 0


def test_adl_closes_the_bankrupt_at_its_bankruptcy_price_against_the_top_ranks() -> None:
    bankrupt = position(Side.LONG, "3", "10000", "1500", account="loser")  # bankrupt at 9,500
    others = list(shorts().values())
    ignored = [
        position(Side.LONG, "5", "9000", "500", account="same-side"),
    ]
    plan = plan_auto_deleverage(bankrupt, [*others, *ignored], MARK)
    assert plan.bankruptcy_price == px("9500")
    assert [(f.account, f.size, f.price) for f in plan.fills] == [
        ("y", qty("2"), px("9500")),
        ("x", qty("1"), px("9500")),
    ]
    assert plan.unfilled_size == 0
    assert plan.forfeited_collateral == 0  # exactly bankrupt: nothing left, nothing owed


def test_adl_reports_what_the_opposite_side_could_not_take() -> None:
    bankrupt = position(Side.LONG, "5", "10000", "2500", account="loser")
    plan = plan_auto_deleverage(bankrupt, list(shorts().values()), MARK)
    assert [f.account for f in plan.fills] == ["y", "x", "z"]
    assert plan.unfilled_size == qty("1")


def test_ties_go_to_the_larger_position_then_the_account() -> None:
    same = [
        position(Side.SHORT, "1", "10000", "0", account="b"),
        position(Side.SHORT, "1", "10000", "0", account="a"),
        position(Side.SHORT, "2", "9000", "0", account="c"),
    ]
    bankrupt = position(Side.LONG, "4", "10000", "2000", account="loser")
    plan = plan_auto_deleverage(bankrupt, same, px("10500"))  # all losing: rank 0
    assert [f.account for f in plan.fills] == ["c", "a", "b"]


def test_the_fund_covers_what_it_can_afford_or_adl_takes_over() -> None:
    covered = cover_bad_debt(usdt("1000"), usdt("100"))
    assert (covered.from_fund, covered.shortfall, covered.needs_auto_deleverage) == (
        usdt("100"),
        0,
        False,
    )
    short = cover_bad_debt(usdt("50"), usdt("100"))
    assert (short.from_fund, short.shortfall, short.needs_auto_deleverage) == (
        0,
        usdt("50"),
        True,
    )


def test_insurance_fund_health() -> None:
    # Open interest 1,000,000 USDT: target 1 % = 10,000.
    healthy = insurance_fund_health(usdt("12000"), usdt("1000000"), usdt("20000"), usdt("5000"))
    assert healthy.target_balance == usdt("10000")
    assert healthy.coverage_bps == 120
    assert healthy.utilisation_bps == 2500
    assert healthy.is_healthy and not healthy.needs_replenishment
    low = insurance_fund_health(usdt("4999.999999"), usdt("1000000"), usdt("20000"), 0)
    assert not low.is_healthy and low.needs_replenishment
    half = insurance_fund_health(usdt("5000"), usdt("1000000"), 0, 0)
    assert not half.is_healthy and not half.needs_replenishment
    empty = insurance_fund_health(0, 0, 0, 0)
    assert empty.coverage_bps is None and empty.is_healthy and empty.utilisation_bps == 0


def test_open_interest_is_one_sides_notional() -> None:
    book = [
        position(Side.LONG, "1", "100", "10", account="a"),
        position(Side.LONG, "2", "100", "10", account="b"),
        position(Side.SHORT, "3", "100", "10", account="c"),
    ]
    assert open_interest(book, px("100")) == usdt("300")
