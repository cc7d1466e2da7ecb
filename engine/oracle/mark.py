"""Mark price: what margin, PnL and liquidations use. Robust to one bad input.

mark = median(index + EMA_150s(basis), median(ref bid, ref ask, last trade), ref mid),
clamped to index ± MARK_BAND_BPS. The basis is our last perp trade minus the index;
before any trade it is zero. This follows Hyperliquid's mark rule, with the lit
reference market standing in for an order book we keep dark (docs/oracle.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.oracle.nbbo import ReferenceQuote

BASIS_EMA_HALF_LIFE = timedelta(seconds=150)
# A trade older than this says nothing about where the perp trades now.
LAST_TRADE_RELEVANCE = timedelta(seconds=150)
MARK_BAND_BPS = 100
EMA_SCALE = 1_000_000


@dataclass
class MarkPriceTracker:
    """Keeps the basis EMA and the last trade of one market between updates."""

    band_bps: int = MARK_BAND_BPS
    basis_ema: int = 0
    last_trade_price: int | None = None
    last_trade_time: datetime | None = None
    last_update: datetime | None = None

    def record_trade(self, price: int, when: datetime) -> None:
        self.last_trade_price = price
        self.last_trade_time = when

    def update(self, index: int, reference: ReferenceQuote, now: datetime) -> int:
        last_trade = self._relevant_trade(now)
        self._update_basis(0 if last_trade is None else last_trade - index, now)
        oracle_component = index + self.basis_ema
        if reference.tradable and reference.bid is not None and reference.ask is not None:
            last = last_trade if last_trade is not None else reference.mid
            assert last is not None
            book_component = _median3(reference.bid, reference.ask, last)
            reference_mid = reference.mid
            assert reference_mid is not None
        else:
            book_component = last_trade if last_trade is not None else index
            reference_mid = index
        mark = _median3(oracle_component, book_component, reference_mid)
        return self._clamp(mark, index)

    def _relevant_trade(self, now: datetime) -> int | None:
        if self.last_trade_time is None or now - self.last_trade_time > LAST_TRADE_RELEVANCE:
            return None
        return self.last_trade_price

    def _update_basis(self, basis: int, now: datetime) -> None:
        if self.last_update is None:
            self.basis_ema = basis
        else:
            elapsed = (now - self.last_update).total_seconds()
            # A half-life makes the EMA independent of how often update() is called.
            alpha = 1.0 - math.pow(0.5, elapsed / BASIS_EMA_HALF_LIFE.total_seconds())
            alpha_scaled = round(alpha * EMA_SCALE)
            self.basis_ema += (basis - self.basis_ema) * alpha_scaled // EMA_SCALE
        self.last_update = now

    def _clamp(self, mark: int, index: int) -> int:
        band = index * self.band_bps // 10_000
        return max(index - band, min(index + band, mark))


def _median3(a: int, b: int, c: int) -> int:
    return sorted((a, b, c))[1]
