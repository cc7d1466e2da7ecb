"""Builders for hand-computed perps cases: amounts written as decimals, stored as integers."""

from __future__ import annotations

from decimal import Decimal

from engine.perps.market import MarketConfig
from engine.perps.position import Position, Side
from engine.perps.units import PRICE_SCALE, QUOTE_SCALE, SIZE_SCALE

BTC = "BTC-USDT-PERP"


def px(text: str) -> int:
    """USDT price -> price units (1e-10 USDT)."""
    return _exact(text, PRICE_SCALE)


def qty(text: str) -> int:
    """Base-asset size -> base units (1e-8)."""
    return _exact(text, SIZE_SCALE)


def usdt(text: str) -> int:
    """USDT amount -> micro-USDT."""
    return _exact(text, QUOTE_SCALE)


def _exact(text: str, scale: int) -> int:
    scaled = Decimal(text) * scale
    assert scaled == scaled.to_integral_value(), f"{text} is finer than 1/{scale}"
    return int(scaled)


def btc_market(**overrides: object) -> MarketConfig:
    """BTC perp: tick 0.01 USDT, step 0.001 BTC, orders 0.001..100 BTC."""
    fields: dict[str, object] = {
        "symbol": BTC,
        "base_asset": "BTC",
        "tick_size": px("0.01"),
        "step_size": qty("0.001"),
        "min_order_size": qty("0.001"),
        "max_order_size": qty("100"),
    }
    fields.update(overrides)
    return MarketConfig(**fields)  # type: ignore[arg-type]


def position(
    side: Side,
    size: str,
    entry: str,
    collateral: str,
    *,
    leverage: int = 10,
    maintenance_margin_bps: int = 250,
    initial_margin_bps: int = 500,
    account: str = "alice",
    partially_liquidated: bool = False,
) -> Position:
    return Position(
        account=account,
        symbol=BTC,
        side=side,
        size=qty(size),
        entry_price=px(entry),
        collateral=usdt(collateral),
        leverage=leverage,
        initial_margin_bps=initial_margin_bps,
        maintenance_margin_bps=maintenance_margin_bps,
        partially_liquidated=partially_liquidated,
    )
