"""Telling a database that is unreachable from one that refused what it was asked: the first
is worth waiting out and retrying, the second is a bug that retrying would only repeat."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.exc import DBAPIError

# Class 08 (connection exception) and class 57 (operator intervention: shutdown, crash,
# "the database system is starting up") of PostgreSQL's error codes, and asyncpg's own
# "connection is closed" errors.
_UNREACHABLE = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.InterfaceError,
)


def is_database_unreachable(error: BaseException) -> bool:
    """True when `error`, or what it wraps, says the connection to the database failed."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _UNREACHABLE):
            return True
        if isinstance(current, DBAPIError):
            if current.connection_invalidated:
                return True
            orig = current.orig
            current = orig if isinstance(orig, BaseException) else current.__cause__
            continue
        current = current.__cause__ or current.__context__
    return False
