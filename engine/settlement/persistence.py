"""The embedded chain's state, saved: LiteSVM lives in memory, so every account a transaction
wrote and every transaction it executed are stored, and put back into a new LiteSVM at start.

Without this a restart would lose every on-chain balance (reconciliation would then fail) and
the history `find_batch` and the /solana view read. Saving happens in the caller's database
transaction (`save_changes(connection)`), so a vault movement's row and the chain state it
produced are stored together or not at all.
"""

from __future__ import annotations

import json

from solders.account import Account
from solders.pubkey import Pubkey
from solders.transaction import Transaction
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from engine.settlement.chain.litesvm import LiteSvmChain, RecordedTransaction
from engine.store.database import Database, insert_ignoring_duplicates
from engine.store.tables import ChainAccountRow, ChainTransactionRow, table_of

ACCOUNT = table_of(ChainAccountRow)
TRANSACTION = table_of(ChainTransactionRow)
ERROR_LENGTH = 500


class ChainStateStore:
    """Saves and restores a LiteSvmChain's accounts and transaction history."""

    def __init__(self, database: Database, chain: LiteSvmChain) -> None:
        self._database = database
        self._chain = chain
        self._position: int | None = None

    async def restore(self) -> tuple[int, int]:
        """Loads the saved state into the chain (call before `chain.start`); returns the number
        of accounts and transactions restored."""
        async with self._database.engine.connect() as connection:
            account_rows = (await connection.execute(select(ACCOUNT))).all()
            transaction_rows = (
                await connection.execute(select(TRANSACTION).order_by(TRANSACTION.c.position))
            ).all()
            last = (await connection.execute(select(func.max(TRANSACTION.c.position)))).scalar()
        self._position = int(last or 0)
        accounts = [
            (
                Pubkey.from_string(row.address),
                Account(
                    lamports=int(row.lamports),
                    data=bytes(row.data),
                    owner=Pubkey.from_string(row.owner),
                    executable=bool(row.executable),
                ),
            )
            for row in account_rows
        ]
        records = [_record(row) for row in transaction_rows]
        self._chain.restore(accounts, records)
        return len(accounts), len(records)

    async def save(self) -> None:
        """Saves what changed, in a transaction of its own."""
        async with self._database.transaction() as connection:
            await self.save_changes(connection)

    async def save_changes(self, connection: AsyncConnection) -> None:
        """Saves the accounts written and transactions executed since the last save."""
        accounts, records = self._chain.drain_changes()
        if self._position is None:
            last = (await connection.execute(select(func.max(TRANSACTION.c.position)))).scalar()
            self._position = int(last or 0)
        for address, account in accounts:
            await connection.execute(ACCOUNT.delete().where(ACCOUNT.c.address == str(address)))
            if account is None:
                continue
            await connection.execute(
                ACCOUNT.insert().values(
                    address=str(address),
                    lamports=account.lamports,
                    owner=str(account.owner),
                    data=bytes(account.data),
                    executable=account.executable,
                )
            )
        rows = []
        for record in records:
            self._position += 1
            rows.append(_row(record, self._position))
        if rows:
            await connection.execute(
                insert_ignoring_duplicates(connection, TRANSACTION, ["signature"]), rows
            )


def _row(record: RecordedTransaction, position: int) -> dict[str, object]:
    return {
        "signature": record.signature,
        "position": position,
        "slot": record.slot,
        "block_time": record.block_time,
        "raw": bytes(record.transaction),
        "error": None if record.error is None else record.error[:ERROR_LENGTH],
        "fee": record.fee,
        "compute_units": record.compute_units,
        "detail": json.dumps(
            {
                "logs": list(record.logs),
                "memos": list(record.memos),
                "pre_balances": list(record.pre_balances),
                "post_balances": list(record.post_balances),
            }
        ),
    }


def _record(row: object) -> RecordedTransaction:
    detail = json.loads(row.detail)  # type: ignore[attr-defined]
    return RecordedTransaction(
        signature=row.signature,  # type: ignore[attr-defined]
        slot=int(row.slot),  # type: ignore[attr-defined]
        block_time=int(row.block_time),  # type: ignore[attr-defined]
        transaction=Transaction.from_bytes(bytes(row.raw)),  # type: ignore[attr-defined]
        error=row.error,  # type: ignore[attr-defined]
        fee=int(row.fee),  # type: ignore[attr-defined]
        logs=tuple(detail["logs"]),
        memos=tuple(detail["memos"]),
        compute_units=int(row.compute_units),  # type: ignore[attr-defined]
        pre_balances=tuple(detail["pre_balances"]),
        post_balances=tuple(detail["post_balances"]),
    )
