"""Manipulation guard: flags index moves no ordinary market makes, for the circuit breaker.

Two rules from the issue and seed 004 ("Oracle Manipulation Protection"):
- SIGMA: a one-second move larger than 3 sigma of the last 5 minutes' one-second moves,
  and at least MIN_SIGMA_MOVE_BPS, so that a calm market's tiny sigma does not turn
  ordinary ticks into alarms;
- JUMP: more than 10 % in 60 seconds.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

SIGMA_WINDOW = timedelta(minutes=5)
SIGMA_LIMIT = 3.0
MIN_SIGMA_SAMPLES = 60
MIN_SIGMA_MOVE_BPS = 50
JUMP_WINDOW = timedelta(seconds=60)
JUMP_LIMIT_BPS = 1_000
SAMPLE_INTERVAL = timedelta(seconds=1)


class AnomalyKind(StrEnum):
    SIGMA = "SIGMA"
    JUMP = "JUMP"


@dataclass(frozen=True, slots=True)
class PriceAnomaly:
    asset: str
    kind: AnomalyKind
    price: int
    reference_price: int
    move_bps: int
    limit_bps: int
    at: datetime


class ManipulationGuard:
    """Watches one asset's index. Keeps running sums so each sample costs O(1)."""

    def __init__(self, asset: str) -> None:
        self.asset = asset
        self._samples: deque[tuple[datetime, int]] = deque()
        self._moves: deque[float] = deque()  # log return from the previous sample
        self._move_sum = 0.0
        self._move_square_sum = 0.0

    def observe(self, price: int, now: datetime) -> PriceAnomaly | None:
        """Feed the index; at most one sample a second is kept, and judged on arrival."""
        if self._samples and now - self._samples[-1][0] < SAMPLE_INTERVAL:
            return None
        anomaly = self._jump(price, now) or self._sigma(price, now)
        if self._samples:
            self._add_move(math.log(price / self._samples[-1][1]))
        self._samples.append((now, price))
        while self._samples and now - self._samples[0][0] > SIGMA_WINDOW:
            self._samples.popleft()
            if len(self._moves) >= len(self._samples):
                self._drop_oldest_move()
        return anomaly

    def _add_move(self, move: float) -> None:
        self._moves.append(move)
        self._move_sum += move
        self._move_square_sum += move * move

    def _drop_oldest_move(self) -> None:
        move = self._moves.popleft()
        self._move_sum -= move
        self._move_square_sum -= move * move

    def _jump(self, price: int, now: datetime) -> PriceAnomaly | None:
        window_start = now - JUMP_WINDOW
        recent = [p for when, p in reversed(self._samples) if when >= window_start]
        if not recent:
            return None
        # The largest move from any price of the last minute, not just from its start.
        for reference in (min(recent), max(recent)):
            move_bps = abs(price - reference) * 10_000 // reference
            if move_bps > JUMP_LIMIT_BPS:
                return PriceAnomaly(
                    self.asset, AnomalyKind.JUMP, price, reference, move_bps, JUMP_LIMIT_BPS, now
                )
        return None

    def _sigma(self, price: int, now: datetime) -> PriceAnomaly | None:
        count = len(self._moves)
        if count < MIN_SIGMA_SAMPLES:
            return None
        mean = self._move_sum / count
        variance = max(0.0, (self._move_square_sum - count * mean * mean) / (count - 1))
        previous = self._samples[-1][1]
        move_bps = round(abs(math.log(price / previous)) * 10_000)
        limit_bps = max(MIN_SIGMA_MOVE_BPS, math.ceil(SIGMA_LIMIT * math.sqrt(variance) * 10_000))
        if move_bps <= limit_bps:
            return None
        return PriceAnomaly(
            self.asset, AnomalyKind.SIGMA, price, previous, move_bps, limit_bps, now
        )
