"""The settlement service: trades in, batches stored, batches onto the chain, proofs out.

Trading never waits on the chain: `record_trades` only appends to the open window in
memory. A separate task (`run`, or `run_once` step by step in tests) closes due windows,
stores each closed batch with its leaves, and submits stored batches to the chain one at
a time in sequence order, with backoff on failure. A batch is marked PENDING before the
chain is asked, and any later attempt first asks the chain whether the batch is already
there, so neither a failure nor a crash between submitting and recording applies a batch
twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from engine.bus import EventBus
from engine.clock import Clock
from engine.settlement.batcher import (
    BATCH_WINDOW,
    MAX_BATCH_TRADES,
    Batch,
    Batcher,
    batch_memo,
    build_batch,
)
from engine.settlement.lifecycle import BatchStatus, ChainSubmitter, retry_delay
from engine.settlement.merkle import MerkleTree, verify_inclusion
from engine.settlement.netting import Transfer, net_deltas
from engine.settlement.trades import SettledTrade, decode_trade
from engine.store.settlement import NewBatch, SettlementRepository, StoredBatch

log = structlog.get_logger("godark.settlement")

SETTLEMENTS_TOPIC = "settlements"
# A chain call that takes longer is abandoned and retried (after `find`).
SUBMIT_TIMEOUT = timedelta(seconds=10)
POLL_INTERVAL = timedelta(milliseconds=50)
# Batches looked at per pass of the submission loop.
UNCONFIRMED_PAGE = 100


@dataclass(frozen=True, slots=True)
class TradeProof:
    """Everything a user needs to check that a trade is in a batch whose root is on chain."""

    trade_id: str
    batch_id: str
    status: str
    leaf_index: int
    tree_size: int
    path: tuple[str, ...]  # hex SHA-256 hashes, from the leaf up (RFC 6962 PATH)
    merkle_root: str  # hex
    leaf_data: str  # hex of encode_trade(...)
    tx_signature: str | None

    def verify(self) -> bool:
        return verify_inclusion(
            bytes.fromhex(self.leaf_data),
            self.leaf_index,
            self.tree_size,
            [bytes.fromhex(node) for node in self.path],
            bytes.fromhex(self.merkle_root),
        )


class SettlementService:
    def __init__(
        self,
        repository: SettlementRepository,
        submitter: ChainSubmitter,
        clock: Clock,
        *,
        bus: EventBus | None = None,
        window: timedelta = BATCH_WINDOW,
        max_trades: int = MAX_BATCH_TRADES,
        submit_timeout: timedelta = SUBMIT_TIMEOUT,
        poll_interval: timedelta = POLL_INTERVAL,
    ) -> None:
        self._repository = repository
        self._submitter = submitter
        self._clock = clock
        self._bus = bus
        self._batcher = Batcher(window=window, max_trades=max_trades)
        self._closed: deque[Batch] = deque()
        self._last_sequence: int | None = None
        self._submit_timeout = submit_timeout.total_seconds()
        self._poll_interval = poll_interval.total_seconds()
        # Transfers of stored batches not yet confirmed, so retries need not rebuild them.
        self._transfers: dict[str, list[Transfer]] = {}
        self._task: asyncio.Task[None] | None = None

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Crash-only: starting after a crash is a normal start. Unconfirmed batches found
        in the store, PENDING ones included, are resumed by the loop (with `find` first)."""
        await self._restore_sequence()
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="settlement")

    async def stop(self) -> None:
        """Closes the open window and stores it; unconfirmed batches resume on next start."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        closed = self._batcher.close(self._clock.now())
        if closed is not None:
            self._closed.append(closed)
        try:
            await self.store_closed()
        except Exception as error:
            # Like a crash: the next start batches again the restored trades that no stored
            # batch holds (runtime.py), so a stop must not fail over a busy database.
            log.warning("settlement_final_store_failed", error=type(error).__name__)

    async def run(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("settlement_loop_failed")
            await asyncio.sleep(self._poll_interval)

    async def run_once(self) -> None:
        self.close_due_window()
        await self.store_closed()
        await self.submit_due()

    # --- trades in ----------------------------------------------------------------------

    def record_trades(self, trades: Iterable[SettledTrade]) -> None:
        """Appends trades to the open window. Never waits: no database, no chain."""
        now = self._clock.now()
        for trade in trades:
            self._closed.extend(self._batcher.add(trade, now))

    def close_due_window(self) -> None:
        closed = self._batcher.tick(self._clock.now())
        if closed is not None:
            self._closed.append(closed)

    async def store_closed(self) -> list[str]:
        """Stores closed batches in order; returns their ids. Trades already in a stored
        batch (fed again after a restart) are left out, and the id is the store's next
        sequence, so ids stay gapless and unique whatever the batcher guessed."""
        stored: list[str] = []
        if self._closed and self._last_sequence is None:
            await self._restore_sequence()
        while self._closed:
            batch = self._closed[0]
            trade_ids = [trade.trade_id for trade in batch.trades]
            already = await self._repository.batched_trade_ids(trade_ids)
            trades = []
            for trade in batch.trades:  # also drops a trade recorded twice in one window
                if trade.trade_id not in already:
                    already.add(trade.trade_id)
                    trades.append(trade)
            assert self._last_sequence is not None
            sequence = self._last_sequence + 1
            if not trades:
                self._closed.popleft()
                continue
            if sequence != batch.sequence or len(trades) != len(batch.trades):
                batch = build_batch(sequence, trades, batch.opened_at, batch.closed_at)
            now = self._clock.now()
            await self._repository.insert_batch(
                NewBatch(
                    batch_id=batch.batch_id,
                    sequence=batch.sequence,
                    merkle_root=batch.root.hex(),
                    opened_at=batch.opened_at,
                    trade_ids=[trade.trade_id for trade in batch.trades],
                    leaves=batch.leaves,
                ),
                BatchStatus.MATCHED,
                now,
            )
            self._closed.popleft()
            self._last_sequence = batch.sequence
            self._batcher.next_sequence = max(self._batcher.next_sequence, batch.sequence + 1)
            self._transfers[batch.batch_id] = batch.transfers()
            stored.append(batch.batch_id)
            log.info("settlement_batch_stored", batch_id=batch.batch_id, trades=len(trades))
            await self._publish(batch.batch_id)
        return stored

    async def _restore_sequence(self) -> None:
        self._last_sequence = await self._repository.last_sequence()
        self._batcher.next_sequence = max(self._batcher.next_sequence, self._last_sequence + 1)

    # --- batches onto the chain ---------------------------------------------------------

    async def submit_due(self) -> int:
        """Settles due batches oldest first and stops at the first that is not due or
        fails: batches reach the chain in the order the ledger moved. Returns how many
        confirmed."""
        confirmed = 0
        now = self._clock.now()
        for stored in await self._repository.unconfirmed(UNCONFIRMED_PAGE):
            if stored.next_attempt_at is not None and stored.next_attempt_at > now:
                break
            if not await self._settle(stored):
                break
            confirmed += 1
        return confirmed

    async def _settle(self, stored: StoredBatch) -> bool:
        batch_id = stored.batch_id
        if stored.attempts > 0:
            # An earlier attempt may have landed (or crashed after landing): look first.
            try:
                async with asyncio.timeout(self._submit_timeout):  # wait_for: see Sequencer
                    found = await self._submitter.find(batch_id)
            except Exception as error:
                await self._fail(batch_id, stored.attempts, f"find: {error!r}")
                return False
            if found is not None:
                await self._confirm(batch_id, found, recovered=True)
                return True
        transfers = await self._transfers_of(stored)
        attempts = stored.attempts + 1
        await self._repository.mark_pending(batch_id, attempts, self._clock.now())
        await self._publish(batch_id)
        memo = batch_memo(batch_id, bytes.fromhex(stored.merkle_root))
        try:
            async with asyncio.timeout(self._submit_timeout):
                signature = await self._submitter.submit(batch_id, memo, transfers)
        except Exception as error:
            await self._fail(batch_id, attempts, repr(error))
            return False
        await self._confirm(batch_id, signature, recovered=False)
        return True

    async def _transfers_of(self, stored: StoredBatch) -> list[Transfer]:
        transfers = self._transfers.get(stored.batch_id)
        if transfers is not None:
            return transfers
        leaves = await self._repository.leaves(stored.batch_id)
        data = [leaf.data for leaf in leaves]
        if MerkleTree(data).root.hex() != stored.merkle_root:
            raise RuntimeError(f"stored leaves of {stored.batch_id} do not match its root")
        transfers = net_deltas(decode_trade(item)[1] for item in data).transfers()
        self._transfers[stored.batch_id] = transfers
        return transfers

    async def _confirm(self, batch_id: str, signature: str, *, recovered: bool) -> None:
        await self._repository.mark_confirmed(batch_id, signature, self._clock.now())
        self._transfers.pop(batch_id, None)
        log.info(
            "settlement_batch_confirmed",
            batch_id=batch_id,
            signature=signature,
            found_on_chain=recovered,
        )
        await self._publish(batch_id)

    async def _fail(self, batch_id: str, attempts: int, error: str) -> None:
        next_attempt_at = self._clock.now() + retry_delay(attempts)
        await self._repository.mark_failed(batch_id, error, next_attempt_at)
        log.warning(
            "settlement_batch_failed",
            batch_id=batch_id,
            attempts=attempts,
            error=error,
            next_attempt_at=next_attempt_at.isoformat(),
        )
        await self._publish(batch_id)

    async def _publish(self, batch_id: str) -> None:
        if self._bus is None:
            return
        stored = await self._repository.batch(batch_id)
        if stored is None:
            return
        await self._bus.publish(SETTLEMENTS_TOPIC, batch_message(stored))

    # --- queries ------------------------------------------------------------------------

    async def batches(self, limit: int = 50, before: str | None = None) -> list[StoredBatch]:
        """Newest first; `before` is a batch id to page back from."""
        before_sequence: int | None = None
        if before is not None:
            anchor = await self._repository.batch(before)
            if anchor is None:
                return []
            before_sequence = anchor.sequence
        return await self._repository.batches(limit, before_sequence)

    async def batch(self, batch_id: str) -> StoredBatch | None:
        return await self._repository.batch(batch_id)

    async def proof(self, trade_id: str) -> TradeProof | None:
        """None while the trade is still in the open window (or unknown)."""
        leaf = await self._repository.leaf_of_trade(trade_id)
        if leaf is None:
            return None
        stored = await self._repository.batch(leaf.batch_id)
        assert stored is not None
        leaves = await self._repository.leaves(leaf.batch_id)
        tree = MerkleTree([item.data for item in leaves])
        return TradeProof(
            trade_id=trade_id,
            batch_id=stored.batch_id,
            status=stored.status,
            leaf_index=leaf.leaf_index,
            tree_size=tree.size,
            path=tuple(node.hex() for node in tree.audit_path(leaf.leaf_index)),
            merkle_root=stored.merkle_root,
            leaf_data=leaf.data.hex(),
            tx_signature=stored.tx_signature,
        )

    async def lag(self) -> timedelta:
        """How long the oldest trade not yet confirmed on chain has waited (zero if none):
        the settlement lag shown in /metrics and the stats."""
        now = self._clock.now()
        oldest: list[datetime] = []
        if self._batcher.opened_at is not None:
            oldest.append(self._batcher.opened_at)
        oldest.extend(batch.opened_at for batch in self._closed)
        unconfirmed = await self._repository.unconfirmed(1)
        if unconfirmed:
            oldest.append(unconfirmed[0].opened_at)
        return max(now - min(oldest), timedelta(0)) if oldest else timedelta(0)


def batch_message(batch: StoredBatch) -> dict[str, object]:
    """A batch as published on the `settlements` topic (public: no accounts)."""
    return {
        "type": "SettlementBatchChanged",
        "batch_id": batch.batch_id,
        "status": batch.status,
        "merkle_root": batch.merkle_root,
        "trade_count": batch.trade_count,
        "tx_signature": batch.tx_signature,
        "attempts": batch.attempts,
        "created_at": batch.created_at.isoformat(),
        "confirmed_at": None if batch.confirmed_at is None else batch.confirmed_at.isoformat(),
    }
