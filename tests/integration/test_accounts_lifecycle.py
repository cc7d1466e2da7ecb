"""An account's life on both databases: erasure after the grace period, and mail that
cannot be delivered staying in the outbox with its error."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from engine.accounts.mail import MailSender, SmtpConfig
from engine.accounts.ratelimit import MemoryBucketStore, RateLimiter
from engine.accounts.service import AccountsConfig, AccountService, RequestMeta
from engine.clock import ManualClock
from engine.store.database import Database
from engine.store.migrations import upgrade
from engine.store.tables import AccountRow, ActivityRow, MailOutboxRow

PASSWORD = "Correct-Horse-42"


@pytest.fixture
async def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def accounts(database_url: str, clock: ManualClock) -> AsyncIterator[AccountService]:
    await asyncio.to_thread(upgrade, database_url)
    database = Database(database_url)
    service = AccountService(
        database,
        clock,
        AccountsConfig(master_secret="lifecycle-tests-" + "k" * 32),
        RateLimiter(MemoryBucketStore(), clock),
    )
    yield service
    await database.dispose()


async def test_personal_data_is_erased_after_thirty_days_not_before(
    accounts: AccountService, clock: ManualClock
) -> None:
    tokens = await accounts.open_demo_account(RequestMeta(ip="203.0.113.9", user_agent="Firefox"))

    async def nothing_held(_account: str) -> bool:
        return False

    # Demo accounts have a random password; give this one a known one to re-authenticate.
    await accounts._set_password_hash(tokens.account_id, PASSWORD)
    await accounts.request_deletion(tokens.account_id, PASSWORD, None, nothing_held, RequestMeta())
    clock.advance(timedelta(days=29, hours=23))
    assert await accounts.erase_due_accounts() == 0
    clock.advance(timedelta(hours=2))
    assert await accounts.erase_due_accounts() == 1

    row = await accounts.store.one(AccountRow, id=tokens.account_id)
    assert row is not None and row.status == "ERASED"
    assert row.email == f"erased:{tokens.account_id}" and row.password_hash == "!"
    activity = await accounts.store.many(ActivityRow, account_id=tokens.account_id)
    assert activity and all(a.ip == "" and a.user_agent == "" for a in activity)
    assert await accounts.erase_due_accounts() == 0  # once


async def test_undeliverable_mail_stays_queued_with_its_error(
    accounts: AccountService, clock: ManualClock
) -> None:
    await accounts.register(
        "mail@example.com",
        PASSWORD,
        accepted_terms=accounts.config.terms_version,
        referral_code=None,
        meta=RequestMeta(),
    )
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    sender = MailSender(
        accounts.database, clock, SmtpConfig(host="127.0.0.1", port=closed_port, start_tls=False)
    )
    assert await sender.send_pending() == 0
    [queued] = await accounts.store.many(MailOutboxRow, recipient="mail@example.com")
    assert queued.sent_at is None and queued.attempts == 1 and queued.last_error

    demo = MailSender(accounts.database, clock, None)
    assert await demo.send_pending() == 1
    [sent] = await accounts.store.many(MailOutboxRow, recipient="mail@example.com")
    assert sent.sent_at is not None and sent.attempts == 2
