"""Market configuration of one perpetual (seed 004, 3 A "Market Configuration"), in integers.

Tick size is in price units (1e-10 USDT), step size and order sizes in base units
(1e-8 of the base asset). Orders and positions carry sizes in base units; lots are only
a conversion for clients that think in steps.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.oracle.symbols import QUOTE_ASSET
from engine.perps.errors import InvalidSize, InvalidTick

# Seed 004, 3 B "Leverage System": maximum 1000x.
MAX_LEVERAGE = 1000
# Seed 004, 3 A: maker -0.02 % (a rebate), taker 0.05 %, as integer basis points.
DEFAULT_MAKER_FEE_BPS = -2
DEFAULT_TAKER_FEE_BPS = 5


@dataclass(frozen=True, slots=True)
class MarketConfig:
    symbol: str
    base_asset: str
    tick_size: int
    step_size: int
    min_order_size: int
    max_order_size: int
    max_leverage: int = MAX_LEVERAGE
    maker_fee_bps: int = DEFAULT_MAKER_FEE_BPS
    taker_fee_bps: int = DEFAULT_TAKER_FEE_BPS
    is_active: bool = True
    quote_asset: str = QUOTE_ASSET

    def __post_init__(self) -> None:
        # A bad config is an operator's mistake, found at start-up, not a user's refusal.
        if self.tick_size <= 0 or self.step_size <= 0:
            raise ValueError("tick and step sizes must be positive")
        if self.min_order_size <= 0 or self.min_order_size > self.max_order_size:
            raise ValueError("order size bounds must satisfy 0 < min <= max")
        if self.min_order_size % self.step_size or self.max_order_size % self.step_size:
            raise ValueError("order size bounds must be multiples of the step size")
        if not 1 <= self.max_leverage <= MAX_LEVERAGE:
            raise ValueError(f"max leverage must be within 1..{MAX_LEVERAGE}")
        if self.taker_fee_bps < 0:
            raise ValueError("the taker fee cannot be negative")
        # The venue never loses on a trade's fees: the maker rebate is at most the taker fee.
        if -self.maker_fee_bps > self.taker_fee_bps:
            raise ValueError("the maker rebate cannot exceed the taker fee")
        if self.quote_asset != QUOTE_ASSET:
            raise ValueError(f"perps are quoted in {QUOTE_ASSET}")

    def ticks_to_price(self, ticks: int) -> int:
        return ticks * self.tick_size

    def price_to_ticks(self, price: int) -> int:
        """Whole ticks in a price; a price off the tick grid is refused, never rounded."""
        self.require_valid_price(price)
        return price // self.tick_size

    def lots_to_size(self, lots: int) -> int:
        return lots * self.step_size

    def size_to_lots(self, size: int) -> int:
        if size < 0 or size % self.step_size:
            raise InvalidSize(f"size {size} is not a whole number of steps of {self.step_size}")
        return size // self.step_size

    def require_valid_price(self, price: int) -> None:
        if price <= 0 or price % self.tick_size:
            raise InvalidTick(f"price {price} is not a positive multiple of tick {self.tick_size}")

    def require_valid_order_size(self, size: int) -> None:
        if size <= 0 or size % self.step_size:
            raise InvalidSize(f"size {size} is not a positive multiple of step {self.step_size}")
        if not self.min_order_size <= size <= self.max_order_size:
            raise InvalidSize(
                f"size {size} is outside {self.min_order_size}..{self.max_order_size}"
            )
