"""Settlement batches and their leaves: what was batched, where each batch is on its way
to the chain, and the data to prove any trade's place in its batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update

from engine.store.database import Database, StoredRow, as_utc
from engine.store.tables import SettlementBatchRow, SettlementLeafRow, table_of

BATCH = table_of(SettlementBatchRow)
LEAF = table_of(SettlementLeafRow)
LAST_ERROR_LENGTH = 500


@dataclass(frozen=True, slots=True)
class NewBatch:
    batch_id: str
    sequence: int
    merkle_root: str  # hex
    opened_at: datetime
    trade_ids: Sequence[str]
    leaves: Sequence[bytes]  # same order as trade_ids: leaf index = position


@dataclass(frozen=True, slots=True)
class StoredBatch:
    batch_id: str
    sequence: int
    status: str
    merkle_root: str
    trade_count: int
    tx_signature: str | None
    attempts: int
    last_error: str | None
    opened_at: datetime
    created_at: datetime
    submitted_at: datetime | None
    confirmed_at: datetime | None
    next_attempt_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredLeaf:
    batch_id: str
    leaf_index: int
    trade_id: str
    data: bytes


def _moment(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def _batch(row: StoredRow) -> StoredBatch:
    return StoredBatch(
        batch_id=row.id,
        sequence=int(row.sequence),
        status=row.status,
        merkle_root=row.merkle_root,
        trade_count=int(row.trade_count),
        tx_signature=row.tx_signature,
        attempts=int(row.attempts),
        last_error=row.last_error,
        opened_at=as_utc(row.opened_at),
        created_at=as_utc(row.created_at),
        submitted_at=_moment(row.submitted_at),
        confirmed_at=_moment(row.confirmed_at),
        next_attempt_at=_moment(row.next_attempt_at),
    )


class SettlementRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def insert_batch(self, batch: NewBatch, status: str, created_at: datetime) -> None:
        """The batch and all its leaves in one transaction; a trade id already in another
        batch makes the whole insert fail (unique), so no trade is batched twice."""
        async with self._database.transaction() as connection:
            await connection.execute(
                insert(BATCH).values(
                    id=batch.batch_id,
                    sequence=batch.sequence,
                    status=status,
                    merkle_root=batch.merkle_root,
                    trade_count=len(batch.trade_ids),
                    attempts=0,
                    opened_at=batch.opened_at,
                    created_at=created_at,
                    next_attempt_at=created_at,
                )
            )
            await connection.execute(
                insert(LEAF),
                [
                    {"batch_id": batch.batch_id, "leaf_index": i, "trade_id": t, "data": d}
                    for i, (t, d) in enumerate(zip(batch.trade_ids, batch.leaves, strict=True))
                ],
            )

    async def batched_trade_ids(self, trade_ids: Sequence[str]) -> set[str]:
        """Which of these trades are already in a stored batch."""
        if not trade_ids:
            return set()
        async with self._database.engine.connect() as connection:
            rows = await connection.execute(
                select(LEAF.c.trade_id).where(LEAF.c.trade_id.in_(list(trade_ids)))
            )
            return {row.trade_id for row in rows}

    async def last_sequence(self) -> int:
        async with self._database.engine.connect() as connection:
            last = (await connection.execute(select(func.max(BATCH.c.sequence)))).scalar()
        return int(last or 0)

    async def count_by_status(self) -> dict[str, int]:
        """Batches per status, for /metrics and the stats."""
        query = select(BATCH.c.status, func.count()).group_by(BATCH.c.status)
        async with self._database.engine.connect() as connection:
            return {status: int(count) for status, count in await connection.execute(query)}

    async def unconfirmed(self, limit: int) -> list[StoredBatch]:
        """Batches not yet confirmed, oldest first: the order they must reach the chain."""
        query = (
            select(BATCH)
            .where(BATCH.c.status != "CONFIRMED")
            .order_by(BATCH.c.sequence)
            .limit(limit)
        )
        async with self._database.engine.connect() as connection:
            return [_batch(row) for row in await connection.execute(query)]

    async def mark_pending(self, batch_id: str, attempts: int, submitted_at: datetime) -> None:
        await self._update(batch_id, status="PENDING", attempts=attempts, submitted_at=submitted_at)

    async def mark_confirmed(self, batch_id: str, signature: str, confirmed_at: datetime) -> None:
        await self._update(
            batch_id,
            status="CONFIRMED",
            tx_signature=signature,
            confirmed_at=confirmed_at,
            next_attempt_at=None,
            last_error=None,
        )

    async def mark_failed(self, batch_id: str, error: str, next_attempt_at: datetime) -> None:
        await self._update(
            batch_id,
            status="FAILED",
            last_error=error[:LAST_ERROR_LENGTH],
            next_attempt_at=next_attempt_at,
        )

    async def _update(self, batch_id: str, **values: object) -> None:
        async with self._database.transaction() as connection:
            await connection.execute(update(BATCH).where(BATCH.c.id == batch_id).values(**values))

    async def batches(self, limit: int, before_sequence: int | None = None) -> list[StoredBatch]:
        """Newest first; `before_sequence` pages back."""
        query = select(BATCH).order_by(BATCH.c.sequence.desc()).limit(limit)
        if before_sequence is not None:
            query = query.where(BATCH.c.sequence < before_sequence)
        async with self._database.engine.connect() as connection:
            return [_batch(row) for row in await connection.execute(query)]

    async def batch(self, batch_id: str) -> StoredBatch | None:
        async with self._database.engine.connect() as connection:
            row = (
                await connection.execute(select(BATCH).where(BATCH.c.id == batch_id))
            ).one_or_none()
        return None if row is None else _batch(row)

    async def leaves(self, batch_id: str) -> list[StoredLeaf]:
        query = select(LEAF).where(LEAF.c.batch_id == batch_id).order_by(LEAF.c.leaf_index)
        async with self._database.engine.connect() as connection:
            return [
                StoredLeaf(row.batch_id, int(row.leaf_index), row.trade_id, bytes(row.data))
                for row in await connection.execute(query)
            ]

    async def leaf_of_trade(self, trade_id: str) -> StoredLeaf | None:
        async with self._database.engine.connect() as connection:
            row = (
                await connection.execute(select(LEAF).where(LEAF.c.trade_id == trade_id))
            ).one_or_none()
        if row is None:
            return None
        return StoredLeaf(row.batch_id, int(row.leaf_index), row.trade_id, bytes(row.data))
