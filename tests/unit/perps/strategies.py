"""Hypothesis strategies for positions across the whole range the engine accepts."""

from __future__ import annotations

from hypothesis import strategies as st

from engine.perps.position import Position, Side
from engine.perps.units import NOTIONAL_DIVISOR
from tests.unit.perps.helpers import BTC

sides = st.sampled_from([Side.LONG, Side.SHORT])
# 1 base unit up to 10,000 whole units of the base asset.
sizes = st.integers(min_value=1, max_value=10**12)
# 1e-10 USDT up to 10,000,000 USDT.
prices = st.integers(min_value=1, max_value=10**17)
maintenance_ratios = st.integers(min_value=0, max_value=499)
ticks = st.sampled_from([1, 7, 10**4, 10**6, 10**8, 10**9, 10**10])


@st.composite
def positions(draw: st.DrawFn, symbol: str = BTC, account: str = "alice") -> Position:
    side = draw(sides)
    size = draw(sizes)
    entry = draw(prices)
    notional = max(1, size * entry // NOTIONAL_DIVISOR)
    # From a little negative (funding) to twice the notional (over-collateralised).
    collateral = draw(st.integers(min_value=-notional // 10, max_value=2 * notional))
    return Position(
        account=account,
        symbol=symbol,
        side=side,
        size=size,
        entry_price=entry,
        collateral=collateral,
        leverage=draw(st.integers(min_value=1, max_value=1000)),
        initial_margin_bps=500,
        maintenance_margin_bps=draw(maintenance_ratios),
    )
