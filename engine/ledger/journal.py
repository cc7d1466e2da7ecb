"""The ledger: posts balanced entries atomically and idempotently, and answers balances."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from engine.clock import Clock
from engine.ledger.model import (
    MAX_BALANCE_UNITS,
    AccountBalance,
    AccountKey,
    AccountPurpose,
    EntryRequest,
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidEntry,
    JournalEntry,
    OwnerKind,
    Posting,
    UnknownAccount,
    net_by_account,
    validate_entry,
)
from engine.store.database import Database, StoredRow, as_utc, insert_ignoring_duplicates
from engine.store.tables import LedgerAccountRow, LedgerEntryRow, LedgerPostingRow, table_of

ACCOUNT = table_of(LedgerAccountRow)
ENTRY = table_of(LedgerEntryRow)
POSTING = table_of(LedgerPostingRow)


class Ledger:
    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock
        # Accounts are never deleted and their ids never change, so a looked-up id
        # stays valid: remembering it saves a query per leg on the hot path.
        self._account_ids: dict[AccountKey, int] = {}

    def forget_account_ids(self) -> None:
        """After a transaction of `post_batch` rolled back: ids it looked up may belong to
        accounts that the rollback removed, so they are looked up again."""
        self._account_ids.clear()

    async def open_accounts(self, keys: Iterable[AccountKey]) -> None:
        """Create the accounts that do not exist yet; opening one twice is harmless."""
        for key in keys:
            try:
                async with self._database.transaction() as connection:
                    if await _find_account_id(connection, key) is not None:
                        continue
                    await connection.execute(
                        insert(ACCOUNT).values(
                            owner_kind=key.owner_kind.value,
                            owner_id=key.owner_id,
                            purpose=key.purpose.value,
                            asset=key.asset,
                            allow_negative=key.allows_negative,
                            balance=0,
                            created_at=self._clock.now(),
                        )
                    )
            except IntegrityError:
                continue  # opened concurrently by someone else: the account exists

    async def post(self, request: EntryRequest) -> JournalEntry:
        """Apply every leg or none. A repeated idempotency key returns the first entry."""
        validate_entry(request)
        fingerprint = request.fingerprint()
        now = self._clock.now()
        async with self._database.transaction() as connection:
            entry_id = await _claim_key(connection, request, fingerprint, now)
            if entry_id is None:
                first = await _stored_entry(connection, request.idempotency_key)
                if first is None:  # pragma: no cover - the key's owner vanished mid-claim
                    raise InvalidEntry("idempotency key conflict; retry the request")
                return _replay(first, request, fingerprint)
            return await self._apply(connection, entry_id, now, request)

    async def entry(self, idempotency_key: str) -> _StoredEntry | None:
        async with self._database.engine.connect() as connection:
            return await _stored_entry(connection, idempotency_key)

    async def balance(self, key: AccountKey) -> int:
        async with self._database.engine.connect() as connection:
            balance = (
                await connection.execute(select(ACCOUNT.c.balance).where(_matches(key)))
            ).scalar_one_or_none()
        if balance is None:
            raise UnknownAccount(f"no account {key}")
        return int(balance)

    async def balances_of(self, owner_kind: OwnerKind, owner_id: str) -> list[AccountBalance]:
        query = (
            select(ACCOUNT)
            .where(ACCOUNT.c.owner_kind == owner_kind.value, ACCOUNT.c.owner_id == owner_id)
            .order_by(ACCOUNT.c.asset, ACCOUNT.c.purpose)
        )
        async with self._database.engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [AccountBalance(_key_of(row), int(row.balance)) for row in rows]

    async def _apply(
        self, connection: AsyncConnection, entry_id: int, now: datetime, request: EntryRequest
    ) -> JournalEntry:
        account_ids = await self._resolve_accounts(
            connection, {leg.account for leg in request.legs}
        )
        new_balances = await _move_balances(connection, account_ids, net_by_account(request.legs))
        postings = _postings_with_running_balance(request, new_balances)
        await connection.execute(
            insert(POSTING),
            [
                {
                    "entry_id": entry_id,
                    "account_id": account_ids[posting.account],
                    "amount": posting.amount,
                    "balance_after": posting.balance_after,
                }
                for posting in postings
            ],
        )
        return JournalEntry(
            entry_id=entry_id,
            idempotency_key=request.idempotency_key,
            kind=request.kind,
            memo=request.memo,
            created_at=now,
            postings=postings,
        )

    async def post_batch(
        self, connection: AsyncConnection, requests: Sequence[EntryRequest], now: datetime
    ) -> int:
        """Store entries already applied by the engine, inside the caller's transaction.

        One statement per kind of row, whatever the batch size: the headers (a key stored
        before — a replay after a restart — is skipped), one guarded update per account,
        and the postings. Accounts the database does not know yet are opened. Returns how
        many entries were new.
        """
        if not requests:
            return 0
        for request in requests:
            validate_entry(request)
        keys = {leg.account for request in requests for leg in request.legs}
        await self._open_missing(connection, keys, now)
        inserted = (
            await connection.execute(
                insert_ignoring_duplicates(connection, ENTRY, ["idempotency_key"]).returning(
                    ENTRY.c.id, ENTRY.c.idempotency_key
                ),
                [
                    {
                        "idempotency_key": request.idempotency_key,
                        "fingerprint": request.fingerprint(),
                        "kind": request.kind,
                        "memo": request.memo,
                        "created_at": now,
                    }
                    for request in requests
                ],
            )
        ).all()
        entry_ids = {row.idempotency_key: int(row.id) for row in inserted}
        new = [request for request in requests if request.idempotency_key in entry_ids]
        if not new:
            return 0
        account_ids = await self._resolve_accounts(connection, keys)
        net: dict[AccountKey, int] = {}
        for request in new:
            for key, delta in net_by_account(request.legs).items():
                net[key] = net.get(key, 0) + delta
        final = await _move_balances(connection, account_ids, net)
        running = {key: final[key] - net[key] for key in net}
        rows = []
        for request in new:
            for leg in request.legs:
                running[leg.account] += leg.amount
                rows.append(
                    {
                        "entry_id": entry_ids[request.idempotency_key],
                        "account_id": account_ids[leg.account],
                        "amount": leg.amount,
                        "balance_after": running[leg.account],
                    }
                )
        await connection.execute(insert(POSTING), rows)
        return len(new)

    async def _open_missing(
        self, connection: AsyncConnection, keys: set[AccountKey], now: datetime
    ) -> None:
        missing = [key for key in keys if key not in self._account_ids]
        if not missing:
            return
        await connection.execute(
            insert_ignoring_duplicates(
                connection, ACCOUNT, ["owner_kind", "owner_id", "purpose", "asset"]
            ),
            [
                {
                    "owner_kind": key.owner_kind.value,
                    "owner_id": key.owner_id,
                    "purpose": key.purpose.value,
                    "asset": key.asset,
                    "allow_negative": key.allows_negative,
                    "balance": 0,
                    "created_at": now,
                }
                for key in missing
            ],
        )

    async def _resolve_accounts(
        self, connection: AsyncConnection, keys: set[AccountKey]
    ) -> dict[AccountKey, int]:
        for key in sorted(keys - self._account_ids.keys()):
            account_id = await _find_account_id(connection, key)
            if account_id is None:
                raise UnknownAccount(f"no account {key}")
            self._account_ids[key] = account_id
        return {key: self._account_ids[key] for key in keys}


class _StoredEntry:
    """A committed entry together with the fingerprint of the request that made it."""

    __slots__ = ("entry", "fingerprint")

    def __init__(self, fingerprint: str, entry: JournalEntry) -> None:
        self.fingerprint = fingerprint
        self.entry = entry


async def _claim_key(
    connection: AsyncConnection, request: EntryRequest, fingerprint: str, now: datetime
) -> int | None:
    """Insert the entry's header, or return None when its key already exists.

    A concurrent transaction holding the same key makes this wait for its outcome, so
    a duplicate never runs alongside the original.
    """
    statement = insert_ignoring_duplicates(connection, ENTRY, ["idempotency_key"]).values(
        idempotency_key=request.idempotency_key,
        fingerprint=fingerprint,
        kind=request.kind,
        memo=request.memo,
        created_at=now,
    )
    entry_id = (await connection.execute(statement.returning(ENTRY.c.id))).scalar_one_or_none()
    return None if entry_id is None else int(entry_id)


async def _stored_entry(connection: AsyncConnection, idempotency_key: str) -> _StoredEntry | None:
    row = (
        await connection.execute(select(ENTRY).where(ENTRY.c.idempotency_key == idempotency_key))
    ).first()
    if row is None:
        return None
    postings = await _load_postings(connection, row.id)
    return _StoredEntry(row.fingerprint, _to_journal_entry(row, postings))


def _replay(first: _StoredEntry, request: EntryRequest, fingerprint: str) -> JournalEntry:
    if first.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            f"idempotency key {request.idempotency_key!r} was used for a different entry"
        )
    entry = first.entry
    return JournalEntry(
        entry_id=entry.entry_id,
        idempotency_key=entry.idempotency_key,
        kind=entry.kind,
        memo=entry.memo,
        created_at=entry.created_at,
        postings=entry.postings,
        replayed=True,
    )


async def _move_balances(
    connection: AsyncConnection, account_ids: dict[AccountKey, int], net: dict[AccountKey, int]
) -> dict[AccountKey, int]:
    """Apply each account's net movement; returns every account's balance after it.

    The accounts are locked first (SELECT ... FOR UPDATE, in account-id order, so two
    transactions touching the same accounts cannot deadlock) and their balances read, so the
    floor and ceiling are checked against what is committed, not a copy: two concurrent
    debits serialise and the second sees the first. SQLite has no row locks; its writers
    are serialised (and a write on a stale read fails instead of losing an update). Then
    one statement writes them all: a batch moving hundreds of accounts costs two round
    trips, not hundreds.
    """
    ordered = sorted(net, key=lambda k: account_ids[k])
    locked = await connection.execute(
        select(ACCOUNT.c.id, ACCOUNT.c.balance)
        .where(ACCOUNT.c.id.in_([account_ids[key] for key in ordered]))
        .order_by(ACCOUNT.c.id)
        .with_for_update()
    )
    current = {int(row.id): int(row.balance) for row in locked}
    new_balances: dict[AccountKey, int] = {}
    changes = []
    for key in ordered:
        before, delta = current[account_ids[key]], net[key]
        after = before + delta
        floor = -MAX_BALANCE_UNITS if key.allows_negative else 0
        if delta != 0 and after < floor:
            raise InsufficientFunds(key, before, -delta)
        if delta != 0 and after > MAX_BALANCE_UNITS:
            raise InvalidEntry(f"account {key} would exceed the largest balance allowed")
        new_balances[key] = after
        if delta != 0:
            changes.append({"moved_id": account_ids[key], "moved_balance": after})
    if changes:
        await connection.execute(
            update(ACCOUNT)
            .where(ACCOUNT.c.id == bindparam("moved_id"))
            .values(balance=bindparam("moved_balance")),
            changes,
        )
    return new_balances


def _postings_with_running_balance(
    request: EntryRequest, new_balances: dict[AccountKey, int]
) -> tuple[Posting, ...]:
    net = net_by_account(request.legs)
    running = {key: new_balances[key] - net[key] for key in net}
    postings = []
    for leg in request.legs:
        running[leg.account] += leg.amount
        postings.append(Posting(leg.account, leg.amount, running[leg.account]))
    return tuple(postings)


async def _find_account_id(connection: AsyncConnection, key: AccountKey) -> int | None:
    account_id = (
        await connection.execute(select(ACCOUNT.c.id).where(_matches(key)))
    ).scalar_one_or_none()
    return None if account_id is None else int(account_id)


async def _load_postings(connection: AsyncConnection, entry_id: int) -> Sequence[StoredRow]:
    query = (
        select(
            POSTING.c.amount,
            POSTING.c.balance_after,
            ACCOUNT.c.owner_kind,
            ACCOUNT.c.owner_id,
            ACCOUNT.c.purpose,
            ACCOUNT.c.asset,
        )
        .join(ACCOUNT, ACCOUNT.c.id == POSTING.c.account_id)
        .where(POSTING.c.entry_id == entry_id)
        .order_by(POSTING.c.id)
    )
    return (await connection.execute(query)).all()


def _to_journal_entry(row: StoredRow, postings: Sequence[StoredRow]) -> JournalEntry:
    return JournalEntry(
        entry_id=row.id,
        idempotency_key=row.idempotency_key,
        kind=row.kind,
        memo=row.memo,
        created_at=as_utc(row.created_at),
        postings=tuple(
            Posting(_key_of(posting), int(posting.amount), int(posting.balance_after))
            for posting in postings
        ),
    )


def _matches(key: AccountKey) -> ColumnElement[bool]:
    return and_(
        ACCOUNT.c.owner_kind == key.owner_kind.value,
        ACCOUNT.c.owner_id == key.owner_id,
        ACCOUNT.c.purpose == key.purpose.value,
        ACCOUNT.c.asset == key.asset,
    )


def _key_of(row: StoredRow) -> AccountKey:
    return AccountKey(
        owner_kind=OwnerKind(row.owner_kind),
        owner_id=row.owner_id,
        purpose=AccountPurpose(row.purpose),
        asset=row.asset,
    )
