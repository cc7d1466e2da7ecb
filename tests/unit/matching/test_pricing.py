"""Reference prices, peg levels and the execution-price rules as pure functions, by hand."""

from __future__ import annotations

import pytest

from engine.matching import OrderType, ReferencePrices, Side
from engine.matching.pricing import execution_price, floating_price
from tests.unit.matching.helpers import BUY, SELL


@pytest.mark.parametrize(
    ("bid", "ask", "tradable", "mid"),
    [
        (100, 110, True, 105),
        (100, 111, True, 105),  # 105.5 rounds down, like the oracle's quote mid
        (100, 101, True, 100),  # 100.5 rounds down
        (105, 105, False, 105),  # locked
        (106, 104, False, 105),  # crossed
        (None, 110, False, None),
        (100, None, False, None),
        (None, None, False, None),
    ],
)
def test_reference_tradable_and_mid(
    bid: int | None, ask: int | None, tradable: bool, mid: int | None
) -> None:
    reference = ReferencePrices(bid, ask)
    assert reference.tradable is tradable
    assert reference.mid == mid


def test_reference_contains_is_inclusive() -> None:
    reference = ReferencePrices(100, 110)
    assert [reference.contains(price) for price in (99, 100, 105, 110, 111)] == [
        False,
        True,
        True,
        True,
        False,
    ]
    assert not ReferencePrices(None, 110).contains(105)


@pytest.mark.parametrize(
    ("order_type", "side", "offset", "cap", "level"),
    [
        (OrderType.PEG_MID, BUY, 0, None, 105),
        (OrderType.PEG_MID, SELL, 0, None, 105),
        (OrderType.PEG_BID, BUY, 0, None, 100),
        (OrderType.PEG_ASK, SELL, 0, None, 110),
        (OrderType.PEG_MID, BUY, -2, None, 103),  # offset is added as is: -2 is passive
        (OrderType.PEG_BID, BUY, 3, 102, 102),  # 103 capped: a buy never above its cap
        (OrderType.PEG_BID, BUY, 3, 104, 103),  # under the cap: the cap does nothing
        (OrderType.PEG_ASK, SELL, -4, 108, 108),  # 106 floored: a sell never below its cap
        (OrderType.MARKET, BUY, 0, None, 105),  # a resting MARKET waits at the mid
        (OrderType.PEG_BID, BUY, -500, None, 1),  # never below one tick
    ],
)
def test_floating_levels_against_100_x_110(
    order_type: OrderType, side: Side, offset: int, cap: int | None, level: int
) -> None:
    assert floating_price(order_type, side, offset, cap, 100, 110) == level


@pytest.mark.parametrize(
    ("resting", "incoming", "price"),
    [
        (104, 108, 106),  # exact midpoint
        (104, 107, 105),  # 105.5: toward the resting sell's 104
        (107, 104, 106),  # 105.5: toward the resting buy's 107
        (104, 104, 104),
        (104, 105, 104),  # 104.5 -> 104
        (105, 104, 105),  # 104.5 -> 105
    ],
)
def test_midpoint_half_tick_goes_toward_the_resting_limit(
    resting: int, incoming: int, price: int
) -> None:
    assert execution_price(incoming, resting, maker_floating=False) == price


def test_execution_price_table() -> None:
    assert execution_price(108, 104, maker_floating=False) == 106  # limit vs limit
    assert execution_price(None, 104, maker_floating=False) == 104  # market vs limit
    assert execution_price(108, 105, maker_floating=True) == 105  # limit vs peg
    assert execution_price(None, 105, maker_floating=True) == 105  # market vs peg / market
