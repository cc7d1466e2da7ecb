"""The sequencer: the exchange's only writer.

Commands queue up; the sequencer takes everything waiting (up to a batch), numbers it,
applies it to the exchange, and writes the commands and the ledger entries they made in
one transaction. Only then does it answer the callers and publish the events. So an
acknowledged command is always in the journal, and a restart — replaying the journal into
a fresh exchange — rebuilds exactly the state the callers were told about. A failed write
leaves memory ahead of the database: the sequencer stops, and the next start replays.
Every SNAPSHOT_EVERY commands the state is saved, so a start replays only what follows.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog

from engine.clock import Clock
from engine.ledger import Ledger
from engine.store.database import Database
from engine.store.journal import CommandJournal, JournaledCommand, Snapshot
from engine.trading.commands import Command, decode, encode
from engine.trading.exchange import Exchange, Outcome
from engine.trading.snapshot import restore_exchange, snapshot_exchange, state_hash

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

Publish = Callable[[Outcome], Awaitable[None]]
Journaled = Callable[[int], None]

log = structlog.get_logger("godark.sequencer")


class SequencerStopped(RuntimeError):
    """The sequencer is not running (not started, stopped, or failed and awaiting restart)."""


@dataclass
class _Pending:
    command: Command
    reply: asyncio.Future[Outcome]
    request: str | None = None


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
        # Told the last sequence of each batch once it is committed (engine/cluster).
        self.on_journaled: Journaled | None = None

    async def start(self) -> int:
        """Replay the journal into the exchange, then accept commands. Returns how many
        commands were replayed."""
        replayed = await self._replay()
        self._task = asyncio.create_task(self._run(), name="sequencer")
        if self._publish is not None:
            self._publisher = asyncio.create_task(self._publish_events(), name="publisher")
        return replayed

    async def stop(self) -> None:
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

    async def submit(self, command: Command, request: str | None = None) -> Outcome:
        """`request`: the sender's request id, journaled with the command (engine/cluster)."""
        if self._task is None or self._task.done():
            raise SequencerStopped("the engine is not accepting commands")
        reply: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(command, reply, request))
        return await reply

    async def _restore_snapshot(self) -> None:
        restored = await restore_latest_snapshot(self._journal, self._stream, self.exchange)
        if restored is not None:
            self.exchange = restored
            self._snapshot_sequence = restored.sequence

    async def _take_snapshot(self) -> None:
        data = snapshot_exchange(self.exchange)
        digest = state_hash(self.exchange)
        sequence = self.exchange.sequence
        await self._journal.save_snapshot(
            Snapshot(self._stream, sequence, data, digest), self._clock.now()
        )
        self._snapshot_sequence = sequence
        log.info("snapshot_saved", sequence=sequence)

    async def _replay(self) -> int:
        await self._restore_snapshot()
        count = 0
        after = self.exchange.sequence
        while True:
            commands = await self._journal.read(self._stream, after=after, limit=REPLAY_CHUNK)
            for journaled in commands:
                self.exchange.apply(journaled.sequence, journaled_command(journaled))
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
                outcomes.append(self.exchange.apply(sequence, pending.command))
                kind, payload = encode(pending.command)
                if pending.request is not None:
                    payload[REQUEST_FIELD] = pending.request
                journaled.append(
                    JournaledCommand(self._stream, sequence, kind, payload, self._clock.now())
                )
            entries = self.exchange.ledger.drain()
            async with self._database.transaction() as connection:
                await self._journal.append_in(connection, journaled)
                await self._ledger.post_batch(connection, entries, self._clock.now())
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
            await self._take_snapshot()

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


async def restore_latest_snapshot(
    journal: CommandJournal, stream: str, empty: Exchange
) -> Exchange | None:
    """The exchange as of the stream's latest snapshot, or None (no snapshot, or one that does
    not restore to its hash). `empty` gives the markets. Shared with the read replicas."""
    snapshot = await journal.latest_snapshot(stream)
    if snapshot is None:
        return None
    restored = restore_exchange(list(empty.markets.values()), snapshot.state)
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
