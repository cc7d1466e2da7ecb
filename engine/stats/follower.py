"""The public statistics in an API process: the engine's saved days plus what this process's
read replica applied since the last save.

The engine's recorder (recorder.py) saves every FLUSH_INTERVAL, with the sequence of the last
command the saved days count. This follower reloads them as often and adds the outcomes its
replica applied after that sequence, exactly as the engine's recorder adds its journal replay
after a restart; so its figures are the engine's, up to the replica's lag. What comes from
the bus rather than the journal (settlement batches) and the engine's runs (uptime) are only
in the saved rows: at most FLUSH_INTERVAL (plus a refresh) stale.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from datetime import datetime

import structlog

from engine.clock import Clock
from engine.stats.execution import ExecutionStats
from engine.stats.recorder import FLUSH_INTERVAL
from engine.stats.store import SavedStats, StatsStore
from engine.stats.uptime import Run
from engine.store.database import Database
from engine.trading.events import EngineEvent, OrderEntered, OrderFill, OrderUpdated, TradePrinted
from engine.trading.exchange import Outcome

REFRESH_INTERVAL = FLUSH_INTERVAL
# Outcomes applied since the last save, kept to add to the next load. Past this many (the
# engine has not saved for a long while) the oldest go: the figures then lag behind until
# the engine saves again.
UNSAVED_OUTCOMES = 200_000
COUNTED = (TradePrinted, OrderEntered, OrderFill, OrderUpdated)

log = structlog.get_logger("godark.stats")


class SavedStatsFollower:
    """Reads like StatsRecorder (`stats`, `started_at`, `runs`) and never writes."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._store = StatsStore(database)
        self._clock = clock
        self.stats = ExecutionStats()
        self._saved = SavedStats({}, [], 0)
        self._unsaved: deque[tuple[int, tuple[EngineEvent, ...]]] = deque(maxlen=UNSAVED_OUTCOMES)
        self._task: asyncio.Task[None] | None = None

    @property
    def through_sequence(self) -> int:
        """The last command the saved days count."""
        return self._saved.through_sequence

    @property
    def started_at(self) -> datetime | None:
        """When the engine's latest run started."""
        return self._saved.runs[-1].started_at if self._saved.runs else None

    @property
    def runs(self) -> list[Run]:
        """The engine's runs as last saved (each one's last sign of life)."""
        return list(self._saved.runs)

    async def load(self) -> None:
        """The engine's latest save. First before the replica starts, so that its start-up
        replay is added from the saved point; then every REFRESH_INTERVAL."""
        self._apply(await self._store.load())

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._refresh_periodically(), name="stats-follower")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def observe(self, outcome: Outcome) -> None:
        """An outcome the replica applied; never raises into the replica."""
        if outcome.sequence <= self.through_sequence:
            return  # already in the saved figures
        events = tuple(event for event in outcome.events if isinstance(event, COUNTED))
        if not events:
            return
        self._unsaved.append((outcome.sequence, events))
        self._count(outcome.sequence, events)

    def _apply(self, saved: SavedStats) -> None:
        """The saved figures, then the outcomes applied here that they do not count yet."""
        self._saved = saved
        while self._unsaved and self._unsaved[0][0] <= saved.through_sequence:
            self._unsaved.popleft()
        self.stats = ExecutionStats(saved.days)
        for sequence, events in self._unsaved:
            self._count(sequence, events)

    def _count(self, sequence: int, events: tuple[EngineEvent, ...]) -> None:
        try:
            self.stats.observe(events)
        except Exception:
            log.exception("stats_outcome_unreadable", sequence=sequence)

    async def _refresh_periodically(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_INTERVAL.total_seconds())
            try:
                await self.load()
            except Exception as error:  # the database may be back next time
                log.warning("stats_refresh_failed", error=type(error).__name__)
