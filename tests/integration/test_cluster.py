"""Many processes: two API processes and the engine (with a standby) as separate OS processes,
on this machine's PostgreSQL and Redis. A trade placed through one API process reaches a
subscriber on the other; SIGKILL of an API process loses no acknowledged order; SIGKILL of the
engine hands the lease to the standby, which replays the journal to the same state."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import REDIS_URL, REPOSITORY_ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

GODARK = str(Path(sys.executable).parent / "godark")
SYMBOL = "BTC-USDT-PERP"
OPEN_DEMO = "mutation { openDemoAccount { ... on SignedIn { accessToken } } }"
PLACE = """mutation($side: OrderSide!, $type: OrderType!, $size: Decimal!, $price: Decimal,
  $id: String) { placeOrder(input: {symbol: "BTC-USDT-PERP", side: $side, type: $type,
  size: $size, price: $price, leverage: 5, clientOrderId: $id}) {
  __typename ... on OrderPlaced { order { id status } fills { price size } }
  ... on UserError { code message } } }"""
MY_STATE = """{ myOrders { id clientOrderId status remaining }
  balances { asset available locked total } }"""
TRADES = f'subscription {{ trades(symbol: "{SYMBOL}") {{ price size }} }}'
ORDERS_BEFORE_THE_KILL = 30


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Process:
    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.log = logs / f"{name}.log"
        self.popen = subprocess.Popen(
            [GODARK, *args],
            env=env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            cwd=REPOSITORY_ROOT,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)  # no shutdown code runs
            self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


class Api(Process):
    def __init__(self, name: str, env: dict[str, str], logs: Path) -> None:
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        super().__init__(name, ["serve", "--role", "api", "--bind", f"127.0.0.1:{port}"], env, logs)

    async def wait_healthy(self) -> None:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                try:
                    if (await client.get(f"{self.url}/healthz", timeout=1)).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if self.popen.poll() is not None:
                    raise RuntimeError(self.output()[-3000:])
                await asyncio.sleep(0.2)
        raise RuntimeError("API process did not become healthy")

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return httpx.AsyncClient(base_url=self.url, timeout=30, headers=headers)


async def _gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    body: dict[str, Any] = response.json()
    assert not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


async def _demo_account(api: Api) -> str:
    async with api.client() as client:
        token: str = (await _gql(client, OPEN_DEMO))["openDemoAccount"]["accessToken"]
    return token


async def _place(client: httpx.AsyncClient, **variables: Any) -> dict[str, Any]:
    placed: dict[str, Any] = (await _gql(client, PLACE, **variables))["placeOrder"]
    return placed


async def _mark_price(client: httpx.AsyncClient) -> int:
    """The engine trades once the simulated feed's prices reached it: retried till then."""
    query = f'{{ market(symbol: "{SYMBOL}") {{ oracleHealthy markPrice }} }}'
    for _ in range(300):
        market = (await _gql(client, query))["market"]
        if market["oracleHealthy"] and market["markPrice"] is not None:
            return int(float(market["markPrice"]))
        await asyncio.sleep(0.1)
    raise RuntimeError("no healthy price")


async def _subscribe(api: Api) -> ClientConnection:
    ws = await connect(
        api.url.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"]
    )
    await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "t", "type": "subscribe", "payload": {"query": TRADES}}))
    return ws


async def _next_trade(ws: ClientConnection, seconds: float) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
        if message["type"] == "ping":
            await ws.send(json.dumps({"type": "pong"}))
            continue
        assert message["type"] == "next", message
        trade: dict[str, Any] = message["payload"]["data"]["trades"]
        return trade


async def _state(api: Api, tokens: list[str]) -> list[dict[str, Any]]:
    states = []
    for token in tokens:
        async with api.client(token) as client:
            states.append(await _gql(client, MY_STATE))
    return states


@pytest.fixture
async def cluster_env(postgres_url: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GODARK_")}
    env.update(
        GODARK_DATABASE_URL=postgres_url,
        GODARK_REDIS_URL=REDIS_URL,
        GODARK_DEMO="true",
        GODARK_LOG_LEVEL="INFO",
        # Every process signs and checks the same tokens.
        GODARK_JWT_SECRET="cluster-test-secret-0123456789-0123456789-0123456789",
        GODARK_RATE_LIMITS="false",
        # No simulated makers: the two test accounts trade with each other.
        GODARK_MARKET_MAKERS="false",
    )
    migrated = await asyncio.to_thread(subprocess.run, [GODARK, "migrate"], env=env, check=False)
    assert migrated.returncode == 0
    return env


async def _wait_for_log(process: Process, text: str, seconds: float) -> None:
    for _ in range(int(seconds * 10)):
        if text in process.output():
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{process.log.name}: no {text!r}\n{process.output()[-3000:]}")


async def test_api_processes_and_an_engine_with_a_standby(
    cluster_env: dict[str, str], tmp_path: Path
) -> None:
    engine = Process("engine-a", ["engine"], cluster_env, tmp_path)
    processes: list[Process] = [engine]
    try:
        await _wait_for_log(engine, "engine_leader", 60)
        standby = Process("engine-b", ["engine"], cluster_env, tmp_path)
        first, second = Api("api-1", cluster_env, tmp_path), Api("api-2", cluster_env, tmp_path)
        processes += [standby, first, second]
        await asyncio.gather(first.wait_healthy(), second.wait_healthy())
        await _wait_for_log(standby, "engine_standby", 30)

        seller, buyer = await _demo_account(first), await _demo_account(first)
        await _a_trade_through_one_process_reaches_a_subscriber_on_the_other(
            first, second, seller, buyer
        )
        loader = await _demo_account(first)
        await _sigkill_of_an_api_process_loses_no_acknowledged_order(first, second, loader)

        tokens = [seller, buyer, loader]
        before = await _state(second, tokens)
        engine.kill()
        # While no engine leads, the API processes keep serving reads from their replicas.
        assert await _state(second, tokens) == before
        await _wait_for_log(standby, "engine_leader", 30)
        assert await _state(second, tokens) == before
        restarted = Api("api-1-again", cluster_env, tmp_path)  # replays to the same state
        processes.append(restarted)
        await restarted.wait_healthy()
        assert await _state(restarted, tokens) == before
        async with restarted.client(loader) as client:  # and the new engine takes orders
            placed = await _place(client, side="BUY", type="LIMIT", size="0.001", price="1000")
        assert placed["__typename"] == "OrderPlaced", placed
    except BaseException:
        for process in processes:
            print(f"--- {process.log.name}\n{process.output()[-4000:]}")
        raise
    finally:
        for process in reversed(processes):
            process.stop()


async def _a_trade_through_one_process_reaches_a_subscriber_on_the_other(
    first: Api, second: Api, seller: str, buyer: str
) -> None:
    ws = await _subscribe(second)
    async with ws, first.client(seller) as selling, first.client(buyer) as buying:
        mark = await _mark_price(selling)
        for _ in range(100):  # until the engine has the market's prices too
            rested = await _place(
                selling, side="SELL", type="LIMIT", size="0.01", price=str(mark), id="rest"
            )
            if rested["__typename"] == "OrderPlaced":
                break
            await asyncio.sleep(0.2)
        assert rested["__typename"] == "OrderPlaced", rested
        taken = await _place(buying, side="BUY", type="MARKET", size="0.01", id="take")
        assert taken["__typename"] == "OrderPlaced", taken
        assert taken["fills"], taken
        trade = await _next_trade(ws, 10)
    assert float(trade["size"]) == 0.01
    assert int(float(trade["price"])) == mark


async def _sigkill_of_an_api_process_loses_no_acknowledged_order(
    first: Api, second: Api, token: str
) -> None:
    acknowledged: dict[str, str] = {}
    enough = asyncio.Event()
    async with first.client(token) as client:

        async def order(n: int) -> None:
            placed = await _place(
                client, side="BUY", type="LIMIT", size="0.001", price="1000", id=f"load-{n}"
            )
            if placed["__typename"] == "OrderPlaced":
                acknowledged[f"load-{n}"] = placed["order"]["id"]
                if len(acknowledged) >= ORDERS_BEFORE_THE_KILL:
                    enough.set()

        async def load() -> None:
            gate = asyncio.Semaphore(16)

            async def bounded(n: int) -> None:
                async with gate:
                    await order(n)

            await asyncio.gather(*(bounded(n) for n in range(300)), return_exceptions=True)

        loader = asyncio.create_task(load())
        await asyncio.wait_for(enough.wait(), timeout=60)
        first.kill()
        await loader
    assert len(acknowledged) >= ORDERS_BEFORE_THE_KILL
    async with second.client(token) as client:
        listed = {o["clientOrderId"]: o["id"] for o in (await _gql(client, MY_STATE))["myOrders"]}
    for client_order_id, order_id in acknowledged.items():
        assert listed.get(client_order_id) == order_id, client_order_id
