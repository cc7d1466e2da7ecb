"""SIGKILL in the middle of a load of orders, flash bets and withdrawals: after a restart every
acknowledged command is there once, none is applied twice, and the stored ledger audits
clean. On the real PostgreSQL, with a real server."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
import pytest

from tests.integration.processes import (
    Load,
    Server,
    assert_each_acknowledged_once,
    audit_differences,
    free_port,
    run_godark,
    server_environment,
    sign_in,
    wait_for_prices,
)

pytestmark = pytest.mark.postgres

ACKS_OF_EACH_BEFORE_THE_KILL = 5  # per caller and kind: 15 of each in all


async def test_a_killed_server_restarts_with_every_acknowledged_command(
    postgres_url: str, tmp_path: Path
) -> None:
    # Bursts from one account: the journal is under test, not the limits.
    env = server_environment(postgres_url, free_port(), RATE_LIMITS="false")
    migrated = await asyncio.to_thread(run_godark, env, "migrate")
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    server = Server(env, tmp_path / "server.log")
    server.start()
    try:
        await server.wait_healthy()
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            await wait_for_prices(client)
            token = await sign_in(client)
            # Three callers of each kind at once, so commands are in flight at the kill.
            loads = [Load(client, pause_seconds=0.0, prefix=f"caller-{n}-") for n in range(3)]
            running = [asyncio.create_task(load.run()) for load in loads]
            try:
                waits = (load.wait_for_acknowledged(ACKS_OF_EACH_BEFORE_THE_KILL) for load in loads)
                await asyncio.wait_for(asyncio.gather(*waits), 60)
                assert server.process is not None
                server.process.send_signal(signal.SIGKILL)  # no shutdown code runs
                server.process.wait(timeout=10)
            finally:
                for load in loads:
                    load.stopping.set()
                await asyncio.gather(*running)
    finally:
        server.kill()

    restarted = Server(env, tmp_path / "server.log")
    restarted.start()
    try:
        await restarted.wait_healthy()
        # The same access token: the key it is signed with survives the restart.
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=server.url, timeout=10, headers=headers) as client:
            for load in loads:
                await assert_each_acknowledged_once(client, load)
    finally:
        restarted.stop()
    assert await asyncio.to_thread(audit_differences, env) == 0
