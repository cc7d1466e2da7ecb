"""The command journal: what each sequencer accepted, in order, durable before any ack.

A stream is one sequencer's log (e.g. a market). Commands are appended in batches — one
transaction for everything that arrived together, the group commit that lets a
sequencer acknowledge thousands of commands a second — and replayed in sequence order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from engine.errors import DomainError
from engine.store.database import Database, as_utc
from engine.store.tables import JournalCommandRow, JournalSnapshotRow, table_of

COMMAND = table_of(JournalCommandRow)
SNAPSHOT = table_of(JournalSnapshotRow)
# Snapshots older than the newest few are not needed to restart.
SNAPSHOTS_KEPT = 3


class JournalGap(DomainError):
    """A batch that does not start right after the stream's last sequence: a second writer."""

    code = "JOURNAL_GAP"


@dataclass(frozen=True, slots=True)
class JournaledCommand:
    stream: str
    sequence: int
    kind: str
    payload: dict[str, Any]
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class Snapshot:
    stream: str
    sequence: int
    state: dict[str, Any]
    state_hash: str


class CommandJournal:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def append(self, commands: Sequence[JournaledCommand]) -> None:
        """Write a batch atomically. Sequences must continue the stream without a gap;
        the primary key refuses a sequence written twice, so two writers cannot both win."""
        if not commands:
            return
        async with self._database.transaction() as connection:
            await self.append_in(connection, commands)

    async def append_in(
        self, connection: AsyncConnection, commands: Sequence[JournaledCommand]
    ) -> None:
        """`append` inside the caller's transaction, so other rows commit with the batch."""
        if not commands:
            return
        by_stream: dict[str, list[JournaledCommand]] = {}
        for command in commands:
            by_stream.setdefault(command.stream, []).append(command)
        for stream, batch in by_stream.items():
            last = (
                await connection.execute(
                    select(COMMAND.c.sequence)
                    .where(COMMAND.c.stream == stream)
                    .order_by(COMMAND.c.sequence.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
            expected = (last or 0) + 1
            if [c.sequence for c in batch] != list(range(expected, expected + len(batch))):
                raise JournalGap(f"stream {stream} expected sequence {expected} next")
        await connection.execute(
            insert(COMMAND),
            [
                {
                    "stream": c.stream,
                    "sequence": c.sequence,
                    "kind": c.kind,
                    "payload": json.dumps(c.payload, separators=(",", ":"), sort_keys=True),
                    "recorded_at": c.recorded_at,
                }
                for c in commands
            ],
        )

    async def last_sequence(self, stream: str) -> int:
        async with self._database.engine.connect() as connection:
            last = (
                await connection.execute(
                    select(COMMAND.c.sequence)
                    .where(COMMAND.c.stream == stream)
                    .order_by(COMMAND.c.sequence.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
        return int(last or 0)

    async def read(
        self, stream: str, after: int = 0, limit: int | None = None
    ) -> list[JournaledCommand]:
        query = (
            select(COMMAND)
            .where(COMMAND.c.stream == stream, COMMAND.c.sequence > after)
            .order_by(COMMAND.c.sequence)
            .limit(limit)
        )
        async with self._database.engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [
            JournaledCommand(
                row.stream,
                int(row.sequence),
                row.kind,
                json.loads(row.payload),
                as_utc(row.recorded_at),
            )
            for row in rows
        ]

    async def save_snapshot(self, snapshot: Snapshot, recorded_at: datetime) -> None:
        encoded = json.dumps(snapshot.state, separators=(",", ":"), sort_keys=True)
        await self.save_encoded_snapshot(
            snapshot.stream, snapshot.sequence, encoded, snapshot.state_hash, recorded_at
        )

    async def save_encoded_snapshot(
        self, stream: str, sequence: int, encoded: str, state_hash: str, recorded_at: datetime
    ) -> None:
        """A snapshot already in its stored JSON form (the engine encodes its own off the
        event loop); the oldest beyond SNAPSHOTS_KEPT are deleted."""
        async with self._database.transaction() as connection:
            await connection.execute(
                insert(SNAPSHOT).values(
                    stream=stream,
                    sequence=sequence,
                    state=encoded,
                    state_hash=state_hash,
                    recorded_at=recorded_at,
                )
            )
            kept = (
                (
                    await connection.execute(
                        select(SNAPSHOT.c.sequence)
                        .where(SNAPSHOT.c.stream == stream)
                        .order_by(SNAPSHOT.c.sequence.desc())
                        .limit(SNAPSHOTS_KEPT)
                    )
                )
                .scalars()
                .all()
            )
            await connection.execute(
                delete(SNAPSHOT).where(SNAPSHOT.c.stream == stream, SNAPSHOT.c.sequence < min(kept))
            )

    async def latest_snapshot(self, stream: str) -> Snapshot | None:
        query = (
            select(SNAPSHOT)
            .where(SNAPSHOT.c.stream == stream)
            .order_by(SNAPSHOT.c.sequence.desc())
            .limit(1)
        )
        async with self._database.engine.connect() as connection:
            row = (await connection.execute(query)).first()
        if row is None:
            return None
        return Snapshot(row.stream, int(row.sequence), json.loads(row.state), row.state_hash)
