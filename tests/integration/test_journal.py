"""The command journal on SQLite and PostgreSQL: order, gaps, a second writer, snapshots."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from engine.store.database import Database
from engine.store.journal import CommandJournal, JournaledCommand, JournalGap, Snapshot

AT = datetime(2026, 6, 1, tzinfo=UTC)


def command(sequence: int, stream: str = "BTC-USDT-PERP") -> JournaledCommand:
    return JournaledCommand(stream, sequence, "place_order", {"size": sequence, "px": "1.5"}, AT)


async def test_commands_come_back_in_order_after_a_sequence(database: Database) -> None:
    journal = CommandJournal(database)
    await journal.append([command(1), command(2)])
    await journal.append([command(3), command(1, stream="ETH-USDT-PERP")])

    assert [c.sequence for c in await journal.read("BTC-USDT-PERP")] == [1, 2, 3]
    after_one = await journal.read("BTC-USDT-PERP", after=1)
    assert after_one == [command(2), command(3)]
    assert await journal.last_sequence("BTC-USDT-PERP") == 3
    assert await journal.last_sequence("SOL-USDT-PERP") == 0


@pytest.mark.parametrize("batch", [[2], [1, 3], [0]])
async def test_a_batch_that_leaves_a_gap_is_refused_whole(
    database: Database, batch: list[int]
) -> None:
    journal = CommandJournal(database)
    with pytest.raises(JournalGap):
        await journal.append([command(n) for n in batch])
    assert await journal.read("BTC-USDT-PERP") == []


async def test_two_writers_cannot_both_write_the_same_sequence(database: Database) -> None:
    journal = CommandJournal(database)
    await journal.append([command(1)])
    results = await asyncio.gather(
        journal.append([command(2)]), journal.append([command(2)]), return_exceptions=True
    )
    assert sum(result is None for result in results) == 1
    assert all(
        isinstance(result, (IntegrityError, JournalGap)) for result in results if result is not None
    )
    assert [c.sequence for c in await journal.read("BTC-USDT-PERP")] == [1, 2]


async def test_the_latest_snapshot_is_returned_and_old_ones_pruned(database: Database) -> None:
    journal = CommandJournal(database)
    for sequence in (10, 20, 30, 40):
        await journal.save_snapshot(
            Snapshot("BTC-USDT-PERP", sequence, {"orders": [sequence]}, f"hash{sequence}"), AT
        )
    latest = await journal.latest_snapshot("BTC-USDT-PERP")
    assert latest == Snapshot("BTC-USDT-PERP", 40, {"orders": [40]}, "hash40")
    assert await journal.latest_snapshot("ETH-USDT-PERP") is None
    async with database.engine.connect() as connection:
        kept = (await connection.execute(text("SELECT sequence FROM journal_snapshot"))).scalars()
        assert sorted(kept) == [20, 30, 40]
