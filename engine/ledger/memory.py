"""The engine's working copy of the ledger: balances in memory, entries queued for storage.

The trading engine applies thousands of entries a second; it validates and applies each
one here with the same rules as the stored ledger (balanced, known accounts, no negative
balance but EXTERNAL), and the sequencer writes the queued entries to the database in one
transaction per batch. The database stays the truth: `godark audit` checks it, and a
restart rebuilds this copy from the snapshot and the command journal.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.ledger.model import (
    MAX_BALANCE_UNITS,
    AccountKey,
    EntryRequest,
    InsufficientFunds,
    InvalidEntry,
    UnknownAccount,
    validate_entry,
)


class MemoryLedger:
    def __init__(self) -> None:
        self._balances: dict[AccountKey, int] = {}
        self._queue: list[EntryRequest] = []

    def open_accounts(self, keys: Iterable[AccountKey]) -> None:
        for key in keys:
            self._balances.setdefault(key, 0)

    def balance(self, key: AccountKey) -> int:
        try:
            return self._balances[key]
        except KeyError:
            raise UnknownAccount(f"no account {key}") from None

    def has_account(self, key: AccountKey) -> bool:
        return key in self._balances

    def close_account(self, key: AccountKey) -> None:
        """Forget an emptied account (a collapsed market's escrow, a closed micro session's
        accounts) so short-lived accounts do not pile up in memory. Only a zero balance can
        go; the stored ledger keeps its rows and history, and posting to the key again
        needs `open_accounts` first."""
        balance = self._balances.get(key)
        if balance is None:
            return
        if balance != 0:
            raise InvalidEntry(f"account {key} holds {balance}: only an empty account closes")
        del self._balances[key]

    def post(self, request: EntryRequest) -> None:
        """Apply all legs or none.

        Keys are not remembered here: the engine derives them from its command sequence, so
        they never repeat within a run, and the database refuses a key it already holds
        when a restart replays the journal.
        """
        net = validate_entry(request)
        for key, delta in net.items():
            if key not in self._balances:
                raise UnknownAccount(f"no account {key}")
            after = self._balances[key] + delta
            floor = -MAX_BALANCE_UNITS if key.allows_negative else 0
            if after < floor:
                raise InsufficientFunds(key, self._balances[key], -delta)
            if after > MAX_BALANCE_UNITS:
                raise InvalidEntry(f"account {key} would exceed the largest balance allowed")
        for key, delta in net.items():
            self._balances[key] += delta
        self._queue.append(request)

    def drain(self) -> list[EntryRequest]:
        """Entries applied since the last drain, in order, for the database."""
        queued, self._queue = self._queue, []
        return queued

    def balances(self) -> dict[AccountKey, int]:
        return dict(self._balances)

    def restore(self, balances: dict[AccountKey, int]) -> None:
        """Balances from a snapshot; nothing is queued for storage (it is stored already)."""
        self._balances = dict(balances)
        self._queue = []

    def snapshot(self) -> dict[str, int]:
        return {str(key): balance for key, balance in sorted(self._balances.items())}
