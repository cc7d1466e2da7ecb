"""The indexed sweep finds exactly the positions the margin tests find."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from engine.perps.margin import is_in_warning_zone, is_liquidatable
from engine.perps.monitor import LiquidationMonitor, MarketPositionIndex
from engine.perps.position import Position, Side, add_margin
from tests.unit.perps.helpers import BTC, position, px, usdt
from tests.unit.perps.strategies import positions, prices


def accounts(found: tuple[Position, ...]) -> list[str]:
    return sorted(p.account for p in found)


def book() -> list[Position]:
    return [
        # Liquidatable below 9,743.59, warned below 9,870.13.
        position(Side.LONG, "1", "10000", "500", leverage=20, account="long20x"),
        # Liquidatable above 10,243.90, warned above 10,120.48 (10,500 / 1.0375).
        position(Side.SHORT, "1", "10000", "500", leverage=20, account="short20x"),
        # Fully collateralised: never liquidated.
        position(Side.LONG, "1", "10000", "10000", leverage=1, account="long1x"),
    ]


def test_a_sweep_returns_the_crossed_positions() -> None:
    index = MarketPositionIndex(BTC)
    index.rebuild(book())
    at_9800 = index.sweep(px("9800"))
    assert accounts(at_9800.liquidatable) == []
    assert accounts(at_9800.warnings) == ["long20x"]
    at_9700 = index.sweep(px("9700"))
    assert accounts(at_9700.liquidatable) == ["long20x"]
    assert accounts(at_9700.warnings) == []
    at_10300 = index.sweep(px("10300"))
    assert accounts(at_10300.liquidatable) == ["short20x"]
    assert accounts(index.sweep(px("10200")).warnings) == ["short20x"]
    assert accounts(index.sweep(px("10000")).liquidatable) == []
    assert accounts(index.sweep(1).liquidatable) == ["long20x"]


def test_upsert_and_remove_move_a_position_in_the_index() -> None:
    monitor = LiquidationMonitor()
    for held in book():
        monitor.upsert(held)
    assert len(monitor) == 3
    assert accounts(monitor.sweep({BTC: px("9700")}).liquidatable) == ["long20x"]
    rescued = add_margin(book()[0], usdt("1000"))
    monitor.upsert(rescued)
    assert monitor.market(BTC).get("long20x") == rescued
    assert accounts(monitor.sweep({BTC: px("9700")}).liquidatable) == []
    monitor.remove(BTC, "short20x")
    assert accounts(monitor.sweep({BTC: px("11000")}).liquidatable) == []
    assert monitor.sweep({"ETH-USDT-PERP": px("1")}).liquidatable == ()


@given(st.lists(positions(), max_size=25), st.lists(prices, min_size=1, max_size=5))
def test_the_sweep_agrees_with_the_tests_for_every_position(
    drawn: list[Position], marks: list[int]
) -> None:
    book = [replace(p, account=f"acct{n}") for n, p in enumerate(drawn)]  # one each
    index = MarketPositionIndex(BTC)
    index.rebuild(book[: len(book) // 2])
    for held in book[len(book) // 2 :]:
        index.upsert(held)
    for mark in marks:
        result = index.sweep(mark)
        expected_liquidatable = [p.account for p in book if is_liquidatable(p, mark)]
        expected_warnings = [
            p.account for p in book if is_in_warning_zone(p, mark) and not is_liquidatable(p, mark)
        ]
        assert accounts(result.liquidatable) == sorted(expected_liquidatable)
        assert accounts(result.warnings) == sorted(expected_warnings)
