"""Processes a fault test can kill: `godark serve`, and a private PostgreSQL and Redis of its
own (the machine's shared servers are never stopped: other tests use them).

Also the GraphQL calls every fault test makes against a served venue."""

from __future__ import annotations

import asyncio
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import REPOSITORY_ROOT
from tests.servers import free_port, wait_until_healthy

GODARK = str(Path(sys.executable).parent / "godark")
SECRET = "fault-tests-secret-" + "f" * 40
SYMBOL = "BTC-USDT-PERP"
OPEN_DEMO = "mutation { openDemoAccount { ... on SignedIn { accessToken } } }"
# A bid far under the market: it rests, so every acknowledged order stays listed in myOrders.
PLACE_ORDER = """mutation($id: String!) { placeOrder(input: {symbol: "BTC-USDT-PERP", side: BUY,
  type: LIMIT, size: "0.001", price: "1000", leverage: 5, clientOrderId: $id}) {
  __typename ... on OrderPlaced { order { id status } } ... on UserError { code message } } }"""
WITHDRAW = """mutation($key: String!) { withdraw(input: {amount: "5", idempotencyKey: $key}) {
  __typename ... on TransferSuccess { replayed } ... on UserError { code message } } }"""
OPEN_FLASH_MARKETS = "{ flashMarkets(status: OPEN) { id deadline outcomes { outcome } } }"
PLACE_FLASH_BET = """mutation($market: String!, $outcome: String!, $id: String!) {
  placeFlashBet(input: {marketId: $market, outcome: $outcome, stake: "1", clientBetId: $id}) {
  __typename ... on FlashBetPlaced { replayed bet { id } } ... on UserError { code message } } }"""
MY_ORDERS = "{ myOrders { id clientOrderId } }"
MAX_LISTED_BETS = 200  # myFlashBets lists at most this many
MY_FLASH_BETS = f"{{ myFlashBets(limit: {MAX_LISTED_BETS}) {{ id clientBetId }} }}"


def server_environment(database_url: str, port: int, **settings: str) -> dict[str, str]:
    """`godark serve` in demo mode on `database_url`; `settings` are more GODARK_* values."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GODARK_")}
    env.update(
        GODARK_DATABASE_URL=database_url,
        GODARK_BIND=f"127.0.0.1:{port}",
        GODARK_DEMO="true",
        GODARK_JWT_SECRET=SECRET,
        GODARK_LOG_LEVEL="WARNING",
    )
    env.update({f"GODARK_{name}": value for name, value in settings.items()})
    return env


def run_godark(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GODARK, *arguments], env=env, capture_output=True, text=True, check=False, timeout=120
    )


def audit_differences(env: dict[str, str]) -> int:
    """`godark audit` on the server's database: the number of differences it reports."""
    audit = run_godark(env, "audit")
    assert audit.returncode in (0, 1), audit.stderr[-2000:]
    differences = int(json.loads(audit.stdout)["differences"])
    assert (differences == 0) == (audit.returncode == 0), audit.stdout[-2000:]
    return differences


class Server:
    """One `godark serve` process; its output goes to `log`, quoted when it fails to start."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.url = f"http://{env['GODARK_BIND']}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [GODARK, "serve"],
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=REPOSITORY_ROOT,
            )

    async def wait_healthy(self) -> None:
        assert self.process is not None
        await wait_until_healthy(self.url, self.process, self.output, "server")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    body: dict[str, Any] = response.json()
    return body


def result_of(body: dict[str, Any], field: str) -> dict[str, Any]:
    """The mutation's result object, or {} when the call failed as a whole."""
    found: dict[str, Any] = (body.get("data") or {}).get(field) or {}
    return found


async def wait_for_prices(client: httpx.AsyncClient) -> None:
    """Orders need a healthy index; the simulated venues provide one within seconds."""
    query = f'{{ market(symbol: "{SYMBOL}") {{ oracleHealthy }} }}'
    for _ in range(300):
        body = await gql(client, query)
        if body["data"]["market"]["oracleHealthy"]:
            await asyncio.sleep(0.5)  # and the engine has received it
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("no healthy price")


async def sign_in(client: httpx.AsyncClient) -> str:
    """A new demo account for `client` (10,000 test USDT); returns its access token."""
    token = str(result_of(await gql(client, OPEN_DEMO), "openDemoAccount")["accessToken"])
    client.headers["Authorization"] = f"Bearer {token}"
    return token


async def open_flash_market(client: httpx.AsyncClient) -> tuple[str, str]:
    """(market id, outcome) of the open flash market with the latest deadline; the demo's
    live games create them within seconds of the start."""
    for _ in range(300):
        markets = (await gql(client, OPEN_FLASH_MARKETS))["data"]["flashMarkets"]
        if markets:
            latest = max(markets, key=lambda market: market["deadline"])
            return latest["id"], latest["outcomes"][0]["outcome"]
        await asyncio.sleep(0.1)
    raise RuntimeError("no open flash market")


# --- a load of orders, withdrawals and flash bets ------------------------------------------


@dataclass
class Load:
    """Orders, withdrawals and flash bets from one signed-in client, each kind in a loop of
    its own until `stopping` is set. Every answer is counted (by kind and typename or code)
    and every acknowledged command kept, to look for after the fault."""

    client: httpx.AsyncClient
    orders: dict[str, str] = field(default_factory=dict)  # clientOrderId -> order id
    withdrawals: list[str] = field(default_factory=list)  # idempotency keys
    bets: dict[str, str] = field(default_factory=dict)  # clientBetId -> bet id
    answers: Counter[str] = field(default_factory=Counter)
    slowest_seconds: float = 0.0
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    pause_seconds: float = 0.1
    prefix: str = ""  # of client ids and keys, so that several loads can share an account
    _market: tuple[str, str] | None = None
    _answered: asyncio.Condition = field(default_factory=asyncio.Condition)

    def acknowledged(self) -> int:
        """The fewest acknowledgements of any kind."""
        return min(len(self.orders), len(self.withdrawals), len(self.bets))

    async def wait_for_acknowledged(self, count: int) -> None:
        """Until `count` commands of each kind are acknowledged."""
        async with self._answered:
            await self._answered.wait_for(lambda: self.acknowledged() >= count)

    async def run(self) -> None:
        await asyncio.gather(
            self._loop("order", self._order),
            self._loop("withdraw", self._withdraw),
            self._loop("bet", self._bet),
        )

    async def _loop(self, kind: str, call: Callable[[int], Awaitable[str]]) -> None:
        n = 0
        while not self.stopping.is_set():
            n += 1
            started = time.monotonic()
            try:
                answer = await call(n)
            except httpx.TransportError as error:
                answer = f"transport:{type(error).__name__}"
            self.slowest_seconds = max(self.slowest_seconds, time.monotonic() - started)
            self.answers[f"{kind}:{answer}"] += 1
            async with self._answered:
                self._answered.notify_all()
            await asyncio.sleep(self.pause_seconds)

    async def _order(self, n: int) -> str:
        client_id = f"{self.prefix}order-{n}"
        body = await gql(self.client, PLACE_ORDER, id=client_id)
        placed = result_of(body, "placeOrder")
        if placed.get("__typename") == "OrderPlaced":
            self.orders[client_id] = placed["order"]["id"]
        return _answer(body, placed)

    async def _withdraw(self, n: int) -> str:
        key = f"{self.prefix}withdrawal-{n}"
        body = await gql(self.client, WITHDRAW, key=key)
        result = result_of(body, "withdraw")
        if result.get("__typename") == "TransferSuccess":
            self.withdrawals.append(key)
        return _answer(body, result)

    async def _bet(self, n: int) -> str:
        if self._market is None:
            self._market = await open_flash_market(self.client)
        market, outcome = self._market
        client_id = f"{self.prefix}bet-{n}"
        body = await gql(self.client, PLACE_FLASH_BET, market=market, outcome=outcome, id=client_id)
        placed = result_of(body, "placeFlashBet")
        if placed.get("__typename") == "FlashBetPlaced":
            self.bets[client_id] = placed["bet"]["id"]
        elif placed.get("code") in ("MARKET_CLOSED", "UNKNOWN_FLASH_MARKET"):
            self._market = None  # its deadline passed: bet on the next one
        return _answer(body, placed)


def _answer(body: dict[str, Any], result: dict[str, Any]) -> str:
    """A result's code (a refusal) or typename (a success); for a failed call, the code of
    its first GraphQL error (None for a masked internal error)."""
    if result:
        return str(result.get("code") or result["__typename"])
    errors = body.get("errors") or [{}]
    return "error:" + str((errors[0].get("extensions") or {}).get("code"))


async def assert_each_acknowledged_once(client: httpx.AsyncClient, load: Load) -> None:
    """Every order, flash bet and withdrawal the load was told about is there, and asking
    for it again (same client id or key) returns the first one instead of a second."""
    orders = (await gql(client, MY_ORDERS))["data"]["myOrders"]
    listed = {order["clientOrderId"]: order["id"] for order in orders}
    assert len(listed) == len(orders), "an order listed twice"
    for client_id, order_id in load.orders.items():
        assert listed.get(client_id) == order_id, client_id
    assert len(load.bets) < MAX_LISTED_BETS, "more bets than one listing shows"
    bets = (await gql(client, MY_FLASH_BETS))["data"]["myFlashBets"]
    placed = {bet["clientBetId"]: bet["id"] for bet in bets}
    assert len(placed) == len(bets), "a bet placed twice"
    for client_id, bet_id in load.bets.items():
        assert placed.get(client_id) == bet_id, client_id
    for key in load.withdrawals:
        retry = result_of(await gql(client, WITHDRAW, key=key), "withdraw")
        assert retry == {"__typename": "TransferSuccess", "replayed": True}, key


# --- a private PostgreSQL ----------------------------------------------------------------


def _postgres_binary(name: str) -> str:
    """Debian's versioned binaries, or whatever is on PATH."""
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if candidates:
        return candidates[-1]
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return found


def _as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the `postgres` user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own, on a free port, that the test may stop at will
    (`stop -m immediate`: the server dies without a checkpoint, as in a crash)."""

    def __init__(self) -> None:
        # Not under pytest's tmp_path: the postgres user cannot enter root's 0700 folders.
        self.directory = Path(tempfile.mkdtemp(prefix="godark-pg-"))
        self.data = self.directory / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def initialise(self) -> None:
        self._run(
            _postgres_binary("initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        self._run(
            _postgres_binary("pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.directory / "server.log"),
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(_postgres_binary("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        status = subprocess.run(
            _as_postgres_user([_postgres_binary("pg_ctl"), "-D", str(self.data), "status"]),
            capture_output=True,
            check=False,
        )
        return status.returncode == 0

    def remove(self) -> None:
        if self.running():
            self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)

    def _run(self, *command: str) -> None:
        command_line = _as_postgres_user(list(command))
        subprocess.run(command_line, capture_output=True, check=True, timeout=60)


# --- a private Redis ---------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of the test's own on a free port, without persistence: killed, it comes
    back empty, as a cache that restarted."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("redis-server exited") from None
                time.sleep(0.05)
        raise RuntimeError("redis-server did not listen")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
