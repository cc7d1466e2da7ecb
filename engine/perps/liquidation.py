"""What to do with a position at a mark (seed 004, 3 D and 5): nothing, warn, or liquidate,
and the exact amounts of a liquidation.

Rules (docs/perps.md, "Liquidation"):
- warning below 150 % of maintenance; liquidation below maintenance (margin.py);
- 50 % first (the half rounded up to the step), closed at the mark, and all of it when the
  half would not bring the rest back above maintenance at that same mark, when the
  position was already partially liquidated, or when the half is the whole;
- fee 0.5 % of the closed notional, rounded up and capped at the position's equity (a fee
  never creates bad debt); the liquidator gets floor(fee x 25/50), the insurance fund the
  rest (so the fund gets the odd micro-USDT);
- a partial liquidation returns nothing to the holder: PnL and fee settle in the
  collateral that stays with the rest of the position;
- a full liquidation forfeits what is left of the collateral to the insurance fund; a loss
  beyond the collateral is bad debt, covered by the fund (insurance.py) or, when the fund
  is short, by auto-deleveraging (adl.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from engine.perps.fees import fee_amount
from engine.perps.margin import is_in_warning_zone, is_liquidatable, margin_ratio
from engine.perps.position import Position, Side, realised_pnl_of
from engine.perps.units import ceil_div

# Seed 004, 3 D "Liquidation Process": LIQUIDATION_FEE 0.5 %, INSURANCE_FUND_FEE 0.25 %.
LIQUIDATION_FEE_BPS = 50
INSURANCE_FUND_FEE_BPS = 25
# Seed 004, section 5, Layer 2: "Always attempt 50% liquidation first".
PARTIAL_LIQUIDATION_SHARE = Fraction(1, 2)


class PositionNotLiquidatable(Exception):
    """plan_liquidation was asked for a position that is above maintenance."""


@dataclass(frozen=True, slots=True)
class Healthy:
    pass


@dataclass(frozen=True, slots=True)
class MarginWarning:
    """Below 150 % of maintenance, above maintenance (named so as not to shadow Warning)."""

    margin_ratio: Fraction


@dataclass(frozen=True, slots=True)
class Liquidate:
    fraction: Fraction  # of the position's size: 1/2 (or a step-rounded half) or 1
    size: int
    margin_ratio: Fraction


Assessment = Healthy | MarginWarning | Liquidate


@dataclass(frozen=True, slots=True)
class LiquidationPlan:
    """Exact amounts in micro-USDT. Conservation: collateral + realised_pnl + bad_debt ==
    fee + forfeited_collateral + remaining_collateral."""

    account: str
    symbol: str
    side: Side
    mark: int
    closed_size: int
    is_full: bool
    realised_pnl: int  # rounded down, as every PnL paid to a holder
    fee: int
    insurance_fee: int
    liquidator_fee: int
    forfeited_collateral: int  # left after a full liquidation: to the insurance fund
    bad_debt: int  # loss beyond the collateral: from the insurance fund
    position_after: Position | None

    @property
    def remaining_collateral(self) -> int:
        return 0 if self.position_after is None else self.position_after.collateral

    @property
    def insurance_fund_delta(self) -> int:
        """Signed change of the insurance fund if it covers the bad debt in full."""
        return self.insurance_fee + self.forfeited_collateral - self.bad_debt


def assess(position: Position, mark: int, step_size: int = 1) -> Assessment:
    plan = _plan(position, mark, step_size)
    if plan is not None:
        return Liquidate(
            Fraction(plan.closed_size, position.size),
            plan.closed_size,
            margin_ratio(position, mark),
        )
    if is_in_warning_zone(position, mark):
        return MarginWarning(margin_ratio(position, mark))
    return Healthy()


def plan_liquidation(position: Position, mark: int, step_size: int = 1) -> LiquidationPlan:
    plan = _plan(position, mark, step_size)
    if plan is None:
        raise PositionNotLiquidatable(f"{position.position_id} is above maintenance at {mark}")
    return plan


def partial_liquidation_size(position: Position, step_size: int) -> int:
    """Half the size rounded up to a whole step: at least half is always closed."""
    half = ceil_div(
        position.size * PARTIAL_LIQUIDATION_SHARE.numerator,
        PARTIAL_LIQUIDATION_SHARE.denominator,
    )
    return ceil_div(half, step_size) * step_size


def split_liquidation_fee(fee: int) -> tuple[int, int]:
    """(insurance fund share, liquidator share) of a liquidation fee."""
    liquidator = fee * (LIQUIDATION_FEE_BPS - INSURANCE_FUND_FEE_BPS) // LIQUIDATION_FEE_BPS
    return fee - liquidator, liquidator


def _plan(position: Position, mark: int, step_size: int) -> LiquidationPlan | None:
    if not is_liquidatable(position, mark):
        return None
    half = partial_liquidation_size(position, step_size)
    if not position.partially_liquidated and half < position.size:
        partial = _partial_plan(position, mark, half)
        assert partial.position_after is not None
        if not is_liquidatable(partial.position_after, mark):
            return partial
    return _full_plan(position, mark)


def _partial_plan(position: Position, mark: int, size: int) -> LiquidationPlan:
    pnl = realised_pnl_of(position, size, mark)
    fee = _capped_fee(mark, size, position.collateral + pnl)
    insurance_fee, liquidator_fee = split_liquidation_fee(fee)
    rest = replace(
        position,
        size=position.size - size,
        collateral=position.collateral + pnl - fee,
        realised_pnl=position.realised_pnl + pnl,
        partially_liquidated=True,
    )
    return LiquidationPlan(
        account=position.account,
        symbol=position.symbol,
        side=position.side,
        mark=mark,
        closed_size=size,
        is_full=False,
        realised_pnl=pnl,
        fee=fee,
        insurance_fee=insurance_fee,
        liquidator_fee=liquidator_fee,
        forfeited_collateral=0,
        bad_debt=0,
        position_after=rest,
    )


def _full_plan(position: Position, mark: int) -> LiquidationPlan:
    pnl = realised_pnl_of(position, position.size, mark)
    equity = position.collateral + pnl
    fee = _capped_fee(mark, position.size, equity)
    insurance_fee, liquidator_fee = split_liquidation_fee(fee)
    return LiquidationPlan(
        account=position.account,
        symbol=position.symbol,
        side=position.side,
        mark=mark,
        closed_size=position.size,
        is_full=True,
        realised_pnl=pnl,
        fee=fee,
        insurance_fee=insurance_fee,
        liquidator_fee=liquidator_fee,
        forfeited_collateral=max(equity - fee, 0),
        bad_debt=max(-equity, 0),
        position_after=None,
    )


def _capped_fee(mark: int, size: int, equity: int) -> int:
    return min(fee_amount(mark, size, LIQUIDATION_FEE_BPS), max(equity, 0))
