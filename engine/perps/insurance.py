"""Insurance fund (seed 004, 3 D "Insurance Fund", 5 Layer 3): public health figures and
how much of a bad debt it can cover. Its balance itself lives in the ledger."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.perps.position import Position, Side
from engine.perps.units import BPS, NOTIONAL_DIVISOR, ceil_div

# Seed 004, section 5, Layer 3: target_balance = open interest x 1 %.
INSURANCE_FUND_TARGET_BPS = 100
# Seed 004, section 5, Layer 3: needs_replenishment below 50 % of the target.
REPLENISHMENT_THRESHOLD_BPS = 5_000


@dataclass(frozen=True, slots=True)
class InsuranceFundHealth:
    balance: int
    open_interest: int
    target_balance: int
    coverage_bps: int | None  # balance / open interest; None without open interest
    utilisation_bps: int  # bad debt covered / contributions ever received
    is_healthy: bool
    needs_replenishment: bool


@dataclass(frozen=True, slots=True)
class BadDebtCoverage:
    from_fund: int
    shortfall: int  # > 0: alert, and close by auto-deleveraging instead (adl.py)

    @property
    def needs_auto_deleverage(self) -> bool:
        return self.shortfall > 0


def insurance_fund_health(
    balance: int, open_interest: int, contributions: int, bad_debt_covered: int
) -> InsuranceFundHealth:
    """All in micro-USDT; ratios in basis points rounded down."""
    target = ceil_div(open_interest * INSURANCE_FUND_TARGET_BPS, BPS)
    coverage = None if open_interest == 0 else balance * BPS // open_interest
    # Seed 004 gives two utilisations; bad debt over contributions stays defined at a zero
    # balance, which is exactly when it matters.
    utilisation = 0 if contributions == 0 else bad_debt_covered * BPS // contributions
    return InsuranceFundHealth(
        balance=balance,
        open_interest=open_interest,
        target_balance=target,
        coverage_bps=coverage,
        utilisation_bps=utilisation,
        is_healthy=balance >= target,
        needs_replenishment=balance * BPS < target * REPLENISHMENT_THRESHOLD_BPS,
    )


def cover_bad_debt(fund_balance: int, bad_debt: int) -> BadDebtCoverage:
    """All or nothing: the fund covers a bad debt it can afford; otherwise it pays nothing
    and the position is auto-deleveraged at its bankruptcy price (no bad debt arises)."""
    if bad_debt <= fund_balance:
        return BadDebtCoverage(bad_debt, 0)
    return BadDebtCoverage(0, bad_debt - max(fund_balance, 0))


def open_interest(positions: Iterable[Position], mark: int) -> int:
    """One market's open interest: the long side's notional at the mark, rounded up."""
    long_size = sum(p.size for p in positions if p.side is Side.LONG)
    return ceil_div(long_size * mark, NOTIONAL_DIVISOR)
