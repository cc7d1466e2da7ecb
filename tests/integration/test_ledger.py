"""The ledger on SQLite and on real PostgreSQL: balances, idempotency, refusals, audit."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from engine.ledger import (
    USDT,
    AccountKey,
    AccountPurpose,
    EntryRequest,
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidEntry,
    Ledger,
    Leg,
    OwnerKind,
    UnbalancedEntry,
    UnknownAccount,
    audit_ledger,
)
from engine.store.database import Database

WORLD = AccountKey(OwnerKind.VENUE, "world", AccountPurpose.EXTERNAL, USDT.symbol)
FEES = AccountKey(OwnerKind.VENUE, "venue", AccountPurpose.FEES, USDT.symbol)
ALICE = AccountKey(OwnerKind.USER, "alice", AccountPurpose.AVAILABLE, USDT.symbol)
ALICE_LOCKED = AccountKey(OwnerKind.USER, "alice", AccountPurpose.LOCKED, USDT.symbol)
BOB = AccountKey(OwnerKind.USER, "bob", AccountPurpose.AVAILABLE, USDT.symbol)


def transfer(key: str, source: AccountKey, destination: AccountKey, units: int) -> EntryRequest:
    return EntryRequest(key, "transfer", (Leg(source, -units), Leg(destination, units)))


@pytest.fixture
async def funded(ledger: Ledger) -> Ledger:
    await ledger.open_accounts([WORLD, FEES, ALICE, ALICE_LOCKED, BOB])
    await ledger.post(transfer("fund-alice", WORLD, ALICE, 1_000 * USDT.unit))
    return ledger


async def test_a_transfer_moves_exactly_its_amount(funded: Ledger) -> None:
    entry = await funded.post(transfer("t1", ALICE, BOB, 250_500_000))

    assert await funded.balance(ALICE) == 749_500_000
    assert await funded.balance(BOB) == 250_500_000
    assert [posting.balance_after for posting in entry.postings] == [749_500_000, 250_500_000]
    assert not entry.replayed


async def test_the_world_account_goes_negative_by_what_came_in(funded: Ledger) -> None:
    assert await funded.balance(WORLD) == -1_000 * USDT.unit


async def test_a_repeated_key_returns_the_first_entry_and_moves_nothing(funded: Ledger) -> None:
    first = await funded.post(transfer("t1", ALICE, BOB, 100))
    again = await funded.post(transfer("t1", ALICE, BOB, 100))

    assert again.replayed
    assert again.entry_id == first.entry_id
    assert again.postings == first.postings
    assert await funded.balance(BOB) == 100


async def test_a_key_reused_for_a_different_entry_is_refused(funded: Ledger) -> None:
    await funded.post(transfer("t1", ALICE, BOB, 100))
    with pytest.raises(IdempotencyKeyReused):
        await funded.post(transfer("t1", ALICE, BOB, 999))
    assert await funded.balance(BOB) == 100


async def test_an_overdraft_is_refused_whole(funded: Ledger) -> None:
    # Three legs: the first two alone would be fine, the third overdraws Bob.
    request = EntryRequest(
        "multi",
        "trade",
        (
            Leg(ALICE, -10 * USDT.unit),
            Leg(FEES, 10 * USDT.unit),
            Leg(BOB, -5 * USDT.unit),
            Leg(ALICE_LOCKED, 5 * USDT.unit),
        ),
    )
    with pytest.raises(InsufficientFunds) as refusal:
        await funded.post(request)

    assert refusal.value.account == BOB
    assert "insufficient USDT: 0.000000 available, 5.000000 needed" in refusal.value.message
    assert await funded.balance(ALICE) == 1_000 * USDT.unit
    assert await funded.balance(FEES) == 0
    assert await funded.entry("multi") is None


async def test_an_entry_naming_an_unknown_account_is_refused_whole(funded: Ledger) -> None:
    stranger = AccountKey(OwnerKind.USER, "nobody", AccountPurpose.AVAILABLE, USDT.symbol)
    with pytest.raises(UnknownAccount):
        await funded.post(transfer("t-unknown", ALICE, stranger, 5))
    assert await funded.balance(ALICE) == 1_000 * USDT.unit
    assert await funded.entry("t-unknown") is None


async def test_an_unbalanced_entry_is_refused(funded: Ledger) -> None:
    with pytest.raises(UnbalancedEntry):
        await funded.post(EntryRequest("bad", "transfer", (Leg(ALICE, -5), Leg(BOB, 4))))
    assert await funded.balance(BOB) == 0


async def test_amounts_beyond_the_storage_range_are_refused_not_overflowed(
    funded: Ledger,
) -> None:
    with pytest.raises(InvalidEntry):
        await funded.post(transfer("too-big", WORLD, BOB, 2**63))
    # Within the leg limit, but the world would owe more than a balance can hold.
    with pytest.raises(InsufficientFunds):
        await funded.post(transfer("big", WORLD, BOB, 2**62))
    assert await funded.balance(BOB) == 0
    assert await funded.balance(WORLD) == -1_000 * USDT.unit


async def test_an_entry_can_net_several_legs_on_one_account(funded: Ledger) -> None:
    entry = await funded.post(
        EntryRequest(
            "netting",
            "trade",
            (Leg(ALICE, -30), Leg(ALICE, 10), Leg(BOB, 15), Leg(FEES, 5)),
        )
    )
    assert await funded.balance(ALICE) == 1_000 * USDT.unit - 20
    assert [p.balance_after for p in entry.postings][:2] == [
        1_000 * USDT.unit - 30,
        1_000 * USDT.unit - 20,
    ]


async def test_opening_an_account_twice_is_harmless(funded: Ledger) -> None:
    await funded.open_accounts([ALICE, ALICE])
    assert await funded.balance(ALICE) == 1_000 * USDT.unit


async def test_concurrent_duplicates_apply_once(funded: Ledger) -> None:
    results = await asyncio.gather(
        *(funded.post(transfer("dup", ALICE, BOB, 7)) for _ in range(10))
    )
    assert {entry.entry_id for entry in results} == {results[0].entry_id}
    assert sum(not entry.replayed for entry in results) == 1
    assert await funded.balance(BOB) == 7


async def test_the_audit_finds_no_difference_in_an_honest_ledger(
    funded: Ledger, database: Database
) -> None:
    await funded.post(transfer("t1", ALICE, BOB, 123))
    report = await audit_ledger(database)
    assert report.differences == 0
    assert report.entries == 2
    assert report.asset_totals == {"USDT": 0}


async def test_the_audit_finds_a_balance_edited_behind_the_ledgers_back(
    funded: Ledger, database: Database
) -> None:
    async with database.transaction() as connection:
        await connection.execute(
            text("UPDATE ledger_account SET balance = balance + 1 WHERE owner_id = 'bob'")
        )
    report = await audit_ledger(database)

    assert report.differences == 1
    assert [d.account for d in report.balance_differences] == ["USER:bob:AVAILABLE:USDT"]
    assert report.balance_differences[0].stored == 1
    assert report.balance_differences[0].journal == 0
