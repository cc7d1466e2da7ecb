"""The engine's side of the cluster: commands from the API processes' Redis Stream into the
sequencer, answers back, and a nudge to the replicas after every journaled batch.

Exactly once: an entry is acknowledged (XACK) only after its command is journaled, so a crash
redelivers it to the next leaseholder (they all read as one consumer name). The command was
journaled with its request id (`REQUEST_FIELD`), so the new engine first reads the request
ids the journal holds since the oldest redelivered entry was sent and answers those with the
sequence already given instead of applying them again. While running, a bounded map of
recent request ids does the same for a sender that retried an XADD.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError
from sqlalchemy import select

from engine.cluster import ENGINE_CONSUMER, ENGINE_GROUP, ClusterKeys
from engine.store.database import Database
from engine.store.journal import COMMAND
from engine.trading.commands import decode
from engine.trading.sequencer import MAX_BATCH, REQUEST_FIELD, STREAM, Sequencer, SequencerStopped

BLOCK_MILLISECONDS = 1_000
RESULT_TTL_SECONDS = 60
RECENT_REQUESTS = 100_000
# Stream ids are the sender's clock; journal times the engine's. Machines' clocks may differ.
CLOCK_MARGIN = timedelta(seconds=60)
RETRY_SECONDS = 1.0
# At stop, the entries already read get this long to be journaled, answered and acknowledged.
DRAIN_SECONDS = 5.0

Entry = tuple[str, dict[str, str]]

log = structlog.get_logger("godark.cluster.engine")


class CommandConsumer:
    def __init__(
        self, sequencer: Sequencer, database: Database, redis: Redis, keys: ClusterKeys
    ) -> None:
        self._sequencer = sequencer
        self._database = database
        self._redis = redis  # decode_responses=True
        self._keys = keys
        self._done: OrderedDict[str, int] = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        self._handling: asyncio.Task[None] | None = None  # the entries read last

    async def start(self) -> None:
        with contextlib.suppress(ResponseError):  # BUSYGROUP: it exists already
            await self._redis.xgroup_create(self._keys.commands, ENGINE_GROUP, "0", mkstream=True)
        self._task = asyncio.create_task(self._run(), name="cluster-commands")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        """Read nothing more; let the entries already read finish (answered and acknowledged,
        so their senders are not left waiting for a takeover), then end."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        handling, self._handling = self._handling, None
        if handling is None or handling.done():
            return
        try:
            async with asyncio.timeout(DRAIN_SECONDS):
                await handling
        except TimeoutError:  # cancelled by the timeout: the next leaseholder redelivers them
            log.warning("command_drain_timed_out")
        except Exception as error:
            log.warning("command_drain_failed", error=type(error).__name__)

    async def _run(self) -> None:
        await self._redelivered()
        while True:
            try:
                read = await self._redis.xreadgroup(
                    ENGINE_GROUP,
                    ENGINE_CONSUMER,
                    {self._keys.commands: ">"},
                    count=MAX_BATCH,
                    block=BLOCK_MILLISECONDS,
                )
            except (RedisError, OSError) as error:
                log.warning("command_stream_unavailable", error=type(error).__name__)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            entries = _entries(read)
            if entries:
                await self._handle_shielded(entries)

    async def _handle_shielded(self, entries: Sequence[Entry]) -> None:
        """`stop` cancels the reading, not the handling of what was read: it drains that."""
        self._handling = asyncio.create_task(self._handle(entries), name="cluster-handle")
        await asyncio.shield(self._handling)
        self._handling = None

    async def _redelivered(self) -> None:
        """What the previous leaseholder read and did not acknowledge, oldest first."""
        after = "0"
        while True:
            read = await self._redis.xreadgroup(
                ENGINE_GROUP, ENGINE_CONSUMER, {self._keys.commands: after}, count=MAX_BATCH
            )
            entries = _entries(read)
            if not entries:
                return
            await self._remember_journaled(entries)
            log.info("commands_redelivered", entries=len(entries))
            await self._handle(entries)
            after = entries[-1][0]

    async def _remember_journaled(self, entries: Sequence[Entry]) -> None:
        oldest_ms = min(int(entry_id.split("-")[0]) for entry_id, _ in entries)
        since = datetime.fromtimestamp(oldest_ms / 1000, UTC) - CLOCK_MARGIN
        query = select(COMMAND.c.sequence, COMMAND.c.payload).where(
            COMMAND.c.stream == STREAM,
            COMMAND.c.recorded_at >= since,
            COMMAND.c.payload.contains(f'"{REQUEST_FIELD}"'),
        )
        async with self._database.engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        for row in rows:
            request = json.loads(row.payload).get(REQUEST_FIELD)
            if request is not None:
                self._remember(str(request), int(row.sequence))

    async def _handle(self, entries: Sequence[Entry]) -> None:
        # Tasks start in stream order and each queues its command before it first waits, so
        # the sequencer sees the stream's order, batched into as few commits as it can.
        answers = await asyncio.gather(*(self._apply(fields) for _id, fields in entries))
        async with self._redis.pipeline(transaction=False) as pipe:
            for (_entry_id, fields), answer in zip(entries, answers, strict=True):
                if answer is None:
                    continue
                message = json.dumps(answer, separators=(",", ":"))
                pipe.set(self._keys.result(answer["request"]), message, ex=RESULT_TTL_SECONDS)
                if fields.get("reply"):
                    pipe.publish(fields["reply"], message)
            pipe.xack(self._keys.commands, ENGINE_GROUP, *(entry_id for entry_id, _ in entries))
            await pipe.execute()

    async def _apply(self, fields: dict[str, str] | None) -> dict[str, Any] | None:
        if not fields or "request" not in fields:
            return None  # trimmed from the stream before it was read: nobody waits any more
        request = fields["request"]
        done = self._done.get(request)
        if done is not None:
            return {"request": request, "sequence": done, "replayed": True}
        try:
            command = decode(fields["kind"], json.loads(fields["payload"]))
        except (KeyError, TypeError, ValueError) as error:
            log.warning("bad_cluster_command", kind=fields.get("kind"), error=type(error).__name__)
            return {"request": request, "message": "the engine could not read the command"}
        try:
            outcome = await self._sequencer.submit(command, request)
        except SequencerStopped as stopped:
            return {"request": request, "message": str(stopped)}
        self._remember(request, outcome.sequence)
        return {"request": request, "sequence": outcome.sequence}

    def _remember(self, request: str, sequence: int) -> None:
        self._done[request] = sequence
        if len(self._done) > RECENT_REQUESTS:
            self._done.popitem(last=False)


def _entries(read: Any) -> list[Entry]:
    """XREADGROUP's answer, [[stream, [(id, fields), ...]], ...], as one list of entries."""
    return [(str(entry_id), fields) for _stream, batch in read or () for entry_id, fields in batch]


class JournalNotifier:
    """Publishes the last journaled sequence, coalesced: the replicas read the journal anyway."""

    def __init__(self, redis: Redis, channel: str) -> None:
        self._redis = redis
        self._channel = channel
        self._latest = 0
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._send(), name="journal-notifier")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def journaled(self, sequence: int) -> None:
        self._latest = sequence
        self._changed.set()

    async def _send(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            try:
                await self._redis.publish(self._channel, str(self._latest))
            except (RedisError, OSError):  # the replicas' poll covers it
                await asyncio.sleep(RETRY_SECONDS)
