"""Migrations up and down on SQLite and PostgreSQL, and agreement with the models."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import engine.store.tables  # noqa: F401  (registers the tables)
from engine.store.database import Database
from engine.store.migrations import downgrade, upgrade

ALL_TABLES = {
    "ledger_account",
    "ledger_entry",
    "ledger_posting",
    "price_candle",
    "market",
    "command_journal",
    "journal_snapshot",
    "account",
    "auth_session",
    "refresh_token",
    "account_token",
    "mail_outbox",
    "account_activity",
    "api_key",
    "wallet_nonce",
    "admin_proposal",
    "aml_flag",
    "funds_movement",
    "settlement_batch",
    "settlement_leaf",
    "chain_account",
    "chain_transaction",
    "wallet",
    "vault",
    "vault_movement",
    "referral_activity",
    "referral_scan",
    "stats_day",
    "stats_run",
}


async def _tables(url: str) -> set[str]:
    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    finally:
        await database.dispose()
    return names - {"alembic_version"}


async def _differences_from_models(url: str) -> list[object]:
    def compare(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            return await connection.run_sync(compare)
    finally:
        await database.dispose()


async def test_upgrade_creates_exactly_what_the_models_declare(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url)

    assert await _tables(database_url) == ALL_TABLES
    assert await _differences_from_models(database_url) == []


async def test_downgrade_removes_everything_and_upgrade_restores_it(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url)
    await asyncio.to_thread(downgrade, database_url, "base")
    assert await _tables(database_url) == set()

    await asyncio.to_thread(upgrade, database_url)
    assert await _tables(database_url) == ALL_TABLES


async def test_upgrading_twice_changes_nothing(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url)
    await asyncio.to_thread(upgrade, database_url)
    assert await _tables(database_url) == ALL_TABLES
