"""Pre-trade checks: leverage tiers and their boundaries, caps, margin, grid, reduce-only."""

from __future__ import annotations

import pytest

from engine.errors import DomainError
from engine.perps.errors import (
    InsufficientMargin,
    InvalidSize,
    InvalidTick,
    LeverageNotAllowed,
    MarketInactive,
    PositionSizeExceeded,
    ReduceOnlyViolation,
)
from engine.perps.position import OrderSide, Side
from engine.perps.risk import OrderRequest, check_order
from engine.perps.tiers import LEVERAGE_TIERS, tier_for
from tests.unit.perps.helpers import btc_market, position, px, qty, usdt

PLENTY = usdt("100000000")


def order(
    size: str,
    price: str = "50000",
    leverage: int = 10,
    side: OrderSide = OrderSide.BUY,
    reduce_only: bool = False,
) -> OrderRequest:
    return OrderRequest(side, qty(size), px(price), leverage, reduce_only)


def test_the_tier_table_is_seed_004s() -> None:
    rows = [
        (t.min_leverage, t.max_leverage, t.initial_margin_bps, t.maintenance_margin_bps)
        for t in LEVERAGE_TIERS
    ]
    assert rows == [
        (1, 20, 500, 250),
        (21, 50, 200, 100),
        (51, 100, 100, 50),
        (101, 500, 50, 25),
        (501, 1000, 20, 10),
    ]
    caps = [t.max_position_notional for t in LEVERAGE_TIERS]
    assert caps == [None, usdt("100000"), usdt("50000"), usdt("20000"), usdt("5000")]


@pytest.mark.parametrize(
    ("below", "above", "ratios_below", "ratios_above"),
    [
        (20, 21, (500, 250), (200, 100)),
        (50, 51, (200, 100), (100, 50)),
        (100, 101, (100, 50), (50, 25)),
        (500, 501, (50, 25), (20, 10)),
    ],
)
def test_tier_boundaries(
    below: int, above: int, ratios_below: tuple[int, int], ratios_above: tuple[int, int]
) -> None:
    low, high = tier_for(below), tier_for(above)
    assert (low.initial_margin_bps, low.maintenance_margin_bps) == ratios_below
    assert (high.initial_margin_bps, high.maintenance_margin_bps) == ratios_above


def test_1000x_is_the_last_leverage_allowed() -> None:
    assert tier_for(1000).maintenance_margin_bps == 10
    assert tier_for(1).initial_margin_bps == 500
    for leverage in (0, -5, 1001):
        with pytest.raises(LeverageNotAllowed):
            tier_for(leverage)
    with pytest.raises(LeverageNotAllowed) as refused:
        check_order(btc_market(), None, order("0.01", leverage=1001), PLENTY)
    assert refused.value.code == "LEVERAGE_NOT_ALLOWED"


def test_a_market_can_allow_less_than_1000x() -> None:
    market = btc_market(max_leverage=100)
    assert check_order(market, None, order("0.01", leverage=100), PLENTY).tier == tier_for(100)
    with pytest.raises(LeverageNotAllowed):
        check_order(market, None, order("0.01", leverage=101), PLENTY)


@pytest.mark.parametrize(
    ("leverage", "at_cap", "over_cap"),
    [
        (21, "2", "2.001"),  # 100,000 USDT at 50,000
        (50, "2", "2.001"),
        (51, "1", "1.001"),  # 50,000
        (101, "0.4", "0.401"),  # 20,000
        (501, "0.1", "0.101"),  # 5,000
        (1000, "0.1", "0.101"),
    ],
)
def test_tier_caps_are_inclusive_position_notional(
    leverage: int, at_cap: str, over_cap: str
) -> None:
    market = btc_market()
    check_order(market, None, order(at_cap, leverage=leverage), PLENTY)
    with pytest.raises(PositionSizeExceeded) as refused:
        check_order(market, None, order(over_cap, leverage=leverage), PLENTY)
    assert refused.value.code == "POSITION_SIZE_EXCEEDED"


def test_up_to_20x_has_no_cap() -> None:
    accepted = check_order(btc_market(), None, order("100", leverage=20), PLENTY)
    assert accepted.resulting_notional == usdt("5000000")


def test_the_cap_applies_to_the_resulting_position() -> None:
    held = position(Side.LONG, "1.5", "50000", "3571.43", leverage=21)
    with pytest.raises(PositionSizeExceeded):
        check_order(btc_market(), held, order("0.6", leverage=21), PLENTY)
    check_order(btc_market(), held, order("0.5", leverage=21), PLENTY)


def test_initial_margin_and_taker_fee_must_be_available() -> None:
    # 0.1 BTC at 60,000 at 10x: margin 600, worst-case taker fee 0.05 % x 6,000 = 3.
    accepted = check_order(btc_market(), None, order("0.1", "60000"), usdt("603"))
    assert (accepted.initial_margin, accepted.fee_reserve) == (usdt("600"), usdt("3"))
    assert accepted.total == usdt("603")
    with pytest.raises(InsufficientMargin) as refused:
        check_order(btc_market(), None, order("0.1", "60000"), usdt("602.999999"))
    assert refused.value.code == "INSUFFICIENT_MARGIN"


def test_increasing_at_another_leverage_is_refused() -> None:
    held = position(Side.LONG, "0.1", "50000", "500", leverage=10)
    with pytest.raises(LeverageNotAllowed):
        check_order(btc_market(), held, order("0.1", leverage=20), PLENTY)


def test_reducing_needs_no_margin_and_ignores_leverage() -> None:
    held = position(Side.LONG, "0.1", "50000", "500", leverage=10)
    accepted = check_order(btc_market(), held, order("0.1", side=OrderSide.SELL, leverage=999), 0)
    assert accepted.total == 0
    assert accepted.opening_size == 0
    assert accepted.tier is None


def test_a_flip_reserves_margin_for_the_new_side_only() -> None:
    held = position(Side.LONG, "0.1", "60000", "600", leverage=10)
    accepted = check_order(
        btc_market(), held, order("0.3", "60000", leverage=20, side=OrderSide.SELL), PLENTY
    )
    assert accepted.opening_size == qty("0.2")
    assert accepted.initial_margin == usdt("600")  # 12,000 / 20
    assert accepted.fee_reserve == usdt("6")


@pytest.mark.parametrize(
    ("held_side", "size", "side"),
    [
        (None, "0.1", OrderSide.SELL),  # nothing to reduce
        (Side.LONG, "0.1", OrderSide.BUY),  # would increase
        (Side.LONG, "0.2", OrderSide.SELL),  # would flip
    ],
)
def test_reduce_only_refusals(held_side: Side | None, size: str, side: OrderSide) -> None:
    held = None if held_side is None else position(held_side, "0.1", "50000", "500")
    with pytest.raises(ReduceOnlyViolation) as refused:
        check_order(btc_market(), held, order(size, side=side, reduce_only=True), PLENTY)
    assert refused.value.code == "REDUCE_ONLY"


def test_reduce_only_may_close_exactly() -> None:
    held = position(Side.SHORT, "0.1", "50000", "500")
    accepted = check_order(btc_market(), held, order("0.1", reduce_only=True), 0)
    assert accepted.total == 0


@pytest.mark.parametrize("size", ["0", "0.0015", "100.001", "-0.001"])
def test_invalid_sizes(size: str) -> None:
    with pytest.raises(InvalidSize) as refused:
        check_order(btc_market(), None, order(size), PLENTY)
    assert refused.value.code == "INVALID_SIZE"


def test_below_the_minimum_order_size() -> None:
    with pytest.raises(InvalidSize):
        check_order(btc_market(min_order_size=qty("0.01")), None, order("0.009"), PLENTY)


@pytest.mark.parametrize("price", ["50000.005", "0", "-1"])
def test_invalid_ticks(price: str) -> None:
    with pytest.raises(InvalidTick) as refused:
        check_order(btc_market(), None, order("0.1", price), PLENTY)
    assert refused.value.code == "INVALID_TICK"


def test_an_inactive_market_refuses_everything() -> None:
    with pytest.raises(MarketInactive) as refused:
        check_order(btc_market(is_active=False), None, order("0.1"), PLENTY)
    assert refused.value.code == "MARKET_INACTIVE"


def test_every_refusal_is_a_domain_error() -> None:
    for error in (
        InsufficientMargin,
        PositionSizeExceeded,
        LeverageNotAllowed,
        ReduceOnlyViolation,
        InvalidSize,
        InvalidTick,
        MarketInactive,
    ):
        assert issubclass(error, DomainError)
