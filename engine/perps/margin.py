"""The margin tests of a position at a mark, and the exact prices where they change.

The test (seed 004, 3 D "Real-Time Monitoring", made strict and exact): a position is
liquidatable when equity < maintenance margin, i.e.

    collateral + unrealised PnL(mark) < maintenance_margin_ratio x size x mark,

compared in exact integers (scaled by 1e18 and BPS^2), never on rounded micro-USDT, so the
set of liquidating marks is exactly a half-line and its end has a closed form. The
warning test is the same with 150 % of the maintenance margin (seed 004, 5 Layer 1).
Derivation and the worked example: docs/perps.md.
"""

from __future__ import annotations

from fractions import Fraction

from engine.perps.position import Position, Side, scaled_equity
from engine.perps.units import BPS, NOTIONAL_DIVISOR, ceil_div

# Thresholds as a share of the maintenance margin, in basis points.
LIQUIDATION_THRESHOLD_BPS = 10_000
WARNING_THRESHOLD_BPS = 15_000  # seed 004, section 5, Layer 1: "150% of maintenance"
# Both sides of every test are multiplied by BPS for the ratio and BPS for the threshold.
_TEST_SCALE = BPS * BPS


def maintenance_margin(position: Position, mark: int) -> int:
    """Maintenance margin in micro-USDT, rounded up (what the holder must keep)."""
    scaled = position.size * mark * position.maintenance_margin_bps
    return ceil_div(scaled, NOTIONAL_DIVISOR * BPS)


def margin_ratio(position: Position, mark: int) -> Fraction:
    """(collateral + unrealised PnL) / (size x mark), exact; seed 004's margin ratio."""
    return Fraction(scaled_equity(position, mark), position.size * mark)


def is_below_threshold(position: Position, mark: int, threshold_bps: int) -> bool:
    """equity < threshold x maintenance margin, exactly."""
    requirement = threshold_bps * position.maintenance_margin_bps * position.size * mark
    return scaled_equity(position, mark) * _TEST_SCALE < requirement


def is_liquidatable(position: Position, mark: int) -> bool:
    return is_below_threshold(position, mark, LIQUIDATION_THRESHOLD_BPS)


def is_in_warning_zone(position: Position, mark: int) -> bool:
    """Below 150 % of maintenance (this includes the liquidatable)."""
    return is_below_threshold(position, mark, WARNING_THRESHOLD_BPS)


def liquidation_price(position: Position, tick_size: int = 1) -> int | None:
    """The last price on the tick grid at which is_liquidatable holds; one tick further on
    the safe side (up for a long, down for a short) it does not. None: no positive price
    on the grid liquidates this position (a long with collateral >= entry notional)."""
    return threshold_price(position, LIQUIDATION_THRESHOLD_BPS, tick_size)


def warning_price(position: Position, tick_size: int = 1) -> int | None:
    return threshold_price(position, WARNING_THRESHOLD_BPS, tick_size)


def threshold_price(position: Position, threshold_bps: int, tick_size: int = 1) -> int | None:
    """Where is_below_threshold starts to hold, rounded to the tick on the triggering side.

    With C collateral, S size, E entry, R = threshold x ratio / BPS^2 and D = 1e12:
      long:  C*D + S*(m - E) < R*S*m  <=>  m < (S*E - C*D) / (S*(1 - R))
      short: C*D + S*(E - m) < R*S*m  <=>  m > (S*E + C*D) / (S*(1 + R))
    """
    if tick_size <= 0:
        raise ValueError("tick size must be positive")
    weight = threshold_bps * position.maintenance_margin_bps
    size, entry = position.size, position.entry_price
    collateral = position.collateral * NOTIONAL_DIVISOR
    if position.side is Side.LONG:
        if weight >= _TEST_SCALE:
            raise ValueError("a threshold of 100 % of notional or more has no price")
        numerator = _TEST_SCALE * (size * entry - collateral)
        denominator = size * (_TEST_SCALE - weight)
        if numerator <= 0:
            return None
        highest = (numerator - 1) // denominator  # the largest integer m with m < X
        price = highest // tick_size * tick_size
        return price if price > 0 else None
    numerator = _TEST_SCALE * (collateral + size * entry)
    denominator = size * (_TEST_SCALE + weight)
    lowest = numerator // denominator + 1 if numerator >= 0 else 1  # smallest m with m > Y
    return ceil_div(lowest, tick_size) * tick_size


def bankruptcy_price(position: Position) -> int | None:
    """The price at which equity is zero, rounded so that equity there is >= 0: up for a
    long, down for a short. None when no positive price bankrupts the position."""
    size, entry = position.size, position.entry_price
    collateral = position.collateral * NOTIONAL_DIVISOR
    if position.side is Side.LONG:
        price = ceil_div(size * entry - collateral, size)
    else:
        price = (size * entry + collateral) // size
    return price if price > 0 else None
