"""Settlement batches on SQLite and PostgreSQL: stored, submitted, retried, never applied
twice, and proved. The chain here is an in-memory fake that counts applications; the
LiteSVM backend has its own tests."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

import pytest

from engine.bus import InProcessBus
from engine.clock import ManualClock
from engine.settlement.lifecycle import BatchStatus
from engine.settlement.merkle import verify_inclusion
from engine.settlement.netting import Transfer
from engine.settlement.service import SETTLEMENTS_TOPIC, SettlementService
from engine.settlement.trades import decode_trade
from engine.store.database import Database
from engine.store.settlement import NewBatch, SettlementRepository
from tests.unit.settlement.helpers import trade

SECOND = timedelta(seconds=1)


class ChainDown(Exception):
    pass


class FakeChain:
    """Applies a batch at most once, or the test fails; can fail, stall or land late."""

    def __init__(self) -> None:
        self.applied: dict[str, tuple[bytes, list[Transfer]]] = {}
        self.submissions = 0
        self.finds = 0
        self.failures_left = 0
        self.stall_after_applying = False
        self.landed = asyncio.Event()

    async def submit(self, batch_id: str, memo: bytes, transfers: Sequence[Transfer]) -> str:
        self.submissions += 1
        if self.failures_left > 0:
            self.failures_left -= 1
            raise ChainDown("node unavailable")
        assert batch_id not in self.applied, f"{batch_id} applied twice"
        self.applied[batch_id] = (memo, list(transfers))
        self.landed.set()
        if self.stall_after_applying:
            # Landed on chain, but the confirmation never reaches us (slow RPC, crash).
            await asyncio.Event().wait()
        return f"sig-{batch_id}"

    async def find(self, batch_id: str) -> str | None:
        self.finds += 1
        return f"sig-{batch_id}" if batch_id in self.applied else None


def service(
    database: Database, chain: FakeChain, clock: ManualClock, **options: object
) -> SettlementService:
    return SettlementService(
        SettlementRepository(database),
        chain,
        clock,
        submit_timeout=timedelta(milliseconds=100),
        **options,  # type: ignore[arg-type]
    )


async def test_trades_become_a_confirmed_batch_with_verifiable_proofs(
    database: Database, clock: ManualClock
) -> None:
    chain = FakeChain()
    bus = InProcessBus()
    settlement = service(database, chain, clock, bus=bus)
    async with bus.subscribe(SETTLEMENTS_TOPIC) as events:
        settlement.record_trades([trade(f"t-{i}") for i in range(3)])
        await settlement.run_once()
        assert await settlement.batches() == []  # the window is still open

        clock.advance(SECOND)
        await settlement.run_once()

        [batch] = await settlement.batches()
        assert (batch.batch_id, batch.status, batch.trade_count) == ("b-0000000001", "CONFIRMED", 3)
        assert batch.tx_signature == "sig-b-0000000001"
        assert batch.attempts == 1
        memo, transfers = chain.applied["b-0000000001"]
        assert memo == f"godark-settlement b-0000000001 {batch.merkle_root}".encode()
        assert sum(t.collateral_delta for t in transfers) == 0

        proof = await settlement.proof("t-2")
        assert proof is not None
        assert (proof.batch_id, proof.leaf_index, proof.tree_size) == ("b-0000000001", 2, 3)
        assert proof.tx_signature == "sig-b-0000000001"
        assert proof.verify()
        assert verify_inclusion(
            bytes.fromhex(proof.leaf_data),
            proof.leaf_index,
            proof.tree_size,
            [bytes.fromhex(node) for node in proof.path],
            bytes.fromhex(batch.merkle_root),
        )
        assert decode_trade(bytes.fromhex(proof.leaf_data)) == ("b-0000000001", trade("t-2"))
        assert await settlement.proof("t-unknown") is None

        statuses = [(await anext(events))["status"] for _ in range(3)]
        assert statuses == ["MATCHED", "PENDING", "CONFIRMED"]


async def test_batches_list_newest_first_and_page_back(
    database: Database, clock: ManualClock
) -> None:
    settlement = service(database, FakeChain(), clock, max_trades=2)
    settlement.record_trades([trade(f"t-{i}") for i in range(6)])
    await settlement.run_once()
    ids = [b.batch_id for b in await settlement.batches()]
    assert ids == ["b-0000000003", "b-0000000002", "b-0000000001"]
    assert [b.batch_id for b in await settlement.batches(limit=1, before="b-0000000003")] == [
        "b-0000000002"
    ]
    found = await settlement.batch("b-0000000002")
    assert found is not None and found.status == BatchStatus.CONFIRMED
    assert await settlement.batch("b-9") is None


async def test_a_failing_chain_retries_with_backoff_and_later_batches_wait(
    database: Database, clock: ManualClock
) -> None:
    chain = FakeChain()
    chain.failures_left = 2
    settlement = service(database, chain, clock, max_trades=1)
    settlement.record_trades([trade("t-1"), trade("t-2")])  # trading goes on regardless
    await settlement.run_once()

    first, second = sorted(await settlement.batches(), key=lambda b: b.sequence)
    assert (first.status, first.attempts, first.last_error) == (
        "FAILED",
        1,
        "ChainDown('node unavailable')",
    )
    assert first.next_attempt_at == clock.now() + timedelta(milliseconds=500)
    assert second.status == "MATCHED"  # in order: it waits behind the first

    await settlement.run_once()  # not due yet: nothing happens
    assert chain.submissions == 1

    clock.advance(timedelta(milliseconds=500))
    assert await settlement.lag() == timedelta(milliseconds=500)  # the settlement lag
    await settlement.run_once()
    retried = await settlement.batch("b-0000000001")
    assert retried is not None and (retried.status, retried.attempts) == ("FAILED", 2)
    assert retried.next_attempt_at == clock.now() + SECOND

    clock.advance(SECOND)
    await settlement.run_once()
    statuses = {b.batch_id: b.status for b in await settlement.batches()}
    assert statuses == {"b-0000000001": "CONFIRMED", "b-0000000002": "CONFIRMED"}
    assert set(chain.applied) == {"b-0000000001", "b-0000000002"}
    assert chain.finds == 2  # asked before each resubmission
    assert await settlement.lag() == timedelta(0)


async def test_a_slow_chain_that_lands_late_is_found_not_resubmitted(
    database: Database, clock: ManualClock
) -> None:
    chain = FakeChain()
    chain.stall_after_applying = True
    settlement = service(database, chain, clock, max_trades=1)
    settlement.record_trades([trade("t-1")])
    await settlement.run_once()  # times out after 100 ms
    stored = await settlement.batch("b-0000000001")
    assert stored is not None and stored.status == "FAILED"
    assert "TimeoutError" in (stored.last_error or "")

    chain.stall_after_applying = False
    clock.advance(SECOND)
    await settlement.run_once()
    stored = await settlement.batch("b-0000000001")
    assert stored is not None and stored.status == "CONFIRMED"
    assert stored.tx_signature == "sig-b-0000000001"
    assert chain.submissions == 1  # found on chain: never sent again


async def test_a_crash_between_submitting_and_recording_does_not_settle_twice(
    database: Database, clock: ManualClock
) -> None:
    chain = FakeChain()
    chain.stall_after_applying = True
    first = service(database, chain, clock, max_trades=1)
    first.record_trades([trade("t-1")])
    # The process dies while the chain call is in flight: nothing is recorded after it.
    crashing = asyncio.create_task(first.run_once())
    await chain.landed.wait()
    crashing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await crashing
    stored = await first.batch("b-0000000001")
    assert stored is not None and (stored.status, stored.attempts) == ("PENDING", 1)

    # Restart: a new service over the same database and the same chain.
    chain.stall_after_applying = False
    restarted = service(database, chain, clock, max_trades=1)
    await restarted.start()
    try:
        for _ in range(200):
            stored = await restarted.batch("b-0000000001")
            if stored is not None and stored.status == "CONFIRMED":
                break
            await asyncio.sleep(0.01)
    finally:
        await restarted.stop()
    assert stored is not None and stored.status == "CONFIRMED"
    assert chain.submissions == 1
    assert chain.finds == 1

    # New trades after the restart continue the sequence.
    restarted.record_trades([trade("t-2")])
    await restarted.run_once()
    assert [b.batch_id for b in await restarted.batches()] == ["b-0000000002", "b-0000000001"]


async def test_trades_fed_again_after_a_restart_are_not_batched_twice(
    database: Database, clock: ManualClock
) -> None:
    chain = FakeChain()
    settlement = service(database, chain, clock, max_trades=2)
    settlement.record_trades([trade("t-1"), trade("t-2")])
    await settlement.run_once()

    replayed = service(database, chain, clock, max_trades=4)
    replayed.record_trades([trade("t-1"), trade("t-2"), trade("t-3"), trade("t-3")])
    await replayed.run_once()
    batches = await replayed.batches()
    assert [(b.batch_id, b.trade_count) for b in batches] == [
        ("b-0000000002", 1),
        ("b-0000000001", 2),
    ]
    proof = await replayed.proof("t-3")
    assert proof is not None and proof.batch_id == "b-0000000002" and proof.verify()


async def test_stop_stores_the_open_window(database: Database, clock: ManualClock) -> None:
    settlement = service(database, FakeChain(), clock)
    await settlement.start()
    settlement.record_trades([trade("t-1")])
    await settlement.stop()
    [batch] = await settlement.batches()
    assert batch.trade_count == 1


async def test_the_repository_refuses_a_trade_in_two_batches(
    database: Database, clock: ManualClock
) -> None:
    repository = SettlementRepository(database)
    first = NewBatch("b-0000000001", 1, "00" * 32, clock.now(), ["t-1"], [b"a"])
    await repository.insert_batch(first, "MATCHED", clock.now())
    second = NewBatch("b-0000000002", 2, "00" * 32, clock.now(), ["t-1"], [b"b"])
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        await repository.insert_batch(second, "MATCHED", clock.now())
    assert await repository.last_sequence() == 1
    assert [leaf.data for leaf in await repository.leaves("b-0000000001")] == [b"a"]
