"""`godark serve --workers 2` on this machine's PostgreSQL and Redis: one OS process tree of two
API workers sharing one port and one engine. Both workers answer; wallets and vaults reached
through a worker are the engine's (one chain, and its reconciliation finds no difference); a
trade reaches a subscriber; the workers show the engine's prices, games and statistics; the
replica's lag is on /metrics and /healthz; SIGTERM stops the whole tree."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from engine.cluster.lease import asyncpg_dsn
from tests.integration.cluster_helpers import (
    Api,
    a_trade_reaches_a_subscriber,
    cluster_environment,
    demo_account,
    forget_redis_keys,
    gql,
    index_matches_the_engines,
    live_events,
    stats_trades,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

WORKERS = 2
STOP_SECONDS = 60
CHILD_EXIT_SECONDS = 5
POLL_SECONDS = 0.05
AUTHORIZE = """mutation { authorizeVault(amount: "250") { __typename
  ... on VaultUpdated { vault { approved active } wallet { balance delegated } }
  ... on UserError { code message } } }"""
WALLET = "{ wallet { balance delegated } }"
WITHDRAW = """mutation { withdraw(input: {amount: "5", idempotencyKey: "out-1"}) { __typename
  ... on TransferSuccess { replayed } ... on UserError { code message } } }"""
ME = "{ me { email } }"
SET_PASSWORD = """mutation($password: String!) { changePassword(currentPassword: "",
  newPassword: $password) { __typename } }"""
LOGIN = """mutation($email: String!, $password: String!) { login(input: {email: $email,
  password: $password}) { __typename ... on SignedIn { accessToken } } }"""
RECONCILIATION = "{ vaultReconciliation { matches difference onChain expected unmirrored } }"
PASSWORD = "workers-test-Password-1234"


@pytest.fixture
async def cluster_env(postgres_url: str) -> AsyncIterator[dict[str, str]]:
    # `serve` migrates the database itself in demo mode.
    env = await cluster_environment(postgres_url, migrate=False)
    yield env
    await forget_redis_keys(env)


async def test_serve_workers_is_one_process_tree_with_one_chain(
    cluster_env: dict[str, str], tmp_path: Path
) -> None:
    server = Api("serve-workers", cluster_env, tmp_path, workers=WORKERS)
    tree: set[int] = set()
    try:
        await server.wait_healthy()
        tree = _descendants(server.popen.pid)
        answering = await _answering_pids(server)
        assert len(answering) == WORKERS and answering <= tree, (answering, tree)
        engines = {pid for pid in tree if "engine" in _command_line(pid)}
        assert len(engines) == 1 and not engines & answering, (engines, answering)

        # openDemoAccount funds each wallet on the engine's chain (faucet, authorise, deposit).
        seller, buyer = await demo_account(server), await demo_account(server)
        async with server.client(buyer) as client:
            authorized = (await gql(client, AUTHORIZE))["authorizeVault"]
            assert authorized["__typename"] == "VaultUpdated", authorized
            assert authorized["wallet"]["delegated"] == "250.000000"
            for _ in range(5):  # whichever worker answers reads the same chain
                assert (await gql(client, WALLET))["wallet"]["delegated"] == "250.000000"
        await a_trade_reaches_a_subscriber(server, server, seller, buyer)
        # The workers show the engine's market data and statistics, not figures of their own.
        assert await stats_trades(server, at_least=1) >= 1
        await index_matches_the_engines(server)
        assert await live_events(server)
        async with server.client(seller) as client:
            withdrawn = (await gql(client, WITHDRAW))["withdraw"]
        assert withdrawn["__typename"] == "TransferSuccess", withdrawn

        reconciliation = await _reconciliation(server, seller, cluster_env["GODARK_DATABASE_URL"])
        assert reconciliation["matches"], reconciliation
        assert Decimal(reconciliation["difference"]) == 0, reconciliation
        assert Decimal(reconciliation["unmirrored"]) == 0, reconciliation
        assert "vault_reconciliation_mismatch" not in server.output()

        await _replica_lag_reaches_zero(server)

        server.popen.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(server.popen.wait, STOP_SECONDS) == 0
        assert not await _outliving(tree), "children outlived the server"
        assert "never retrieved" not in server.output()  # a quiet shutdown
    except BaseException:
        print(f"--- {server.log.name}\n{server.output()[-6000:]}")
        raise
    finally:
        server.stop()
        for pid in tree:  # after a failure: what this test started and is still running
            if _alive(pid) and ("api.cli" in (line := _command_line(pid)) or "spawn" in line):
                os.kill(pid, signal.SIGKILL)


async def _answering_pids(server: Api) -> set[int]:
    """Process ids behind /healthz, over new connections sent together so that every worker
    is asked to accept some."""

    async def one() -> int:
        async with httpx.AsyncClient(timeout=30) as client:
            body: dict[str, Any] = (await client.get(f"{server.url}/healthz")).json()
        return int(body["pid"])

    pids: set[int] = set()
    for _ in range(10):
        pids |= set(await asyncio.gather(*(one() for _ in range(20))))
        if len(pids) >= WORKERS:
            break
    return pids


async def _reconciliation(server: Api, token: str, database_url: str) -> dict[str, Any]:
    """The engine's reconciliation, run now, asked for through a worker by an admin: the
    account of `token`, given a password and the ADMIN role out of band (as `godark accounts
    grant-role` does; it refuses the demo's reserved email domain)."""
    async with server.client(token) as client:
        email = (await gql(client, ME))["me"]["email"]
        await gql(client, SET_PASSWORD, password=PASSWORD)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute("UPDATE account SET roles = 'ADMIN,USER' WHERE email = $1", email)
    finally:
        await connection.close()
    async with server.client() as client:
        signed_in = (await gql(client, LOGIN, email=email, password=PASSWORD))["login"]
    async with server.client(signed_in["accessToken"]) as client:
        reconciliation: dict[str, Any] = (await gql(client, RECONCILIATION))["vaultReconciliation"]
    return reconciliation


async def _replica_lag_reaches_zero(server: Api) -> None:
    """The demo's engine journals prices all the time; the workers' replicas keep up, so a
    scrape finds nothing left to apply, and then no seconds behind either."""
    async with server.client() as client:
        for _ in range(200):
            metrics = _samples((await client.get("/metrics")).text)
            health = (await client.get("/healthz")).json()["replica"]
            if metrics["godark_replica_commands_behind"] == 0 and health["commandsBehind"] == 0:
                assert metrics["godark_replica_seconds_behind"] == 0
                assert health["secondsBehind"] == 0
                assert metrics["godark_replica_sequence"] > 0
                return
            await asyncio.sleep(0.1)
    raise AssertionError(f"replica never caught up: {metrics}, {health}")


def _samples(text: str) -> dict[str, float]:
    """Unlabelled samples of the Prometheus text format."""
    values = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if not line.startswith("#") and "{" not in name and value:
            values[name] = float(value)
    return values


def _descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                # "pid (comm) state ppid ...": comm may hold spaces, so split after its ")".
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
                parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {root}
    while frontier:
        children = {pid for pid, parent in parents.items() if parent in frontier}
        frontier = children - found
        found |= children
    return found


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


async def _outliving(tree: set[int]) -> set[int]:
    """Children still running a moment after the parent exited. The grace is for the spawn
    start method's resource tracker, which exits by itself once it reads EOF on the pipe the
    parent held, a few milliseconds after the parent is gone."""
    alive = tree
    for _ in range(int(CHILD_EXIT_SECONDS / POLL_SECONDS)):
        alive = {pid for pid in alive if _alive(pid)}
        if not alive:
            break
        await asyncio.sleep(POLL_SECONDS)
    return alive


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"
