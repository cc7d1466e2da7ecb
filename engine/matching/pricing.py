"""Where an order stands and at what price two orders trade: the rules of seed 004, in ticks.

Execution price, by what the resting (maker) order is:

- a fixed limit, against an incoming order with a price (a limit, or a peg at its
  current level): the midpoint of the two, rounded toward the resting limit when it
  falls on a half tick, so an arriving order never moves the price by more than half
  of how far it crosses;
- a fixed limit, against an incoming MARKET: the resting limit;
- a floating order (a peg, or a resting MARKET at the mid): its current price, so a
  MARKET meeting a resting MARKET trades at the reference mid.

Each result lies between the two orders' prices, so no order trades beyond its limit.
"""

from __future__ import annotations

from engine.matching.model import MIN_PRICE_TICKS, OrderType, Side


def floating_price(
    order_type: OrderType,
    side: Side,
    peg_offset_ticks: int,
    cap: int | None,
    reference_bid: int,
    reference_ask: int,
) -> int:
    """The level of a peg (or resting MARKET) against a two-sided reference."""
    if order_type is OrderType.PEG_BID:
        base = reference_bid
    elif order_type is OrderType.PEG_ASK:
        base = reference_ask
    else:  # PEG_MID, and a resting MARKET order, which waits at the mid
        base = (reference_bid + reference_ask) // 2
    price = max(base + peg_offset_ticks, MIN_PRICE_TICKS)
    if cap is None:
        return price
    return min(price, cap) if side is Side.BUY else max(price, cap)


def crosses(taker_side: Side, taker_price: int | None, maker_price: int) -> bool:
    """Whether an order priced `taker_price` (None: a MARKET, any price) reaches a level."""
    if taker_price is None:
        return True
    if taker_side is Side.BUY:
        return taker_price >= maker_price
    return taker_price <= maker_price


def execution_price(taker_price: int | None, maker_price: int, maker_floating: bool) -> int:
    """Price of a trade between a crossing taker and maker (see the module docstring).

    Two limits trade at their midpoint; a half tick goes toward the resting limit:
    down for a resting sell below an incoming buy, up for a resting buy above a sell.
    """
    if maker_floating or taker_price is None:
        return maker_price
    total = maker_price + taker_price
    return total // 2 if maker_price <= taker_price else -(-total // 2)
