"""Keeps the public statistics up to date and on disk.

Fed every outcome the sequencer commits (the same events it publishes), and at start every
outcome its journal replay recomputes. The saved days carry the sequence of the last
command they count, so a restart loads them, skips the replayed commands they already
count and adds the rest: the figures after a crash are the ones before it. Saved every
FLUSH_INTERVAL and on stop; settlement batches come from the public `settlements` topic.

Why not rebuild everything from the journal at each start: that would replay the whole
history from the first command (snapshots only keep the latest state), which grows without
bound; loading a few rows per market and day and replaying the tail is cheap and exact.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import datetime, timedelta

import structlog

from engine.bus import EventBus
from engine.bus.base import Event
from engine.clock import Clock
from engine.settlement.service import SETTLEMENTS_TOPIC
from engine.stats.execution import ExecutionStats
from engine.stats.store import StatsStore
from engine.stats.uptime import Run
from engine.store.database import Database
from engine.trading.exchange import Outcome

# How often the statistics are saved: a crash loses none of them (the journal replay adds
# back what was not saved), but downtime is measured from the last save.
FLUSH_INTERVAL = timedelta(seconds=5)
RETRY_SECONDS = 2.0
log = structlog.get_logger("godark.stats")


class StatsRecorder:
    def __init__(self, database: Database, clock: Clock, bus: EventBus | None = None) -> None:
        self._store = StatsStore(database)
        self._clock = clock
        self._bus = bus
        self.stats = ExecutionStats()
        self.started_at: datetime | None = None
        self.through_sequence = 0  # the last command counted
        self._previous_runs: list[Run] = []
        self._run_id = uuid.uuid4().hex
        self._tasks: list[asyncio.Task[None]] = []

    async def load(self) -> None:
        """Before the sequencer starts, so its replay is counted from where the saved
        figures end. Starts this run's record."""
        saved = await self._store.load()
        self.stats = ExecutionStats(saved.days)
        self.through_sequence = saved.through_sequence
        self._previous_runs = saved.runs
        self.started_at = self._clock.now()
        await self._store.begin_run(self._run_id, self.started_at, self.through_sequence)
        log.info("stats_loaded", days=len(saved.days), through_sequence=self.through_sequence)

    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._flush_periodically(), name="stats-flush"))
        if self._bus is not None:
            follower = asyncio.create_task(self._follow_settlements(), name="stats-batches")
            self._tasks.append(follower)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self.started_at is not None:
            try:
                await self.flush()
            except Exception as error:
                # The next start counts again what the journal replays past the last saved
                # sequence (docs/stats.md has the one gap); a stop must not fail over it.
                log.warning("stats_final_flush_failed", error=type(error).__name__)

    def observe(self, outcome: Outcome) -> None:
        """A committed (or replayed) command's outcome; never raises into the engine."""
        if outcome.sequence <= self.through_sequence:
            return  # already in the saved figures
        try:
            self.stats.observe(outcome.events)
        except Exception:
            log.exception("stats_outcome_unreadable", sequence=outcome.sequence)
        self.through_sequence = outcome.sequence

    @property
    def runs(self) -> list[Run]:
        """Every run so far, this one last (alive now)."""
        now = self._clock.now()
        current = [] if self.started_at is None else [Run(self.started_at, now)]
        return [*self._previous_runs, *current]

    async def flush(self) -> None:
        changed = self.stats.take_changed()
        try:
            await self._store.save(changed, self._run_id, self._clock.now(), self.through_sequence)
        except Exception:
            self.stats.mark_changed(changed)
            raise

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL.total_seconds())
            try:
                await self.flush()
            except Exception as error:  # the database may be back next time
                log.warning("stats_flush_failed", error=type(error).__name__)

    def record_batch(self, event: Event) -> None:
        """One `SettlementBatchChanged` message: counts confirmations and failures."""
        status = event.get("status")
        if status == "CONFIRMED" and event.get("confirmed_at"):
            self.stats.record_settlement(
                datetime.fromisoformat(str(event["created_at"])),
                datetime.fromisoformat(str(event["confirmed_at"])),
            )
        elif status == "FAILED":
            self.stats.record_settlement(self._clock.now(), None)

    async def _follow_settlements(self) -> None:
        """A bus that is down is retried rather than ending the follower."""
        assert self._bus is not None
        while True:
            try:
                async with self._bus.subscribe(SETTLEMENTS_TOPIC) as events:
                    async for event in events:
                        try:
                            self.record_batch(event)
                        except (KeyError, TypeError, ValueError):
                            log.warning("stats_batch_unreadable")
            except Exception as error:  # a traceback every retry would drown the log
                log.warning("stats_settlements_unavailable", error=type(error).__name__)
            await asyncio.sleep(RETRY_SECONDS)
