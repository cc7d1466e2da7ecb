"""Collects trades into settlement batches: one-second windows or 50 trades, whichever
comes first (seed 004, Layer 3 "Batch Relayer": batch_window_ms 1000, max_batch_size 50).

A closed batch is immutable: its id, trades in arrival order, the leaf data of each trade
and the Merkle root over them. Ids are `b-` and the batch's sequence number zero-padded to
ten digits ("b-0000000123"): sequences increase by one per batch and continue after a
restart from the last stored batch, so ids sort in creation order and are never reused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from engine.settlement.merkle import MerkleTree
from engine.settlement.netting import NettingResult, Transfer, net_deltas
from engine.settlement.trades import SettledTrade, encode_trade

BATCH_WINDOW = timedelta(seconds=1)
MAX_BATCH_TRADES = 50
BATCH_ID_PREFIX = "b-"
MEMO_PREFIX = "godark-settlement"


def batch_id_of(sequence: int) -> str:
    return f"{BATCH_ID_PREFIX}{sequence:010d}"


def batch_memo(batch_id: str, root: bytes) -> bytes:
    """The Memo the batch's transaction carries: how it is found on chain again."""
    return f"{MEMO_PREFIX} {batch_id} {root.hex()}".encode("ascii")


@dataclass(frozen=True, slots=True)
class Batch:
    batch_id: str
    sequence: int
    opened_at: datetime
    closed_at: datetime
    trades: tuple[SettledTrade, ...]
    leaves: tuple[bytes, ...]  # encode_trade of each trade, same order
    root: bytes
    tree: MerkleTree = field(repr=False, compare=False)

    def leaf_index(self, trade_id: str) -> int:
        for index, trade in enumerate(self.trades):
            if trade.trade_id == trade_id:
                return index
        raise KeyError(trade_id)

    def netting(self) -> NettingResult:
        return net_deltas(self.trades)

    def transfers(self) -> list[Transfer]:
        return self.netting().transfers()

    @property
    def memo(self) -> bytes:
        return batch_memo(self.batch_id, self.root)


def build_batch(
    sequence: int, trades: Sequence[SettledTrade], opened_at: datetime, closed_at: datetime
) -> Batch:
    batch_id = batch_id_of(sequence)
    leaves = tuple(encode_trade(trade, batch_id) for trade in trades)
    tree = MerkleTree(leaves)
    return Batch(batch_id, sequence, opened_at, closed_at, tuple(trades), leaves, tree.root, tree)


class Batcher:
    """The open window and the batches it closes. Single writer: the settlement service."""

    def __init__(
        self,
        *,
        next_sequence: int = 1,
        window: timedelta = BATCH_WINDOW,
        max_trades: int = MAX_BATCH_TRADES,
    ) -> None:
        if max_trades < 1:
            raise ValueError("a batch holds at least one trade")
        self.next_sequence = next_sequence
        self.window = window
        self.max_trades = max_trades
        self._trades: list[SettledTrade] = []
        self._opened_at: datetime | None = None

    @property
    def open_trades(self) -> int:
        return len(self._trades)

    @property
    def opened_at(self) -> datetime | None:
        return self._opened_at

    def add(self, trade: SettledTrade, at: datetime) -> list[Batch]:
        """Adds a trade received at `at`; returns the batches this closed (usually none).

        A window that is already due closes first, so a late trade opens the next window
        rather than joining a window that should have closed without it."""
        closed: list[Batch] = []
        due = self.tick(at)
        if due is not None:
            closed.append(due)
        if self._opened_at is None:
            self._opened_at = at
        self._trades.append(trade)
        if len(self._trades) >= self.max_trades:
            closed.append(self._close(at))
        return closed

    def tick(self, at: datetime) -> Batch | None:
        """Closes the open window if its time is up."""
        if self._opened_at is None or at < self._opened_at + self.window:
            return None
        return self._close(at)

    def close(self, at: datetime) -> Batch | None:
        """Closes the open window now, due or not (at shutdown)."""
        if self._opened_at is None:
            return None
        return self._close(at)

    def _close(self, at: datetime) -> Batch:
        assert self._opened_at is not None
        batch = build_batch(self.next_sequence, self._trades, self._opened_at, at)
        self.next_sequence += 1
        self._trades = []
        self._opened_at = None
        return batch
