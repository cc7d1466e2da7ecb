"""Auto-deleveraging: what closes a bankrupt position when the insurance fund cannot.

Rule (docs/perps.md, "Auto-deleveraging"): the bankrupt position is closed whole at its
bankruptcy price against positions on the opposite side of the same market, taken in
ADL rank order, highest first:

    rank = profit ratio x effective leverage
         = (unrealised PnL / collateral) x (size x mark / (collateral + unrealised PnL)),

as Binance and Bybit rank theirs. Positions without unrealised profit rank 0, after every
profitable one. Ties go to the larger position, then to the account name, so the order is
deterministic. Counterparties give up the part of their profit between the mark and the
bankruptcy price; the bankrupt holder loses exactly the collateral; no fee is charged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from engine.perps.margin import bankruptcy_price
from engine.perps.position import Position, close_at, scaled_equity, scaled_unrealised_pnl
from engine.perps.units import NOTIONAL_DIVISOR


@dataclass(frozen=True, slots=True)
class DeleverageFill:
    """Close `size` of `account`'s position at `price` (the bankruptcy price)."""

    account: str
    size: int
    price: int
    rank: Fraction


@dataclass(frozen=True, slots=True)
class AutoDeleveragePlan:
    account: str
    symbol: str
    bankruptcy_price: int
    fills: tuple[DeleverageFill, ...]
    unfilled_size: int  # > 0 only if the opposite side is smaller: halt the market
    forfeited_collateral: int  # sub-micro-USDT rounding left at the bankruptcy price: to the fund


def auto_deleverage_rank(position: Position, mark: int) -> Fraction:
    profit = scaled_unrealised_pnl(position, mark)
    equity = scaled_equity(position, mark)
    if profit <= 0 or equity <= 0:
        return Fraction(0)
    # Funding can leave collateral at or below zero; count it as one micro-USDT, as
    # Binance's max(1, wallet balance), so the ratio stays defined.
    profit_ratio = Fraction(profit, max(position.collateral, 1) * NOTIONAL_DIVISOR)
    effective_leverage = Fraction(position.size * mark, equity)
    return profit_ratio * effective_leverage


def rank_for_auto_deleverage(
    candidates: Iterable[Position], mark: int
) -> list[tuple[Fraction, Position]]:
    ranked = [(auto_deleverage_rank(p, mark), p) for p in candidates]
    ranked.sort(key=lambda item: (-item[0], -item[1].size, item[1].account))
    return ranked


def plan_auto_deleverage(
    position: Position, candidates: Iterable[Position], mark: int
) -> AutoDeleveragePlan:
    """Match the whole bankrupt position against ranked opposite positions of its market."""
    price = bankruptcy_price(position)
    if price is None:
        raise ValueError(f"{position.position_id} cannot go bankrupt at a positive price")
    opposite = (
        c for c in candidates if c.symbol == position.symbol and c.side is position.side.opposite
    )
    fills: list[DeleverageFill] = []
    left = position.size
    for rank, candidate in rank_for_auto_deleverage(opposite, mark):
        if left == 0:
            break
        size = min(left, candidate.size)
        fills.append(DeleverageFill(candidate.account, size, price, rank))
        left -= size
    closed = close_at(position, price)
    return AutoDeleveragePlan(
        account=position.account,
        symbol=position.symbol,
        bankruptcy_price=price,
        fills=tuple(fills),
        unfilled_size=left,
        forfeited_collateral=closed.returned_to_available,
    )
