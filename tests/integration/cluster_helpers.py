"""Processes of a cluster for the integration tests: `godark engine`, `godark serve --role api`
and `godark serve --workers N` as OS processes on this machine's PostgreSQL and Redis, and the
GraphQL calls the cluster tests make through them."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import REDIS_URL, REPOSITORY_ROOT
from tests.servers import free_port, wait_until_healthy

GODARK = str(Path(sys.executable).parent / "godark")
SYMBOL = "BTC-USDT-PERP"
OPEN_DEMO = "mutation { openDemoAccount { ... on SignedIn { accessToken } } }"
PLACE = """mutation($side: OrderSide!, $type: OrderType!, $size: Decimal!, $price: Decimal,
  $id: String) { placeOrder(input: {symbol: "BTC-USDT-PERP", side: $side, type: $type,
  size: $size, price: $price, leverage: 5, clientOrderId: $id}) {
  __typename ... on OrderPlaced { order { id status } fills { price size } }
  ... on UserError { code message } } }"""
CANCEL = """mutation($id: String!) { cancelOrder(symbol: "BTC-USDT-PERP", orderId: $id) {
  __typename } }"""
# Reads of the mark and the take are two requests: the quote can move between them.
TRADE_ATTEMPTS = 5
MY_STATE = """{ myOrders { id clientOrderId status remaining }
  balances { asset available locked total } }"""
TRADES = f'subscription {{ trades(symbol: "{SYMBOL}") {{ price size }} }}'
TICKER = f'subscription {{ ticker(symbol: "{SYMBOL}") {{ indexPrice }} }}'
INDEX = f'{{ market(symbol: "{SYMBOL}") {{ indexPrice }} }}'
LIVE_EVENTS = "{ liveEvents { id status } }"
STATS_TRADES = "{ stats { marketData { trades } } }"
# The engine's index (its ticker) and an API process's own, read within a few milliseconds
# of each other from the same relayed venue data, differ by the price's move meanwhile.
INDEX_TOLERANCE_BPS = 5


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
    """`godark serve --role api`, or with `workers`, `godark serve --workers N`."""

    def __init__(
        self, name: str, env: dict[str, str], logs: Path, workers: int | None = None
    ) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        role = ["--role", "api"] if workers is None else ["--workers", str(workers)]
        super().__init__(name, ["serve", *role, "--bind", f"127.0.0.1:{port}"], env, logs)

    async def wait_healthy(self) -> None:
        await wait_until_healthy(self.url, self.popen, self.output, "API process")

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return httpx.AsyncClient(base_url=self.url, timeout=30, headers=headers)


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    body: dict[str, Any] = response.json()
    assert not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


async def demo_account(api: Api) -> str:
    async with api.client() as client:
        token: str = (await gql(client, OPEN_DEMO))["openDemoAccount"]["accessToken"]
    return token


async def place(client: httpx.AsyncClient, **variables: Any) -> dict[str, Any]:
    placed: dict[str, Any] = (await gql(client, PLACE, **variables))["placeOrder"]
    return placed


async def mark_price(client: httpx.AsyncClient) -> int:
    """The engine trades once the simulated feed's prices reached it: retried till then."""
    query = f'{{ market(symbol: "{SYMBOL}") {{ oracleHealthy markPrice }} }}'
    for _ in range(300):
        market = (await gql(client, query))["market"]
        if market["oracleHealthy"] and market["markPrice"] is not None:
            return int(float(market["markPrice"]))
        await asyncio.sleep(0.1)
    raise RuntimeError("no healthy price")


async def subscribe(api: Api, query: str = TRADES) -> ClientConnection:
    ws = await connect(
        api.url.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"]
    )
    await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "t", "type": "subscribe", "payload": {"query": query}}))
    return ws


async def next_trade(ws: ClientConnection, seconds: float) -> dict[str, Any]:
    return await next_data(ws, "trades", seconds)


async def next_data(ws: ClientConnection, field: str, seconds: float) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
        if message["type"] == "ping":
            await ws.send(json.dumps({"type": "pong"}))
            continue
        assert message["type"] == "next", message
        data: dict[str, Any] = message["payload"]["data"][field]
        return data


async def index_matches_the_engines(api: Api) -> None:
    """The engine's BTC index, from its oracle's ticker (which the bus carries), and the one
    an API process's oracle computes from the engine's relayed venue data agree."""
    ws = await subscribe(api, TICKER)
    differences = []
    async with ws, api.client() as client:
        for _ in range(5):
            engine_index = (await next_data(ws, "ticker", 30))["indexPrice"]
            api_index = (await gql(client, INDEX))["market"]["indexPrice"]
            assert engine_index is not None and api_index is not None, (engine_index, api_index)
            engine_price, api_price = Decimal(engine_index), Decimal(api_index)
            differences.append(abs(api_price - engine_price) * 10_000 / engine_price)
    assert min(differences) <= INDEX_TOLERANCE_BPS, differences


async def live_events(api: Api) -> list[dict[str, Any]]:
    """The engine's games as an API process lists them, once its sports oracle polled the
    engine's relayed provider responses (every 2 s)."""
    async with api.client() as client:
        for _ in range(150):
            events: list[dict[str, Any]] = (await gql(client, LIVE_EVENTS))["liveEvents"]
            if events:
                return events
            await asyncio.sleep(0.2)
    raise AssertionError("an API process lists no live events")


async def stats_trades(api: Api, at_least: int) -> int:
    """`stats` through an API process: the engine's saved days plus its replica's outcomes."""
    async with api.client() as client:
        for _ in range(100):
            trades = int((await gql(client, STATS_TRADES))["stats"]["marketData"]["trades"])
            if trades >= at_least:
                return trades
            await asyncio.sleep(0.2)
    raise AssertionError(f"stats count {trades} trades, fewer than {at_least}")


async def state(api: Api, tokens: list[str]) -> list[dict[str, Any]]:
    states = []
    for token in tokens:
        async with api.client(token) as client:
            states.append(await gql(client, MY_STATE))
    return states


async def cluster_environment(postgres_url: str, migrate: bool = True) -> dict[str, str]:
    """The environment of every process of one test's cluster, its database migrated."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GODARK_")}
    env.update(
        GODARK_DATABASE_URL=postgres_url,
        GODARK_REDIS_URL=REDIS_URL,
        # Channels and stream keys of this test's own: other tests share the machine's Redis.
        GODARK_REDIS_PREFIX=f"test-{uuid.uuid4().hex[:12]}",
        GODARK_DEMO="true",
        GODARK_LOG_LEVEL="INFO",
        # Every process signs and checks the same tokens.
        GODARK_JWT_SECRET="cluster-test-secret-0123456789-0123456789-0123456789",
        GODARK_RATE_LIMITS="false",
        # No simulated makers: the two test accounts trade with each other.
        GODARK_MARKET_MAKERS="false",
    )
    if migrate:
        migrated = await asyncio.to_thread(
            subprocess.run, [GODARK, "migrate"], env=env, check=False
        )
        assert migrated.returncode == 0
    return env


async def forget_redis_keys(env: dict[str, str]) -> None:
    """The test's streams and result keys go with it (they have no expiry of their own)."""
    redis = Redis.from_url(REDIS_URL)
    try:
        async for key in redis.scan_iter(match=f"{env['GODARK_REDIS_PREFIX']}:*"):
            await redis.delete(key)
    finally:
        await redis.aclose()


async def wait_for_log(process: Process, text: str, seconds: float) -> None:
    for _ in range(int(seconds * 10)):
        if text in process.output():
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{process.log.name}: no {text!r}\n{process.output()[-3000:]}")


async def a_trade_reaches_a_subscriber(first: Api, second: Api, seller: str, buyer: str) -> None:
    """Orders through `first` trade; the trade reaches a subscriber of `second`."""
    ws = await subscribe(second)
    async with ws, first.client(seller) as selling, first.client(buyer) as buying:
        for attempt in range(TRADE_ATTEMPTS):
            mark = await mark_price(selling)
            for _ in range(100):  # until the engine has the market's prices too
                rested = await place(
                    selling,
                    side="SELL",
                    type="LIMIT",
                    size="0.01",
                    price=str(mark),
                    id=f"rest-{attempt}",
                )
                if rested["__typename"] == "OrderPlaced":
                    break
                await asyncio.sleep(0.2)
            assert rested["__typename"] == "OrderPlaced", rested
            taken = await place(
                buying, side="BUY", type="MARKET", size="0.01", id=f"take-{attempt}"
            )
            assert taken["__typename"] == "OrderPlaced", taken
            if taken["fills"]:
                break
            # The dark book trades only inside the reference quote: it moved past the rested
            # price between reading the mark and taking. That order goes; try again.
            cancelled = (await gql(selling, CANCEL, id=rested["order"]["id"]))["cancelOrder"]
            assert cancelled["__typename"] in {"OrderCancelled", "OrderNotFoundError"}, cancelled
        assert taken["fills"], taken
        trade = await next_trade(ws, 30)
    assert float(trade["size"]) == 0.01
    assert int(float(trade["price"])) == mark
