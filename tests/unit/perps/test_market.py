"""Market config: validation and the conversions between ticks, lots and units."""

from __future__ import annotations

import pytest

from engine.perps.errors import InvalidSize, InvalidTick
from tests.unit.perps.helpers import btc_market, px, qty


def test_defaults_are_seed_004s() -> None:
    market = btc_market()
    assert (market.max_leverage, market.maker_fee_bps, market.taker_fee_bps) == (1000, -2, 5)
    assert market.quote_asset == "USDT"
    assert market.is_active


def test_ticks_and_lots() -> None:
    market = btc_market()
    assert market.ticks_to_price(6_000_000) == px("60000")
    assert market.price_to_ticks(px("60000.01")) == 6_000_001
    assert market.lots_to_size(15) == qty("0.015")
    assert market.size_to_lots(qty("0.015")) == 15
    with pytest.raises(InvalidTick):
        market.price_to_ticks(px("60000.001"))
    with pytest.raises(InvalidSize):
        market.size_to_lots(qty("0.0155"))


@pytest.mark.parametrize(
    "overrides",
    [
        {"tick_size": 0},
        {"step_size": -1},
        {"min_order_size": 0},
        {"min_order_size": qty("0.0015")},
        {"max_order_size": qty("0.0005")},
        {"max_leverage": 1001},
        {"max_leverage": 0},
        {"taker_fee_bps": -1, "maker_fee_bps": -1},
        {"maker_fee_bps": -6},  # a rebate above the 5 bps taker fee
        {"quote_asset": "USDC"},
    ],
)
def test_bad_configs_fail_at_start_up(overrides: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        btc_market(**overrides)
