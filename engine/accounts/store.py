"""Reads and writes of the account tables: small statements the services compose."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import SQLModel

from engine.store.database import Database, StoredRow, as_utc
from engine.store.tables import table_of


class AccountStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def one(self, model: type[SQLModel], **where: Any) -> StoredRow | None:
        rows = await self.many(model, limit=1, **where)
        return rows[0] if rows else None

    async def many(
        self,
        model: type[SQLModel],
        *,
        limit: int = 500,
        newest_first: str | None = None,
        **where: Any,
    ) -> Sequence[StoredRow]:
        table = table_of(model)
        statement = select(table).where(*(table.c[k] == v for k, v in where.items()))
        if newest_first is not None:
            statement = statement.order_by(table.c[newest_first].desc())
        async with self.database.engine.connect() as connection:
            return (await connection.execute(statement.limit(limit))).all()

    @staticmethod
    async def insert(connection: AsyncConnection, model: type[SQLModel], **values: Any) -> None:
        await connection.execute(insert(table_of(model)).values(**values))

    @staticmethod
    async def update(
        connection: AsyncConnection,
        model: type[SQLModel],
        where: Mapping[str, object],
        *,
        only_if_null: str | None = None,
        **values: Any,
    ) -> int:
        """Update the matching rows; with only_if_null, only those where that column is NULL.

        Returns how many rows changed, so a single-use token used twice at once is caught:
        only one of the two updates finds the column still NULL.
        """
        table = table_of(model)
        statement = update(table).where(*(table.c[k] == v for k, v in where.items()))
        if only_if_null is not None:
            statement = statement.where(table.c[only_if_null].is_(None))
        result = await connection.execute(statement.values(**values))
        return int(result.rowcount)


def moment(value: Any) -> datetime | None:
    """A stored timestamp as an aware UTC datetime (SQLite hands them back naive)."""
    return None if value is None else as_utc(value)
