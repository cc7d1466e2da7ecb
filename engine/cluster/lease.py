"""The engine lease: a PostgreSQL advisory lock held on a dedicated connection.

The process that holds it runs the sequencer; others wait as standbys. A holder that dies
drops its connection and PostgreSQL releases the lock, so a standby takes over within a
retry. The journal's gap check and primary key still refuse a second writer's batch, should a
holder that lost its connection keep running for a moment.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg  # type: ignore[import-untyped]
import structlog
from sqlalchemy.engine import make_url

# pg_advisory_lock takes a bigint; this one is the trading engine's (locks are per database).
ENGINE_LEASE_KEY = 0x60DA_4C_E1
RETRY_SECONDS = 1.0
# Keepalives let PostgreSQL notice a holder whose machine vanished, not only one that exited.
KEEPALIVES = {
    "tcp_keepalives_idle": "5",
    "tcp_keepalives_interval": "2",
    "tcp_keepalives_count": "3",
}

log = structlog.get_logger("godark.cluster.lease")


def asyncpg_dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class EngineLease:
    def __init__(self, database_url: str, key: int = ENGINE_LEASE_KEY) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._key = key
        self._connection: asyncpg.Connection | None = None

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Wait as a standby until the lease is ours (True) or `stop` is set (False)."""
        waiting_logged = False
        while not stop.is_set():
            try:
                if self._connection is None or self._connection.is_closed():
                    self._connection = await asyncpg.connect(self._dsn, server_settings=KEEPALIVES)
                if await self._connection.fetchval("SELECT pg_try_advisory_lock($1)", self._key):
                    log.info("engine_lease_acquired")
                    return True
                if not waiting_logged:
                    log.info("engine_standby")
                    waiting_logged = True
            except (OSError, asyncpg.PostgresError) as error:
                log.warning("engine_lease_unavailable", error=type(error).__name__)
                await self._close()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(RETRY_SECONDS):
                    await stop.wait()
        return False

    async def held(self) -> bool:
        """Still ours: the connection that holds the lock answers."""
        if self._connection is None or self._connection.is_closed():
            return False
        try:
            async with asyncio.timeout(RETRY_SECONDS * 3):
                await self._connection.fetchval("SELECT 1")
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return False
        return True

    async def release(self) -> None:
        await self._close()

    async def _close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close(timeout=2)
            self._connection = None
