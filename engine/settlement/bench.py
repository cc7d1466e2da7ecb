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


def run_settlement_chain_bench(trades: int) -> dict[str, float | int]:
    """Trades per second through windows of 50, netting, the Merkle root and LiteSVM
    submission of one transaction per batch (memo with the root plus the batch's fee sweep
    from the vault to the fee wallet, as the running venue sends it), on one core."""
    import asyncio

    from solders.keypair import Keypair

    from engine.settlement.chain.litesvm import LiteSvmChain

    async def run() -> dict[str, float | int]:
        chain = LiteSvmChain(Keypair())
        await chain.start()
        fee_wallet = Keypair()
        await chain.create_wallet_token_account(fee_wallet.pubkey())
        await chain.faucet(chain.authority, 10**15)  # the vault holds the users' collateral
        items = synthetic_trades(trades)
        start_time = datetime(2026, 1, 1, tzinfo=UTC)
        step = timedelta(milliseconds=1)
        batcher = Batcher()
        batches = 0
        started = time.perf_counter()
        for i, trade in enumerate(items):
            for batch in batcher.add(trade, start_time + step * i):
                netting = batch.netting()
                assert netting.is_balanced()
                sweep = sum(transfer.fee for transfer in netting.transfers())
                movements = [(fee_wallet.pubkey(), sweep)] if sweep > 0 else []
                await chain.submit_batch(batch.batch_id, batch.memo, movements)
                batches += 1
        elapsed = time.perf_counter() - started
        return {
            "trades": trades,
            "batches": batches,
            "seconds": round(elapsed, 4),
            "trades_per_second": round(trades / elapsed) if elapsed > 0 else 0,
        }

    return asyncio.run(run())


async def run_settlement_latency_bench(
    database_url: str, seconds: float = 10.0, trades_per_second: int = 200
) -> dict[str, float | int]:
    """Trade -> CONFIRMED in a running setup like the demo's: the settlement service with its
    one-second windows, the SQLite store, the vault submitter and the embedded chain with its
    state saved after every transaction. Trades arrive at a steady rate."""
    import asyncio
    import contextlib

    from engine.accounts.funds import Funds
    from engine.clock import SystemClock
    from engine.settlement.chain.litesvm import LiteSvmChain
    from engine.settlement.persistence import ChainStateStore
    from engine.settlement.service import SettlementService
    from engine.settlement.vaults import VaultService, VaultSubmitter
    from engine.store.database import Database
    from engine.store.settlement import SettlementRepository
    from engine.trading.exchange import Exchange, Outcome

    clock = SystemClock()
    database = Database(database_url)
    chain = LiteSvmChain(clock=clock)

    async def refuse(command: object) -> Outcome:
        raise RuntimeError("no ledger commands in this bench")

    exchange = Exchange([])
    vaults = VaultService(
        database,
        chain,
        clock,
        master_secret="bench-secret-" + "x" * 32,
        submit=refuse,
        exchange=lambda: exchange,
        funds=Funds(database, clock),
        state=ChainStateStore(database, chain),
    )
    repository = SettlementRepository(database)
    service = SettlementService(repository, VaultSubmitter(vaults), clock)
    await chain.start()
    await vaults.start(reconcile_every=None)
    await service.start()
    recorded: dict[str, float] = {}
    latencies: list[float] = []
    items = synthetic_trades(int(seconds * trades_per_second), seed=11)
    seen: set[str] = set()

    async def watch() -> None:
        # Confirmations are observed as they happen, alongside the trades coming in.
        while len(latencies) < len(items):
            await asyncio.sleep(0.01)
            for batch in await repository.batches(20):
                if batch.status != "CONFIRMED" or batch.batch_id in seen:
                    continue
                seen.add(batch.batch_id)
                now = time.perf_counter()
                for leaf in await repository.leaves(batch.batch_id):
                    at = recorded.get(leaf.trade_id)
                    if at is not None:
                        latencies.append(now - at)

    watcher = asyncio.create_task(watch())
    interval = 1 / trades_per_second
    began = time.perf_counter()
    for index, trade in enumerate(items):
        delay = began + index * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        recorded[trade.trade_id] = time.perf_counter()
        service.record_trades([trade])
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(watcher, timeout=30)
    await service.stop()
    await database.dispose()
    latencies.sort()

    def percentile(q: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 3)

    return {
        "trades": len(items),
        "confirmed": len(latencies),
        "p50_seconds": percentile(0.50),
        "p95_seconds": percentile(0.95),
        "p99_seconds": percentile(0.99),
        "max_seconds": round(latencies[-1], 3),
    }


if __name__ == "__main__":
    print(run_settlement_math_bench(100_000))
