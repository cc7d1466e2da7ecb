"""The engine's in-memory ledger, and storing its entries in batches on both databases."""

from __future__ import annotations

import pytest

from engine.clock import ManualClock
from engine.ledger import (
    USDT,
    AccountKey,
    AccountPurpose,
    EntryRequest,
    InsufficientFunds,
    Ledger,
    Leg,
    OwnerKind,
    UnbalancedEntry,
    UnknownAccount,
    audit_ledger,
)
from engine.ledger.memory import MemoryLedger
from engine.store.database import Database

WORLD = AccountKey(OwnerKind.VENUE, "world", AccountPurpose.EXTERNAL, USDT.symbol)
FEES = AccountKey(OwnerKind.VENUE, "venue", AccountPurpose.FEES, USDT.symbol)
ALICE = AccountKey(OwnerKind.USER, "alice", AccountPurpose.AVAILABLE, USDT.symbol)
ALICE_MARGIN = AccountKey(OwnerKind.USER, "alice", AccountPurpose.POSITION_COLLATERAL, "USDT")
BOB = AccountKey(OwnerKind.USER, "bob", AccountPurpose.AVAILABLE, USDT.symbol)


def move(key: str, source: AccountKey, destination: AccountKey, units: int) -> EntryRequest:
    return EntryRequest(key, "test", (Leg(source, -units), Leg(destination, units)))


def funded_memory(units: int = 1_000) -> MemoryLedger:
    memory = MemoryLedger()
    memory.open_accounts([WORLD, FEES, ALICE, ALICE_MARGIN, BOB])
    memory.post(move("e1", WORLD, ALICE, units))
    return memory


def test_memory_ledger_applies_whole_entries_and_refuses_overdrafts() -> None:
    memory = funded_memory()
    memory.post(
        EntryRequest("e2", "trade", (Leg(ALICE, -300), Leg(ALICE_MARGIN, 290), Leg(FEES, 10)))
    )
    assert memory.balance(ALICE) == 700 and memory.balance(ALICE_MARGIN) == 290

    with pytest.raises(InsufficientFunds):
        memory.post(EntryRequest("e3", "trade", (Leg(BOB, -1), Leg(FEES, 1))))
    with pytest.raises(UnknownAccount):
        stranger = AccountKey(OwnerKind.USER, "zed", AccountPurpose.AVAILABLE, "USDT")
        memory.post(move("e4", ALICE, stranger, 1))
    with pytest.raises(UnbalancedEntry):
        memory.post(EntryRequest("e5", "trade", (Leg(ALICE, -2), Leg(BOB, 1))))
    assert memory.balance(ALICE) == 700 and memory.balance(BOB) == 0
    assert [request.idempotency_key for request in memory.drain()] == ["e1", "e2"]
    assert memory.drain() == []


async def test_a_batch_is_stored_once_and_matches_memory(
    database: Database, clock: ManualClock
) -> None:
    memory = funded_memory(10_000)
    for n in range(50):
        memory.post(move(f"t{n}", ALICE, BOB, n + 1))
        memory.post(EntryRequest(f"f{n}", "fee", (Leg(BOB, -1), Leg(FEES, 1))))
    batch = memory.drain()
    ledger = Ledger(database, clock)

    async with database.transaction() as connection:
        assert await ledger.post_batch(connection, batch, clock.now()) == 101
    async with database.transaction() as connection:  # a restart replays the same entries
        assert await ledger.post_batch(connection, batch, clock.now()) == 0

    for key in (WORLD, FEES, ALICE, BOB):
        assert await ledger.balance(key) == memory.balance(key), key
    replayed = await ledger.entry("t49")
    assert replayed is not None
    bob_after_t49 = sum(range(1, 51)) - 49  # received 1..50, paid 49 fees so far
    assert [posting.balance_after for posting in replayed.entry.postings] == [
        memory.balance(ALICE),
        bob_after_t49,
    ]
    report = await audit_ledger(database)
    assert report.differences == 0 and report.entries == 101
