"""Pre-trade risk of one order: grid, reduce-only, leverage tier, tier cap, initial margin.

Only the part of an order that opens or increases a position needs margin and is held to
the tier cap; the part that reduces or closes is always allowed (its fee is paid from what
the close returns), so a trader can always get out.
"""

from __future__ import annotations

from engine.perps.errors import (
    InsufficientMargin,
    LeverageNotAllowed,
    MarketInactive,
    PositionSizeExceeded,
    ReduceOnlyViolation,
)
from engine.perps.fees import taker_fee
from engine.perps.market import MarketConfig
from engine.perps.position import OrderSide, Position
from engine.perps.tiers import LeverageTier, initial_margin, tier_for
from engine.perps.units import notional_ceil
from engine.records import record


@record
class OrderRequest:
    side: OrderSide
    size: int  # base units
    price: int  # price units: the limit, or the protection price of a market order
    leverage: int
    reduce_only: bool = False


@record
class OrderRequirement:
    """What to reserve from the available balance before the order may rest or match."""

    opening_size: int  # base units that open or increase a position
    initial_margin: int
    fee_reserve: int  # taker fee on the opening part: the worst case of a fill
    resulting_notional: int  # of the position after a full fill, at the order price
    tier: LeverageTier | None  # None for an order that only reduces

    @property
    def total(self) -> int:
        return self.initial_margin + self.fee_reserve


def check_order(
    market: MarketConfig,
    position: Position | None,
    order: OrderRequest,
    available_balance: int,
) -> OrderRequirement:
    """Accept (returning the reservation) or raise the first refusal that applies."""
    if not market.is_active:
        raise MarketInactive(f"{market.symbol} is not trading")
    market.require_valid_order_size(order.size)
    market.require_valid_price(order.price)
    opening_size, resulting_size = _split(position, order)
    if order.reduce_only and opening_size > 0:
        raise ReduceOnlyViolation("a reduce-only order can only make a position smaller")
    if opening_size == 0:
        return OrderRequirement(0, 0, 0, notional_ceil(order.price, resulting_size), None)
    tier = _opening_tier(market, position, order)
    resulting_notional = notional_ceil(order.price, resulting_size)
    cap = tier.max_position_notional
    if cap is not None and resulting_notional > cap:
        raise PositionSizeExceeded(
            f"position notional {resulting_notional} would exceed the {order.leverage}x "
            f"tier cap of {cap} micro-USDT"
        )
    margin = initial_margin(order.price * opening_size, order.leverage, tier.initial_margin_bps)
    fee = taker_fee(market, order.price, opening_size)
    if margin + fee > available_balance:
        raise InsufficientMargin(
            f"needs {margin + fee} micro-USDT (margin {margin}, fee {fee}), "
            f"{available_balance} available"
        )
    return OrderRequirement(opening_size, margin, fee, resulting_notional, tier)


def _split(position: Position | None, order: OrderRequest) -> tuple[int, int]:
    """(size that opens or increases, size of the position after a full fill)."""
    if position is None:
        return order.size, order.size
    if order.side.position_side is position.side:
        return order.size, position.size + order.size
    if order.size <= position.size:
        return 0, position.size - order.size
    flipped = order.size - position.size
    return flipped, flipped


def _opening_tier(
    market: MarketConfig, position: Position | None, order: OrderRequest
) -> LeverageTier:
    increasing = position is not None and order.side.position_side is position.side
    if increasing and position is not None and order.leverage != position.leverage:
        raise LeverageNotAllowed(
            f"the position is at {position.leverage}x; increase it at the same leverage"
        )
    if order.leverage < 1:
        raise LeverageNotAllowed(f"leverage must be at least 1x, got {order.leverage}x")
    return tier_for(order.leverage, market.max_leverage)
