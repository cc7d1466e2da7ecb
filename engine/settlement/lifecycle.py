"""A batch's life on its way to the chain, and the interface the chain backends implement.

    MATCHED ──submit──▶ PENDING ──signature──▶ CONFIRMED
       ▲                   │
       └──── backoff ─── FAILED (error, timeout, or a crash found on restart)

MATCHED: closed and stored, waiting for its first submission. PENDING: recorded as
submitted *before* the chain is asked, so a crash after submitting leaves a trace.
FAILED: the last attempt did not confirm; the batch is due again at `next_attempt_at`.
Before any attempt after the first, the chain is asked whether the batch is already
there (`ChainSubmitter.find`), so a batch is never applied twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from enum import StrEnum
from typing import Protocol

from engine.settlement.netting import Transfer

FIRST_RETRY_DELAY = timedelta(milliseconds=500)
MAX_RETRY_DELAY = timedelta(seconds=30)


class BatchStatus(StrEnum):
    MATCHED = "MATCHED"
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    FAILED = "FAILED"


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the `attempts`-th failed attempt: 0.5 s, 1 s, 2 s ... 30 s."""
    exponent = max(attempts - 1, 0)
    if exponent >= 16:  # far past the cap; keeps the multiplication small
        return MAX_RETRY_DELAY
    delay: timedelta = FIRST_RETRY_DELAY * (1 << exponent)
    return min(delay, MAX_RETRY_DELAY)


class ChainSubmitter(Protocol):
    """What settlement needs from a chain backend (LiteSVM in process, or Solana RPC)."""

    async def submit(self, batch_id: str, memo: bytes, transfers: Sequence[Transfer]) -> str:
        """Applies the batch in one transaction carrying `memo`; returns its signature
        once confirmed. Raises on failure; settlement retries with backoff."""
        ...

    async def find(self, batch_id: str) -> str | None:
        """The signature of the confirmed transaction that carries this batch's memo, or
        None. None must mean the batch is not on chain *and* an earlier submission can no
        longer land (e.g. its blockhash has expired); until then, wait or raise."""
        ...
