"""Windows of one second or 50 trades, whichever comes first; deterministic batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.settlement.batcher import MAX_BATCH_TRADES, Batcher, batch_memo, build_batch
from engine.settlement.lifecycle import retry_delay
from engine.settlement.merkle import merkle_root, verify_inclusion
from engine.settlement.trades import encode_trade
from tests.unit.settlement.helpers import trade

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_fifty_trades_close_a_batch_at_once() -> None:
    batcher = Batcher()
    closed = []
    for i in range(MAX_BATCH_TRADES + 1):
        closed += batcher.add(trade(f"t-{i}"), T0 + timedelta(milliseconds=i))
    [batch] = closed
    assert batch.batch_id == "b-0000000001"
    assert [t.trade_id for t in batch.trades] == [f"t-{i}" for i in range(50)]
    assert batcher.open_trades == 1


def test_a_window_closes_one_second_after_its_first_trade() -> None:
    batcher = Batcher(next_sequence=7)
    assert batcher.add(trade("t-1"), T0) == []
    assert batcher.tick(T0 + timedelta(milliseconds=999)) is None
    batch = batcher.tick(T0 + timedelta(seconds=1))
    assert batch is not None
    assert (batch.batch_id, batch.opened_at, len(batch.trades)) == ("b-0000000007", T0, 1)
    assert batcher.tick(T0 + timedelta(seconds=5)) is None  # nothing open, nothing closes


def test_a_late_trade_opens_the_next_window_instead_of_joining_a_due_one() -> None:
    batcher = Batcher()
    batcher.add(trade("t-1"), T0)
    [due] = batcher.add(trade("t-2"), T0 + timedelta(seconds=2))
    assert [t.trade_id for t in due.trades] == ["t-1"]
    assert batcher.open_trades == 1
    assert batcher.opened_at == T0 + timedelta(seconds=2)


def test_a_batch_carries_its_leaves_root_and_memo() -> None:
    trades = [trade(f"t-{i}") for i in range(5)]
    batch = build_batch(3, trades, T0, T0)
    assert batch.leaves == tuple(encode_trade(t, "b-0000000003") for t in trades)
    assert batch.root == merkle_root(list(batch.leaves))
    assert batch == build_batch(3, trades, T0, T0)  # deterministic
    index = batch.leaf_index("t-3")
    assert verify_inclusion(batch.leaves[3], index, 5, batch.tree.audit_path(index), batch.root)
    assert batch.memo == f"godark-settlement b-0000000003 {batch.root.hex()}".encode()
    assert batch_memo(batch.batch_id, batch.root) == batch.memo
    assert batch.netting().is_balanced()


def test_retries_back_off_exponentially_up_to_a_cap() -> None:
    delays = [retry_delay(attempts).total_seconds() for attempts in range(1, 10)]
    assert delays == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]
    assert retry_delay(10_000) == timedelta(seconds=30)


def test_the_math_benchmark_runs_and_reports() -> None:
    from engine.settlement.bench import run_settlement_math_bench

    report = run_settlement_math_bench(500)
    assert (report["trades"], report["batches"]) == (500, 10)
    assert report["trades_per_second"] > 0
