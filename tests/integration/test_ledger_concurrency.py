"""1,000 concurrent transfers among 20 accounts on real PostgreSQL: nothing created or lost."""

from __future__ import annotations

import asyncio
import json
import random
import sys
from pathlib import Path

import pytest

from engine.clock import SystemClock
from engine.ledger import (
    USDT,
    AccountKey,
    AccountPurpose,
    EntryRequest,
    InsufficientFunds,
    Ledger,
    Leg,
    OwnerKind,
    audit_ledger,
)
from engine.store.database import Database
from engine.store.migrations import upgrade

ACCOUNTS = 20
TRANSFERS = 1_000
CONCURRENCY = 50
OPENING_BALANCE = 100 * USDT.unit
WORLD = AccountKey(OwnerKind.VENUE, "world", AccountPurpose.EXTERNAL, USDT.symbol)


@pytest.mark.postgres
async def test_concurrent_transfers_conserve_money_and_keep_invariants(postgres_url: str) -> None:
    await asyncio.to_thread(upgrade, postgres_url)
    database = Database(postgres_url, pool_size=CONCURRENCY // 2)
    ledger = Ledger(database, SystemClock())
    users = [
        AccountKey(OwnerKind.USER, f"user-{n}", AccountPurpose.AVAILABLE, USDT.symbol)
        for n in range(ACCOUNTS)
    ]
    await ledger.open_accounts([WORLD, *users])
    for user in users:
        await ledger.post(
            EntryRequest(
                f"open:{user.owner_id}",
                "deposit",
                (Leg(WORLD, -OPENING_BALANCE), Leg(user, OPENING_BALANCE)),
            )
        )

    # Amounts large enough that many transfers meet an empty account and must be refused,
    # and every tenth transfer sent twice to prove a replay moves nothing.
    generator = random.Random(2026)
    plan = []
    for index in range(TRANSFERS):
        payer, payee = generator.sample(users, 2)
        amount = generator.randint(1, 40 * USDT.unit)
        plan.append(
            EntryRequest(f"t{index}", "transfer", (Leg(payer, -amount), Leg(payee, amount)))
        )
    requests = plan + plan[::10]
    generator.shuffle(requests)
    slots = asyncio.Semaphore(CONCURRENCY)

    async def send(request: EntryRequest) -> str:
        async with slots:
            try:
                entry = await ledger.post(request)
            except InsufficientFunds:
                return "refused"
            return "replayed" if entry.replayed else "applied"

    outcomes = await asyncio.gather(*(send(request) for request in requests))

    balances = [await ledger.balance(user) for user in users]
    applied_keys = {
        request.idempotency_key
        for request in plan
        if await ledger.entry(request.idempotency_key) is not None
    }
    expected = {user: OPENING_BALANCE for user in users}
    for request in plan:
        if request.idempotency_key in applied_keys:
            for leg in request.legs:
                expected[leg.account] += leg.amount

    assert outcomes.count("applied") == len(applied_keys)
    assert outcomes.count("refused") > 0, "the load should have met empty accounts"
    assert sum(balances) == ACCOUNTS * OPENING_BALANCE
    assert min(balances) >= 0
    assert balances == [expected[user] for user in users]
    report = await audit_ledger(database)
    assert report.differences == 0
    assert report.entries == ACCOUNTS + len(applied_keys)
    await database.dispose()

    # The operator's tool agrees: `godark audit` exits 0 and reports zero differences.
    audit = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "godark"),
        "audit",
        env={"GODARK_DATABASE_URL": postgres_url, "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(audit.communicate(), timeout=120)
    assert audit.returncode == 0, stderr.decode()
    assert json.loads(stdout)["differences"] == 0


async def test_concurrent_transfers_on_sqlite_are_serialised_not_lost(sqlite_url: str) -> None:
    await asyncio.to_thread(upgrade, sqlite_url)
    database = Database(sqlite_url)
    ledger = Ledger(database, SystemClock())
    alice = AccountKey(OwnerKind.USER, "alice", AccountPurpose.AVAILABLE, USDT.symbol)
    bob = AccountKey(OwnerKind.USER, "bob", AccountPurpose.AVAILABLE, USDT.symbol)
    await ledger.open_accounts([WORLD, alice, bob])
    await ledger.post(EntryRequest("open", "deposit", (Leg(WORLD, -100), Leg(alice, 100))))

    async def pay(index: int) -> bool:
        try:
            await ledger.post(EntryRequest(f"p{index}", "transfer", (Leg(alice, -3), Leg(bob, 3))))
        except InsufficientFunds:
            return False
        return True

    paid = await asyncio.gather(*(pay(index) for index in range(50)))

    assert sum(paid) == 33  # 100 // 3: exactly as many as the balance allows
    assert await ledger.balance(alice) == 1
    assert await ledger.balance(bob) == 99
    assert (await audit_ledger(database)).differences == 0
    await database.dispose()
