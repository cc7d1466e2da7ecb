"""Trading fees on fill notional (seed 004, 3 A: maker -0.02 % rebate, taker 0.05 %).

Fees charged round up, rebates paid round down, each on the exact price x size, so the
venue's take of every trade (taker fee minus maker rebate) is never negative: the config
forbids a rebate rate above the taker rate, and floor(a·N) <= ceil(b·N) when a <= b.
"""

from __future__ import annotations

from engine.perps.market import MarketConfig
from engine.perps.units import BPS, NOTIONAL_DIVISOR, ceil_div
from engine.records import record

_FEE_DIVISOR = NOTIONAL_DIVISOR * BPS


@record
class TradeFees:
    """Signed fees of one trade in micro-USDT: positive is charged, negative is a rebate."""

    taker_fee: int
    maker_fee: int

    @property
    def venue_revenue(self) -> int:
        return self.taker_fee + self.maker_fee


def fee_amount(price: int, size: int, fee_bps: int) -> int:
    """A charge (fee_bps > 0) rounds up; a rebate (fee_bps < 0) is paid rounded down."""
    scaled = price * size * abs(fee_bps)
    if fee_bps >= 0:
        return ceil_div(scaled, _FEE_DIVISOR)
    return -(scaled // _FEE_DIVISOR)


def trade_fees(market: MarketConfig, price: int, size: int) -> TradeFees:
    return TradeFees(
        taker_fee=fee_amount(price, size, market.taker_fee_bps),
        maker_fee=fee_amount(price, size, market.maker_fee_bps),
    )


def taker_fee(market: MarketConfig, price: int, size: int) -> int:
    return fee_amount(price, size, market.taker_fee_bps)
