"""SIGKILL in the middle of a load: every acknowledged command survives, none is applied
twice, and the stored ledger audits clean. On the real PostgreSQL, with a real server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REPOSITORY_ROOT

pytestmark = pytest.mark.postgres

GODARK = str(Path(sys.executable).parent / "godark")
WITHDRAW = """mutation($key: String!) { withdraw(input: {amount: "5", idempotencyKey: $key}) {
  __typename ... on TransferSuccess { replayed } } }"""
OPEN_DEMO = """mutation { openDemoAccount { ... on SignedIn { accessToken } } }"""
PLACE = """mutation($id: String!) { placeOrder(input: {symbol: "BTC-USDT-PERP", side: BUY,
  type: LIMIT, size: "0.001", price: "1000", leverage: 5, clientOrderId: $id}) {
  __typename ... on OrderPlaced { order { id status } } ... on UserError { code } } }"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [GODARK, "serve"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        cwd=REPOSITORY_ROOT,
    )


async def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            try:
                if (await client.get(f"{url}/healthz", timeout=1)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                raise RuntimeError((await asyncio.to_thread(log.read_text))[-3000:])
            await asyncio.sleep(0.2)
    raise RuntimeError("server did not become healthy")


ACKS_OF_EACH_BEFORE_THE_KILL = 25


def _count(enough: asyncio.Event, deposits: list[str], orders: dict[str, str]) -> None:
    if min(len(deposits), len(orders)) >= ACKS_OF_EACH_BEFORE_THE_KILL:
        enough.set()


async def _wait_for_prices(client: httpx.AsyncClient) -> None:
    """Orders need a healthy index; the simulated venues provide one within seconds."""
    query = '{ market(symbol: "BTC-USDT-PERP") { oracleHealthy } }'
    for _ in range(300):
        body = await _gql(client, query)
        if body["data"]["market"]["oracleHealthy"]:
            await asyncio.sleep(0.5)  # and the engine has received it
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("no healthy price")


async def _gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    body: dict[str, Any] = response.json()
    return body


async def test_a_killed_server_restarts_with_every_acknowledged_command(
    postgres_url: str, tmp_path: Path
) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GODARK_")}
    env.update(
        GODARK_DATABASE_URL=postgres_url,
        GODARK_BIND=f"127.0.0.1:{port}",
        GODARK_DEMO="true",
        GODARK_LOG_LEVEL="WARNING",
        # A burst of 300 requests from one account: the journal is under test, not limits.
        GODARK_RATE_LIMITS="false",
    )
    migrated = await asyncio.to_thread(subprocess.run, [GODARK, "migrate"], env=env, check=False)
    assert migrated.returncode == 0
    log = tmp_path / "server.log"
    server = _start(env, log)
    acknowledged_deposits: list[str] = []
    acknowledged_orders: dict[str, str] = {}
    try:
        await _wait_healthy(url, server, log)
        enough = asyncio.Event()
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            await _wait_for_prices(client)
            signed_in = (await _gql(client, OPEN_DEMO))["data"]["openDemoAccount"]
            token = signed_in["accessToken"]
            client.headers["Authorization"] = f"Bearer {token}"

            async def deposit(n: int) -> None:
                key = f"crash-{n}"
                body = await _gql(client, WITHDRAW, key=key)
                result = (body.get("data") or {}).get("withdraw") or {}
                if result.get("__typename") == "TransferSuccess":
                    acknowledged_deposits.append(key)
                    _count(enough, acknowledged_deposits, acknowledged_orders)

            async def order(n: int) -> None:
                body = await _gql(client, PLACE, id=f"crash-order-{n}")
                placed = (body.get("data") or {}).get("placeOrder") or {}
                if placed.get("__typename") == "OrderPlaced":
                    acknowledged_orders[f"crash-order-{n}"] = placed["order"]["id"]
                    _count(enough, acknowledged_deposits, acknowledged_orders)

            async def load() -> None:
                await asyncio.gather(
                    *(deposit(n) for n in range(150)),
                    *(order(n) for n in range(150)),
                    return_exceptions=True,
                )

            loader = asyncio.create_task(load())
            await asyncio.wait_for(enough.wait(), timeout=60)
            server.send_signal(signal.SIGKILL)  # no shutdown code runs
            server.wait(timeout=10)
            await loader
    finally:
        if server.poll() is None:
            server.kill()

    assert acknowledged_deposits and acknowledged_orders
    restarted = _start(env, log)
    try:
        await _wait_healthy(url, restarted, log)
        # The same access token: the key it is signed with survives the restart.
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=url, timeout=10, headers=headers) as client:
            open_orders = (await _gql(client, "{ myOrders { id clientOrderId } }"))["data"]
            listed = {o["clientOrderId"]: o["id"] for o in open_orders["myOrders"]}
            for client_id, order_id in acknowledged_orders.items():
                assert listed.get(client_id) == order_id, client_id
            for key in acknowledged_deposits:  # applied once: a retry is a replay
                retry = (await _gql(client, WITHDRAW, key=key))["data"]["withdraw"]
                assert retry == {"__typename": "TransferSuccess", "replayed": True}, key
    finally:
        restarted.terminate()
        restarted.wait(timeout=30)

    audit = await asyncio.to_thread(
        subprocess.run, [GODARK, "audit"], env=env, capture_output=True, text=True, check=False
    )
    assert audit.returncode == 0, audit.stdout[-2000:]
    assert json.loads(audit.stdout)["differences"] == 0
