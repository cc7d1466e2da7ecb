"""Isolated-margin positions (seed 004, 3 B "Position Management") and what a fill does to one.

A position is an immutable value; applying a fill or a margin transfer returns a new one
and says exactly which amounts move between the position's collateral and the account's
available balance. Every rounding goes against the position's holder (docs/perps.md).
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

from engine.perps.errors import InsufficientMargin, InvalidMarginAmount, LeverageNotAllowed
from engine.perps.tiers import initial_margin, tier_for
from engine.perps.units import BPS, NOTIONAL_DIVISOR, ceil_div
from engine.records import record


class Side(StrEnum):
    LONG = "LONG"
    SHORT = "SHORT"

    @property
    def opposite(self) -> Side:
        return Side.SHORT if self is Side.LONG else Side.LONG


class OrderSide(StrEnum):
    BUY = "BUY"
    SELL = "SELL"

    @property
    def position_side(self) -> Side:
        """The side of position this order opens or increases."""
        return Side.LONG if self is OrderSide.BUY else Side.SHORT


@record
class Position:
    """An open position: size > 0 in base units, entry in price units, money in micro-USDT.

    `collateral` is the isolated margin. It can fall below zero only by funding paid on a
    position whose unrealised profit covers it; every margin test uses equity, not collateral.
    """

    account: str
    symbol: str
    side: Side
    size: int
    entry_price: int
    collateral: int
    leverage: int
    initial_margin_bps: int
    maintenance_margin_bps: int
    realised_pnl: int = 0
    # Seed 004, section 5 Layer 2: 50 % first, then the rest if it falls below again.
    partially_liquidated: bool = False

    def __post_init__(self) -> None:
        if self.size <= 0 or self.entry_price <= 0:
            raise ValueError("an open position has a positive size and entry price")
        if self.leverage <= 0:
            raise ValueError("leverage must be positive")
        # Ratios of half the notional or more are no margin system: they have no test prices.
        if not 0 <= self.maintenance_margin_bps < BPS // 2:
            raise ValueError("maintenance margin ratio must be within 0..50 %")

    @property
    def position_id(self) -> str:
        return f"{self.symbol}:{self.account}"


@record
class Fill:
    """One execution for an account at an integer price, with the order's leverage."""

    account: str
    symbol: str
    side: OrderSide
    size: int
    price: int
    leverage: int


@record
class FillOutcome:
    """What a fill moves. Always: collateral before + margin_posted + realised_pnl + bad_debt
    == collateral after + returned_to_available (collateral of no position is 0)."""

    position: Position | None
    realised_pnl: int
    margin_posted: int  # available balance -> collateral
    returned_to_available: int  # collateral (+ realised PnL) -> available balance
    bad_debt: int  # loss beyond the collateral of a position closed past bankruptcy


def scaled_unrealised_pnl(position: Position, mark: int) -> int:
    """Exact unrealised PnL in 1e-18 USDT."""
    return _scaled_pnl(position.side, position.size, position.entry_price, mark)


def unrealised_pnl(position: Position, mark: int) -> int:
    """Unrealised PnL in micro-USDT, rounded down (a gain shown is never more than exact)."""
    return scaled_unrealised_pnl(position, mark) // NOTIONAL_DIVISOR


def realised_pnl_of(position: Position, size: int, price: int) -> int:
    """PnL of closing `size` of the position at `price`, in micro-USDT rounded down."""
    return _scaled_pnl(position.side, size, position.entry_price, price) // NOTIONAL_DIVISOR


def scaled_equity(position: Position, mark: int) -> int:
    """Collateral plus unrealised PnL, exact, in 1e-18 USDT."""
    return position.collateral * NOTIONAL_DIVISOR + scaled_unrealised_pnl(position, mark)


def apply_fill(position: Position | None, fill: Fill) -> FillOutcome:
    """Open, increase, reduce, close or flip. Validation of the order is check_order's job."""
    if fill.size <= 0 or fill.price <= 0:
        raise ValueError("a fill has a positive size and price")
    if position is None:
        return _open(fill, fill.size)
    if (position.account, position.symbol) != (fill.account, fill.symbol):
        raise ValueError("fill and position belong to different accounts or markets")
    if fill.side.position_side is position.side:
        return _increase(position, fill)
    if fill.size < position.size:
        return _reduce(position, fill.size, fill.price)
    closed = _close(position, fill.price)
    remainder = fill.size - position.size
    if remainder == 0:
        return closed
    # A flip closes the old position and opens the remainder at the fill price,
    # with its own margin at the order's leverage.
    opened = _open(fill, remainder)
    return FillOutcome(
        position=opened.position,
        realised_pnl=closed.realised_pnl,
        margin_posted=opened.margin_posted,
        returned_to_available=closed.returned_to_available,
        bad_debt=closed.bad_debt,
    )


def close_at(position: Position, price: int) -> FillOutcome:
    """Close the whole position at `price` (liquidation, auto-deleveraging)."""
    return _close(position, price)


def reduce_at(position: Position, size: int, price: int) -> FillOutcome:
    """Close `size` (less than the position) at `price`."""
    if not 0 < size < position.size:
        raise ValueError("a reduction is smaller than the position")
    return _reduce(position, size, price)


def add_margin(position: Position, amount: int) -> Position:
    if amount <= 0:
        raise InvalidMarginAmount(f"margin to add must be positive, got {amount}")
    # Fresh margin starts a new episode: a later fall is liquidated 50 % first again.
    return replace(position, collateral=position.collateral + amount, partially_liquidated=False)


def max_removable_margin(position: Position, mark: int) -> int:
    """Collateral that can leave while equity, not counting unrealised profit, stays at or
    above the initial margin of the position at the mark (rounded down)."""
    required = position_initial_margin(position, mark)
    loss = min(scaled_unrealised_pnl(position, mark), 0)
    spare = position.collateral * NOTIONAL_DIVISOR + loss - required * NOTIONAL_DIVISOR
    return max(0, spare // NOTIONAL_DIVISOR)


def remove_margin(position: Position, amount: int, mark: int) -> Position:
    if amount <= 0:
        raise InvalidMarginAmount(f"margin to remove must be positive, got {amount}")
    removable = max_removable_margin(position, mark)
    if amount > removable:
        raise InsufficientMargin(
            f"at most {removable} micro-USDT can be removed while keeping the initial margin"
        )
    return replace(position, collateral=position.collateral - amount)


def apply_funding(position: Position, payment: int) -> Position:
    """Add a signed funding payment (negative: the position pays) to its collateral."""
    return replace(position, collateral=position.collateral + payment)


def position_initial_margin(position: Position, mark: int) -> int:
    return initial_margin(position.size * mark, position.leverage, position.initial_margin_bps)


def _scaled_pnl(side: Side, size: int, entry_price: int, price: int) -> int:
    move = price - entry_price if side is Side.LONG else entry_price - price
    return size * move


def _open(fill: Fill, size: int) -> FillOutcome:
    tier = tier_for(fill.leverage)
    margin = initial_margin(fill.price * size, fill.leverage, tier.initial_margin_bps)
    position = Position(
        account=fill.account,
        symbol=fill.symbol,
        side=fill.side.position_side,
        size=size,
        entry_price=fill.price,
        collateral=margin,
        leverage=fill.leverage,
        initial_margin_bps=tier.initial_margin_bps,
        maintenance_margin_bps=tier.maintenance_margin_bps,
    )
    return FillOutcome(position, 0, margin, 0, 0)


def _increase(position: Position, fill: Fill) -> FillOutcome:
    if fill.leverage != position.leverage:
        raise LeverageNotAllowed(
            f"the position is at {position.leverage}x; an increase cannot change it "
            f"to {fill.leverage}x"
        )
    new_size = position.size + fill.size
    margin = initial_margin(fill.price * fill.size, fill.leverage, position.initial_margin_bps)
    increased = replace(
        position,
        size=new_size,
        entry_price=_average_entry(position, fill.size, fill.price),
        collateral=position.collateral + margin,
        partially_liquidated=False,
    )
    return FillOutcome(increased, 0, margin, 0, 0)


def _average_entry(position: Position, added_size: int, price: int) -> int:
    """Size-weighted entry, rounded to a price unit against the holder (up for a long,
    down for a short): the error is under 1e-10 USDT per base unit and never the holder's."""
    cost = position.size * position.entry_price + added_size * price
    total = position.size + added_size
    return ceil_div(cost, total) if position.side is Side.LONG else cost // total


def _reduce(position: Position, size: int, price: int) -> FillOutcome:
    pnl = realised_pnl_of(position, size, price)
    # The closed part takes its share of collateral, so the rest keeps its liquidation price.
    share = position.collateral * size // position.size
    cash = share + pnl
    # A closed part past bankruptcy is paid for by the rest of the same isolated margin.
    remaining_collateral = position.collateral - share + min(cash, 0)
    reduced = replace(
        position,
        size=position.size - size,
        collateral=remaining_collateral,
        realised_pnl=position.realised_pnl + pnl,
    )
    return FillOutcome(reduced, pnl, 0, max(cash, 0), 0)


def _close(position: Position, price: int) -> FillOutcome:
    pnl = realised_pnl_of(position, position.size, price)
    cash = position.collateral + pnl
    # Isolated margin: a loss beyond the collateral is bad debt, never the account's debt.
    return FillOutcome(None, pnl, 0, max(cash, 0), max(-cash, 0))
