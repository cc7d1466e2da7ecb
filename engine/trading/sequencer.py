"""The sequencer: the exchange's only writer.

Commands queue up; the sequencer takes everything waiting (up to a batch), numbers it,
applies it to the exchange, and writes the commands and the ledger entries they made in
one transaction. Only then does it answer the callers and publish the events. So an
acknowledged command is always in the journal, and a restart — replaying the journal into
a fresh exchange — rebuilds exactly the state the callers were told about. A failed write
leaves memory ahead of the database: while the database is unreachable the sequencer
retries that write (its callers wait; nobody else is applied meanwhile), and any other
failure stops it, so that the next start replays. Every SNAPSHOT_EVERY commands the state
is saved, so a start replays only what follows.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import structlog

from engine.clock import Clock
from engine.ledger import Ledger
from engine.ledger.model import EntryRequest
from engine.store.database import Database
from engine.store.journal import CommandJournal, JournaledCommand
from engine.store.outages import is_database_unreachable
from engine.trading.commands import Command, decode, encode
from engine.trading.exchange import Exchange, Outcome
from engine.trading.snapshot import restore_exchange, state_hash
from engine.trading.snapshot_writer import encode_snapshot

STREAM = "exchange"
# A snapshot every this many commands bounds a restart to replaying at most as many.
SNAPSHOT_EVERY = 20_000
MAX_BATCH = 512
# Events wait here for the bus; the engine never waits for subscribers. Past this many,
# the oldest are dropped (and counted) rather than holding the engine back.
OUTBOX_LIMIT = 20_000
REPLAY_CHUNK = 2_000
# A command sent by another process carries its request id into the journal under this key,
# so a new engine can tell which redelivered requests are already applied (engine/cluster).
REQUEST_FIELD = "_request"
# A batch whose write met an unreachable database is written again after these waits (the
# last one repeating): memory is ahead of the journal until it is, so nothing else goes on.
WRITE_RETRY_SECONDS = (0.1, 0.25, 0.5, 1.0)

Publish = Callable[[Outcome], Awaitable[None]]
Journaled = Callable[[int], None]
Replayed = Callable[[Outcome], None]

log = structlog.get_logger("godark.sequencer")


class SequencerStopped(RuntimeError):
    """The sequencer is not running (not started, stopped, or failed and awaiting restart)."""


@dataclass
class SequencerStats:
    """Running totals for /metrics: how much is journaled at a time, how long the batch's
    transaction takes (a command waits for its own batch's), and the snapshots."""

    batches: int = 0
    commands: int = 0
    write_seconds: float = 0.0
    snapshots: int = 0
    snapshot_failures: int = 0
    last_snapshot_sequence: int = 0


@dataclass
class _Pending:
    command: Command
    reply: asyncio.Future[Outcome]
    request: str | None = None
    # Set once the command is applied: from then on only the journal write decides it.
    taken: bool = False


class Sequencer:
    def __init__(
        self,
        exchange: Exchange,
        database: Database,
        ledger: Ledger,
        clock: Clock,
        publish: Publish | None = None,
        stream: str = STREAM,
        snapshot_every: int = SNAPSHOT_EVERY,
    ) -> None:
        self.exchange = exchange
        self._database = database
        self._journal = CommandJournal(database)
        self._ledger = ledger
        self._clock = clock
        self._publish = publish
        self._stream = stream
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._outbox: asyncio.Queue[Outcome] = asyncio.Queue(maxsize=OUTBOX_LIMIT)
        self._task: asyncio.Task[None] | None = None
        self._publisher: asyncio.Task[None] | None = None
        self.failed: BaseException | None = None
        self.dropped_publications = 0
        self._snapshot_every = snapshot_every
        self._snapshot_sequence = 0
        self._snapshotting: asyncio.Task[None] | None = None
        self.stats = SequencerStats()
        # Told the last sequence of each batch once it is committed (engine/cluster).
        self.on_journaled: Journaled | None = None
        # Shown each outcome the start-up replay recomputes (the stats count what they had
        # not saved before a stop or crash); published outcomes go to `publish` instead.
        self.on_replayed: Replayed | None = None

    async def start(self) -> int:
        """Replay the journal into the exchange, then accept commands. Returns how many
        commands were replayed."""
        replayed = await self._replay()
        self._task = asyncio.create_task(self._run(), name="sequencer")
        if self._publish is not None:
            self._publisher = asyncio.create_task(self._publish_events(), name="publisher")
        return replayed

    async def stop(self) -> None:
        if self._snapshotting is not None:
            # Bounded (one encoding of the state): let it finish rather than leave a child.
            with contextlib.suppress(Exception):
                await self._snapshotting
            self._snapshotting = None
        if self._publisher is not None:
            self._publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publisher
            self._publisher = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        while not self._queue.empty():
            pending = self._queue.get_nowait()
            if not pending.reply.done():
                pending.reply.set_exception(SequencerStopped("the engine is shutting down"))

    async def submit(
        self, command: Command, request: str | None = None, *, queue_timeout: float | None = None
    ) -> Outcome:
        """`request`: the sender's request id, journaled with the command (engine/cluster).

        `queue_timeout`: how long the command may wait for its turn (the queue backs up while
        the database is unreachable). Past it the command is withdrawn, never applied, and
        SequencerStopped raised; a command already applied is answered when it is journaled.
        """
        if self._task is None or self._task.done():
            raise SequencerStopped("the engine is not accepting commands")
        reply: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        pending = _Pending(command, reply, request)
        self._queue.put_nowait(pending)
        if queue_timeout is None:
            return await reply  # a cancelled caller cancels `reply`: skipped, or not answered
        try:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow the caller's
            # cancellation when the reply lands at the same moment, and a driver stopped then
            # would run on and hang its stop() forever.
            async with asyncio.timeout(queue_timeout):
                return await asyncio.shield(reply)
        except TimeoutError:
            if pending.taken:
                return await reply
            reply.cancel()  # skipped when its turn comes
            raise SequencerStopped("the engine is busy; the command was not applied") from None
        except asyncio.CancelledError:
            _abandon(pending)
            raise

    async def _restore_snapshot(self) -> None:
        restored = await restore_latest_snapshot(self._journal, self._stream, self.exchange)
        if restored is not None:
            self.exchange = restored
            self._snapshot_sequence = restored.sequence
            self.stats.last_snapshot_sequence = restored.sequence

    def _start_snapshot(self) -> None:
        """A snapshot of the state after the batch just journaled, encoded while the
        sequencer goes on (engine/trading/snapshot_writer.py); one at a time."""
        if self._snapshotting is not None and not self._snapshotting.done():
            return
        sequence = self._snapshot_sequence = self.exchange.sequence
        try:
            # Here, between batches, memory is exactly what is journaled: the encoder is
            # forked now, not when the task first runs.
            encoding = encode_snapshot(self.exchange)
        except OSError as error:
            self.stats.snapshot_failures += 1
            log.warning("snapshot_failed", sequence=sequence, error=type(error).__name__)
            return
        self._snapshotting = asyncio.create_task(
            self._save_snapshot(sequence, encoding), name="snapshot"
        )

    async def _save_snapshot(
        self, sequence: int, encoding: Coroutine[Any, Any, tuple[str, str]]
    ) -> None:
        try:
            encoded, digest = await encoding
            await self._journal.save_encoded_snapshot(
                self._stream, sequence, encoded, digest, self._clock.now()
            )
        except Exception as error:  # a snapshot only shortens the next start's replay
            self.stats.snapshot_failures += 1
            log.warning("snapshot_failed", sequence=sequence, error=type(error).__name__)
            return
        self.stats.snapshots += 1
        self.stats.last_snapshot_sequence = sequence
        log.info("snapshot_saved", sequence=sequence)

    async def _replay(self) -> int:
        await self._restore_snapshot()
        count = 0
        after = self.exchange.sequence
        while True:
            commands = await self._journal.read(self._stream, after=after, limit=REPLAY_CHUNK)
            for journaled in commands:
                outcome = self.exchange.apply(journaled.sequence, journaled_command(journaled))
                if self.on_replayed is not None:
                    self.on_replayed(outcome)
                count += 1
            after = self.exchange.sequence
            # The entries were stored with their commands; storing them again skips every
            # one, and keeps the engine's queue of entries empty for the first batch.
            async with self._database.transaction() as connection:
                await self._ledger.post_batch(
                    connection, self.exchange.ledger.drain(), self._clock.now()
                )
            if len(commands) < REPLAY_CHUNK:
                break
        if count:
            log.info("journal_replayed", commands=count, sequence=self.exchange.sequence)
        return count

    async def _run(self) -> None:
        try:
            while True:
                batch = [await self._queue.get()]
                while len(batch) < MAX_BATCH and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                # A command whose caller gave up waiting (queue_timeout) is not applied.
                batch = [pending for pending in batch if not pending.reply.done()]
                if batch:
                    await self._process(batch)
        except asyncio.CancelledError:
            raise
        except BaseException as error:
            self.failed = error
            log.exception("sequencer_failed")
            while not self._queue.empty():
                pending = self._queue.get_nowait()
                if not pending.reply.done():
                    pending.reply.set_exception(SequencerStopped("the engine stopped"))
            raise

    async def _process(self, batch: list[_Pending]) -> None:
        outcomes: list[Outcome] = []
        journaled: list[JournaledCommand] = []
        try:
            for pending in batch:
                sequence = self.exchange.sequence + 1
                pending.taken = True
                outcomes.append(self.exchange.apply(sequence, pending.command))
                kind, payload = encode(pending.command)
                if pending.request is not None:
                    payload[REQUEST_FIELD] = pending.request
                journaled.append(
                    JournaledCommand(self._stream, sequence, kind, payload, self._clock.now())
                )
            started = time.perf_counter()
            await self._write(journaled, self.exchange.ledger.drain())
            self.stats.write_seconds += time.perf_counter() - started
            self.stats.batches += 1
            self.stats.commands += len(journaled)
        except BaseException as error:
            for pending in batch:
                if not pending.reply.done():
                    pending.reply.set_exception(SequencerStopped("the engine stopped"))
            raise error
        if self.on_journaled is not None:
            self.on_journaled(self.exchange.sequence)
        for pending, outcome in zip(batch, outcomes, strict=True):
            if not pending.reply.done():
                pending.reply.set_result(outcome)
        if self._publish is not None:
            for outcome in outcomes:
                if outcome.events:
                    self._enqueue(outcome)
        if self.exchange.sequence - self._snapshot_sequence >= self._snapshot_every:
            self._start_snapshot()

    async def _write(self, journaled: list[JournaledCommand], entries: list[EntryRequest]) -> None:
        """The batch's commands and ledger entries in one transaction, written again until
        the database takes them whenever it is unreachable."""
        attempt = 0
        while True:
            try:
                async with self._database.transaction() as connection:
                    await self._journal.append_in(connection, journaled)
                    await self._ledger.post_batch(connection, entries, self._clock.now())
                return
            except Exception as error:
                if not is_database_unreachable(error):
                    raise
                failure = error
            # Ids of ledger accounts opened by the rolled-back transaction do not exist.
            self._ledger.forget_account_ids()
            delay = WRITE_RETRY_SECONDS[min(attempt, len(WRITE_RETRY_SECONDS) - 1)]
            attempt += 1
            log.warning(
                "journal_write_retrying",
                error=type(failure).__name__,
                sequence=journaled[-1].sequence,
                attempt=attempt,
            )
            await asyncio.sleep(delay)
            if await self._written(journaled[-1]):
                return  # the lost connection had committed it after all

    async def _written(self, last: JournaledCommand) -> bool:
        try:
            return await self._journal.last_sequence(last.stream) >= last.sequence
        except Exception as error:
            if is_database_unreachable(error):
                return False
            raise

    def _enqueue(self, outcome: Outcome) -> None:
        if self._outbox.full():
            self._outbox.get_nowait()
            self.dropped_publications += 1
        self._outbox.put_nowait(outcome)

    async def _publish_events(self) -> None:
        assert self._publish is not None
        while True:
            outcome = await self._outbox.get()
            try:
                await self._publish(outcome)
            except Exception:  # a bus that is down must never stop the engine
                log.warning("event_publication_failed", sequence=outcome.sequence)


def _abandon(pending: _Pending) -> None:
    """The caller stopped waiting (its task was cancelled, e.g. at shutdown). The shield
    keeps `reply` alive, so: a command not applied yet is withdrawn like a timed-out one; an
    applied one is answered to nobody, and its failure (the engine stopping mid-write) is
    marked seen rather than logged as "Future exception was never retrieved"."""
    if not pending.taken:
        pending.reply.cancel()
        return
    pending.reply.add_done_callback(_mark_retrieved)


def _mark_retrieved(reply: asyncio.Future[Outcome]) -> None:
    if not reply.cancelled():
        reply.exception()


async def restore_latest_snapshot(
    journal: CommandJournal, stream: str, empty: Exchange
) -> Exchange | None:
    """The exchange as of the stream's latest snapshot, or None (no snapshot, or one that does
    not restore to its hash). `empty` gives the markets and the protection policy. Shared
    with the read replicas."""
    snapshot = await journal.latest_snapshot(stream)
    if snapshot is None:
        return None
    restored = restore_exchange(
        list(empty.markets.values()), snapshot.state, empty.protection.policy
    )
    if state_hash(restored) != snapshot.state_hash:
        # A snapshot that does not restore to what was saved is not trusted: the whole
        # journal is replayed instead, which is slower but always right.
        log.error("snapshot_mismatch", sequence=snapshot.sequence)
        return None
    log.info("snapshot_restored", sequence=snapshot.sequence)
    return restored


def journaled_command(journaled: JournaledCommand) -> Command:
    """The command of a journal row, without the request id a cluster sender added."""
    payload = {k: v for k, v in journaled.payload.items() if k != REQUEST_FIELD}
    return decode(journaled.kind, payload)


def journaled_request(journaled: JournaledCommand) -> str | None:
    request = journaled.payload.get(REQUEST_FIELD)
    return None if request is None else str(request)


def describe(outcome: Outcome) -> dict[str, Any]:
    return {"sequence": outcome.sequence, "accepted": outcome.accepted, "code": outcome.code}
