"""Leverage tiers, exactly as seed 004, 3 B "Leverage System", and the initial margin rule.

The table's initial margin is above 1/leverage at the top of the two highest tiers
(0.5 % > 1/500, 0.2 % > 1/1000). We keep the table exact, so an order's initial margin is
the larger of notional/leverage and the tier's initial margin ratio: leverage above 200x
(tier 101-500x) or 500x (tier 501-1000x) buys a smaller tier cap, not a thinner margin.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.perps.errors import LeverageNotAllowed
from engine.perps.market import MAX_LEVERAGE
from engine.perps.units import BPS, NOTIONAL_DIVISOR, QUOTE_SCALE, ceil_div


@dataclass(frozen=True, slots=True)
class LeverageTier:
    min_leverage: int
    max_leverage: int
    initial_margin_bps: int
    maintenance_margin_bps: int
    max_position_notional: int | None  # micro-USDT; None is "unlimited"

    def contains(self, leverage: int) -> bool:
        return self.min_leverage <= leverage <= self.max_leverage


LEVERAGE_TIERS: tuple[LeverageTier, ...] = (
    LeverageTier(1, 20, 500, 250, None),
    LeverageTier(21, 50, 200, 100, 100_000 * QUOTE_SCALE),
    LeverageTier(51, 100, 100, 50, 50_000 * QUOTE_SCALE),
    LeverageTier(101, 500, 50, 25, 20_000 * QUOTE_SCALE),
    LeverageTier(501, MAX_LEVERAGE, 20, 10, 5_000 * QUOTE_SCALE),
)


def tier_for(leverage: int, market_max_leverage: int = MAX_LEVERAGE) -> LeverageTier:
    if leverage > market_max_leverage:
        raise LeverageNotAllowed(
            f"leverage {leverage}x is above this market's {market_max_leverage}x"
        )
    for tier in LEVERAGE_TIERS:
        if tier.contains(leverage):
            return tier
    raise LeverageNotAllowed(f"leverage must be 1x to {MAX_LEVERAGE}x, got {leverage}x")


def initial_margin(scaled_notional: int, leverage: int, initial_margin_bps: int) -> int:
    """Margin to open `scaled_notional` (price x size, 1e-18 USDT), rounded up.

    max(notional / leverage, notional x initial margin ratio): see the module docstring.
    """
    by_leverage = ceil_div(scaled_notional, NOTIONAL_DIVISOR * leverage)
    by_tier = ceil_div(scaled_notional * initial_margin_bps, NOTIONAL_DIVISOR * BPS)
    return max(by_leverage, by_tier)
