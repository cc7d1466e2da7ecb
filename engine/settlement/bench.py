"""The settlement maths benchmark: trades through batching, netting and the Merkle tree
(leaf encoding, root, every trade's audit path), without the chain. `godark bench
settlement` calls it; figures go to docs/benchmarks.md."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from engine.settlement.batcher import Batch, Batcher
from engine.settlement.trades import SettledTrade

ACCOUNTS = 200
SYMBOLS = ("BTC-PERP", "ETH-PERP", "SOL-PERP")


def synthetic_trades(count: int, seed: int = 7) -> list[SettledTrade]:
    generator = random.Random(seed)
    trades = []
    for i in range(count):
        buyer, seller = generator.sample(range(ACCOUNTS), 2)
        trades.append(
            SettledTrade(
                trade_id=f"t-{i:09d}",
                symbol=SYMBOLS[i % len(SYMBOLS)],
                price=generator.randint(10**13, 10**15),
                size=generator.randint(10**5, 10**9),
                buyer=f"acct-{buyer:05d}",
                seller=f"acct-{seller:05d}",
                buyer_fee=generator.randint(0, 10**7),
                seller_fee=generator.randint(-(10**6), 10**7),
                executed_at_ms=1_767_225_600_000 + i,
            )
        )
    return trades


def run_settlement_math_bench(trades: int) -> dict[str, float | int]:
    """Trades per second through windows of 50, netting (with the balance check),
    transfers, and the Merkle root plus one audit path per trade, on one core."""
    items = synthetic_trades(trades)
    start_time = datetime(2026, 1, 1, tzinfo=UTC)
    step = timedelta(milliseconds=1)
    batcher = Batcher()
    batches: list[Batch] = []
    transfers = 0
    started = time.perf_counter()
    for i, trade in enumerate(items):
        for batch in batcher.add(trade, start_time + step * i):
            batches.append(batch)
            netting = batch.netting()
            assert netting.is_balanced()
            transfers += len(netting.transfers())
            for index in range(len(batch.trades)):
                batch.tree.audit_path(index)
    elapsed = time.perf_counter() - started
    return {
        "trades": trades,
        "batches": len(batches),
        "transfers": transfers,
        "seconds": round(elapsed, 4),
        "trades_per_second": round(trades / elapsed) if elapsed > 0 else 0,
    }


if __name__ == "__main__":
    print(run_settlement_math_bench(100_000))
