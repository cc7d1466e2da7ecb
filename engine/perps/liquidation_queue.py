"""Liquidation queue (seed 004, section 5, Layer 4): most urgent first, at most 10 at a time,
then a 1 s cool-down, so one price move cannot set off a cascade of liquidations.

Urgency is the seed's "lowest margin ratio first": closest to bankruptcy (ratio 0) first;
ties go to the larger notional, then the position id. A release of any size starts the
cool-down; time is passed in.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from engine.perps.margin import margin_ratio
from engine.perps.position import Position
from engine.perps.units import notional_ceil

# Seed 004, section 5, Layer 4: MAX_CONCURRENT = 10, COOLDOWN_MS = 1000.
MAX_LIQUIDATIONS_PER_BATCH = 10
LIQUIDATION_COOLDOWN = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class QueuedLiquidation:
    position_id: str
    margin_ratio: Fraction
    notional: int  # micro-USDT at the mark that queued it

    @property
    def urgency_key(self) -> tuple[Fraction, int, str]:
        return (self.margin_ratio, -self.notional, self.position_id)

    @classmethod
    def of(cls, position: Position, mark: int) -> QueuedLiquidation:
        return cls(
            position.position_id,
            margin_ratio(position, mark),
            notional_ceil(mark, position.size),
        )


class LiquidationQueue:
    def __init__(
        self,
        max_batch: int = MAX_LIQUIDATIONS_PER_BATCH,
        cooldown: timedelta = LIQUIDATION_COOLDOWN,
    ) -> None:
        self.max_batch = max_batch
        self.cooldown = cooldown
        self._entries: dict[str, QueuedLiquidation] = {}
        # (urgency, push number, entry); re-ranked and discarded entries stay until popped.
        self._heap: list[tuple[tuple[Fraction, int, str], int, QueuedLiquidation]] = []
        self._pushes = 0
        self._last_release: datetime | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, position_id: object) -> bool:
        return position_id in self._entries

    def push(self, entry: QueuedLiquidation) -> None:
        """Queue, or re-rank a position already queued (the newest figures win)."""
        self._entries[entry.position_id] = entry
        self._pushes += 1
        heapq.heappush(self._heap, (entry.urgency_key, self._pushes, entry))
        if len(self._heap) > 2 * len(self._entries) + 64:
            self._compact()

    def discard(self, position_id: str) -> None:
        """Forget a position that recovered or closed; its heap entry goes stale."""
        self._entries.pop(position_id, None)

    def next_release(self) -> datetime | None:
        """The earliest time pop_batch can release anything (None: any time)."""
        return None if self._last_release is None else self._last_release + self.cooldown

    def pop_batch(self, now: datetime) -> tuple[QueuedLiquidation, ...]:
        """Up to max_batch most urgent entries, or nothing while cooling down."""
        ready_at = self.next_release()
        if ready_at is not None and now < ready_at:
            return ()
        batch: list[QueuedLiquidation] = []
        while self._heap and len(batch) < self.max_batch:
            _, _, entry = heapq.heappop(self._heap)
            if self._entries.get(entry.position_id) is entry:
                del self._entries[entry.position_id]
                batch.append(entry)
        if batch:
            self._last_release = now
        return tuple(batch)

    def _compact(self) -> None:
        live = self._entries
        self._heap = [item for item in self._heap if live.get(item[2].position_id) is item[2]]
        heapq.heapify(self._heap)
