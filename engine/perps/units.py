"""Units of the perps maths and the only places where they are divided and rounded.

Prices are integer units of 1e-10 USDT (the oracle's PRICE_SCALE), sizes integer base
units of 1e-8 (SIZE_SCALE), money integer micro-USDT. A price times a size is an exact
amount in 1e-18 USDT, the *scaled value*; it becomes micro-USDT only when money moves,
by dividing by NOTIONAL_DIVISOR, rounding against whoever receives the money.
"""

from __future__ import annotations

from engine.ledger.assets import USDT
from engine.oracle.model import PRICE_SCALE, SIZE_SCALE

QUOTE_SCALE: int = USDT.unit  # micro-USDT per USDT
# price units x size units per micro-USDT: 1e10 * 1e8 / 1e6.
NOTIONAL_DIVISOR: int = PRICE_SCALE * SIZE_SCALE // QUOTE_SCALE
# Ratios of configuration (margins, fees) are integer basis points.
BPS: int = 10_000

__all__ = [
    "BPS",
    "NOTIONAL_DIVISOR",
    "PRICE_SCALE",
    "QUOTE_SCALE",
    "SIZE_SCALE",
    "ceil_div",
    "notional_ceil",
    "notional_floor",
    "scaled_value",
]


def ceil_div(numerator: int, denominator: int) -> int:
    """Exact ceiling of numerator / denominator for a positive denominator."""
    return -(-numerator // denominator)


def scaled_value(price: int, size: int) -> int:
    """price x size, exact, in 1e-18 USDT."""
    return price * size


def notional_floor(price: int, size: int) -> int:
    """Notional in micro-USDT rounded down: for amounts paid to a user."""
    return price * size // NOTIONAL_DIVISOR


def notional_ceil(price: int, size: int) -> int:
    """Notional in micro-USDT rounded up: for requirements and caps a user must meet."""
    return ceil_div(price * size, NOTIONAL_DIVISOR)
