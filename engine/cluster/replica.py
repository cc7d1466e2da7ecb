"""A read replica of the exchange in an API process.

It starts like the sequencer (latest snapshot, then the journal after it) and then follows the
command journal, applying each command with `Exchange.apply`: deterministic, so it holds the
engine's state and produces the same Outcome for every sequence. It never writes. The engine's
`journaled` notification wakes it at once; a poll every second covers a lost notification.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import datetime

import structlog
from redis.asyncio import Redis

from engine.clock import Clock
from engine.store.database import Database
from engine.store.journal import CommandJournal
from engine.store.markets import load_markets
from engine.trading.exchange import Exchange, Outcome
from engine.trading.sequencer import (
    REPLAY_CHUNK,
    STREAM,
    journaled_command,
    restore_latest_snapshot,
)

POLL_SECONDS = 1.0
# Outcomes kept for callers that learn their sequence after the replica applied it.
RECENT_OUTCOMES = 20_000
LAG_SAMPLES = 1_000
LAG_LOG_SECONDS = 30.0

log = structlog.get_logger("godark.cluster.replica")


class ReplicaBehind(RuntimeError):
    """The replica did not reach a sequence in time."""


class JournalReplica:
    def __init__(self, database: Database, clock: Clock, stream: str = STREAM) -> None:
        self._database = database
        self._journal = CommandJournal(database)
        self._clock = clock
        self._stream = stream
        self.exchange = Exchange([])
        self._recent: OrderedDict[int, Outcome] = OrderedDict()
        self._waiting: dict[int, list[asyncio.Future[Outcome]]] = {}
        self._nudged = asyncio.Event()
        self._lock = asyncio.Lock()
        self._follower: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        # Journal commit (the engine's clock) to applied here, in milliseconds.
        self.lags_ms: deque[float] = deque(maxlen=LAG_SAMPLES)
        self._lag_logged_at = 0.0
        # The newest sequence the engine is known to have journaled, and since when (this
        # process's clock) the replica has been short of it: the lag /metrics reports.
        self.head = 0
        self._behind_since: datetime | None = None
        # Shown every outcome applied, the start-up replay's too (the stats follower counts
        # what the engine's saved statistics do not yet): must not raise.
        self.on_applied: Callable[[Outcome], None] | None = None

    @property
    def sequence(self) -> int:
        return self.exchange.sequence

    async def start(self, redis: Redis | None = None, channel: str | None = None) -> int:
        """Restore and catch up (returns the commands replayed), then follow."""
        empty = Exchange(await load_markets(self._database))
        restored = await restore_latest_snapshot(self._journal, self._stream, empty)
        self.exchange = restored if restored is not None else empty
        replayed = await self.catch_up(record=False)
        log.info("replica_started", replayed=replayed, sequence=self.sequence)
        self._follower = asyncio.create_task(self._follow(), name="replica-follower")
        if redis is not None and channel is not None:
            self._listener = asyncio.create_task(self._listen(redis, channel), name="replica-nudge")
        return replayed

    async def stop(self) -> None:
        for task in (self._listener, self._follower):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._listener = self._follower = None
        for futures in self._waiting.values():
            for future in futures:
                if not future.done():
                    future.set_exception(ReplicaBehind("the replica stopped"))
        self._waiting.clear()

    def nudge(self) -> None:
        self._nudged.set()

    @property
    def commands_behind(self) -> int:
        """Journaled commands the engine announced that this replica has not applied yet."""
        return max(0, self.head - self.sequence)

    @property
    def seconds_behind(self) -> float:
        """How long the replica has been short of the engine's journal; 0 when caught up."""
        if self._behind_since is None or self.commands_behind == 0:
            return 0.0
        return max(0.0, (self._clock.now() - self._behind_since).total_seconds())

    def journaled(self, sequence: int) -> None:
        """The engine says it journaled up to `sequence`."""
        if sequence > self.head:
            self.head = sequence
            if self._behind_since is None and sequence > self.sequence:
                self._behind_since = self._clock.now()
        self._nudged.set()

    def _caught_up_to(self, sequence: int) -> None:
        """A read of the journal came back short: nothing after `sequence` was journaled."""
        self.head = max(self.head, sequence)
        if self.sequence >= self.head:
            self._behind_since = None

    async def outcome_of(self, sequence: int, wait_seconds: float) -> Outcome:
        """The Outcome of `sequence`, once the replica has applied it."""
        if sequence <= self.sequence:
            return self._recent.get(sequence) or Outcome(sequence)
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(sequence, []).append(future)
        self.nudge()
        try:
            async with asyncio.timeout(wait_seconds):
                return await future
        except TimeoutError:
            raise ReplicaBehind(
                f"sequence {sequence} not applied within {wait_seconds} s"
            ) from None

    async def catch_up(self, record: bool = True) -> int:
        async with self._lock:
            count = 0
            while True:
                rows = await self._journal.read(
                    self._stream, after=self.sequence, limit=REPLAY_CHUNK
                )
                for row in rows:
                    outcome = self.exchange.apply(row.sequence, journaled_command(row))
                    if self.on_applied is not None:
                        self.on_applied(outcome)
                    if record:
                        self._remember(outcome, row.recorded_at)
                # The replica stores nothing: its copy of the ledger's entries is dropped.
                self.exchange.ledger.drain()
                count += len(rows)
                if len(rows) < REPLAY_CHUNK:
                    self._caught_up_to(self.sequence)
                    return count

    def _remember(self, outcome: Outcome, journaled_at: datetime) -> None:
        self._recent[outcome.sequence] = outcome
        if len(self._recent) > RECENT_OUTCOMES:
            self._recent.popitem(last=False)
        for future in self._waiting.pop(outcome.sequence, ()):
            if not future.done():
                future.set_result(outcome)
        self.lags_ms.append((self._clock.now() - journaled_at).total_seconds() * 1000)

    def lag_summary(self) -> dict[str, float]:
        samples = sorted(self.lags_ms)
        if not samples:
            return {}
        return {
            "samples": len(samples),
            "p50_ms": round(statistics.median(samples), 2),
            "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 2),
            "max_ms": round(samples[-1], 2),
        }

    async def _follow(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(POLL_SECONDS):
                    await self._nudged.wait()
            self._nudged.clear()
            try:
                await self.catch_up()
            except Exception:  # the database away for a moment: the next poll retries
                log.warning("replica_catch_up_failed", exc_info=True)
                await asyncio.sleep(POLL_SECONDS)
            self._log_lag()

    def _log_lag(self) -> None:
        loop_time = asyncio.get_running_loop().time()
        if loop_time - self._lag_logged_at >= LAG_LOG_SECONDS and self.lags_ms:
            self._lag_logged_at = loop_time
            log.info("replica_lag", sequence=self.sequence, **self.lag_summary())

    def _announced(self, data: bytes | str) -> None:
        try:
            self.journaled(int(data))
        except ValueError:
            self._nudged.set()

    async def _listen(self, redis: Redis, channel: str) -> None:
        """Wake the follower when the engine says a batch is journaled."""
        while True:
            pubsub = redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(channel)
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self._announced(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("replica_nudges_unavailable", error=type(error).__name__)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(POLL_SECONDS)
