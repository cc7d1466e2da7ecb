"""Accounts under concurrency, on SQLite and the real PostgreSQL: one account per email,
one winner per single-use token, and a raced refresh token treated as stolen."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from engine.accounts.ratelimit import MemoryBucketStore, RateLimiter
from engine.accounts.service import AccountsConfig, AccountService, InvalidToken, RequestMeta
from engine.clock import SystemClock
from engine.store.database import Database
from engine.store.migrations import upgrade
from engine.store.tables import AccountRow, AuthSessionRow, MailOutboxRow, table_of

PASSWORD = "Correct-Horse-42"


@pytest.fixture
async def accounts(database_url: str) -> AsyncIterator[AccountService]:
    await asyncio.to_thread(upgrade, database_url)
    database = Database(database_url)
    clock = SystemClock()
    service = AccountService(
        database,
        clock,
        AccountsConfig(master_secret="concurrency-tests-" + "k" * 32),
        RateLimiter(MemoryBucketStore(), clock),
    )
    yield service
    await database.dispose()


async def _count(service: AccountService, model: type, **where: object) -> int:
    table = table_of(model)
    statement = select(func.count()).select_from(table)
    for column, value in where.items():
        statement = statement.where(table.c[column] == value)
    async with service.database.engine.connect() as connection:
        return int(await connection.scalar(statement) or 0)


async def test_twenty_simultaneous_sign_ups_with_one_email_make_one_account(
    accounts: AccountService,
) -> None:
    await asyncio.gather(
        *(
            accounts.register(
                "race@example.com",
                PASSWORD,
                accepted_terms=accounts.config.terms_version,
                referral_code=None,
                meta=RequestMeta(),
            )
            for _ in range(20)
        )
    )
    assert await _count(accounts, AccountRow, email="race@example.com") == 1
    # Every attempt answered the same; the owner got one link and 19 warnings.
    assert await _count(accounts, MailOutboxRow, recipient="race@example.com") == 20


async def test_a_refresh_token_raced_ten_times_wins_once_and_ends_the_session(
    accounts: AccountService,
) -> None:
    tokens = await accounts.open_demo_account(RequestMeta())
    results = await asyncio.gather(
        *(accounts.refresh(tokens.refresh_token, RequestMeta()) for _ in range(10)),
        return_exceptions=True,
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, InvalidToken)]
    assert len(winners) == 1 and len(refused) == 9
    # Two presenters of one refresh token means one of them stole it: the session ends.
    assert (
        await _count(
            accounts, AuthSessionRow, id=tokens.session_id, revoked_reason="REFRESH_REUSED"
        )
        == 1
    )
    with pytest.raises(InvalidToken):
        await accounts.refresh(winners[0].refresh_token, RequestMeta())
