"""Benchmarks behind `godark bench`: throughput and latency, reported as medians over rounds."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from engine.clock import SystemClock
from engine.ledger import USDT, AccountKey, AccountPurpose, EntryRequest, Ledger, Leg, OwnerKind
from engine.ledger.model import InsufficientFunds
from engine.store.database import Database
from engine.store.migrations import upgrade

BENCH_SECRET = "bench-only-secret-" + "x" * 32


def _machine() -> dict[str, Any]:
    """Where and what was measured: the cores, Python, and the commit of the code."""
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "commit": _commit()}


def _commit() -> str | None:
    import subprocess

    try:
        found = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
            cwd=os.path.dirname(os.path.abspath(__file__)),
        )
    except OSError:
        return None
    return found.stdout.strip() or None


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _timed_round(
    operations: int, concurrency: int, operation: Callable[[int], Awaitable[None]]
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(operations):
        queue.put_nowait(index)

    async def worker() -> None:
        while not queue.empty():
            index = queue.get_nowait()
            started = time.perf_counter()
            await operation(index)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


def _summary(rounds: list[tuple[float, list[float]]], operations: int) -> dict[str, Any]:
    rates = [operations / elapsed for elapsed, _ in rounds]
    latencies = [sample for _, samples in rounds for sample in samples]
    return {
        "ops_per_second_median": round(statistics.median(rates), 1),
        "ops_per_second_rounds": [round(rate, 1) for rate in rates],
        "latency_ms_p50": round(_percentile(latencies, 0.50) * 1000, 3),
        "latency_ms_p99": round(_percentile(latencies, 0.99) * 1000, 3),
    }


async def run_ledger_bench(
    database_url: str, transfers: int, accounts: int, concurrency: int, rounds: int
) -> dict[str, Any]:
    await asyncio.to_thread(upgrade, database_url)
    database = Database(database_url, pool_size=concurrency)
    ledger = Ledger(database, SystemClock())
    run_id = f"bench-{time.time_ns()}"
    keys = [
        AccountKey(OwnerKind.USER, f"{run_id}-{n}", AccountPurpose.AVAILABLE, USDT.symbol)
        for n in range(accounts)
    ]
    source = AccountKey(OwnerKind.VENUE, "world", AccountPurpose.EXTERNAL, USDT.symbol)
    await ledger.open_accounts([source, *keys])
    for key in keys:
        await ledger.post(
            EntryRequest(
                f"{run_id}:fund:{key.owner_id}",
                "bench_fund",
                (Leg(source, -1_000_000 * USDT.unit), Leg(key, 1_000_000 * USDT.unit)),
            )
        )
    generator = random.Random(7)
    results = []
    for round_number in range(rounds):

        async def transfer(index: int, round_number: int = round_number) -> None:
            payer, payee = generator.sample(keys, 2)
            amount = generator.randint(1, 100 * USDT.unit)
            request = EntryRequest(
                f"{run_id}:{round_number}:{index}",
                "bench_transfer",
                (Leg(payer, -amount), Leg(payee, amount)),
            )
            with contextlib.suppress(InsufficientFunds):
                await ledger.post(request)

        results.append(await _timed_round(transfers, concurrency, transfer))
    await database.dispose()
    return {
        "benchmark": "ledger_transfers",
        "database": database.dialect,
        "transfers_per_round": transfers,
        "accounts": accounts,
        "concurrency": concurrency,
        "rounds": rounds,
        **_summary(results, transfers),
        "machine": _machine(),
    }


async def run_graphql_bench(requests: int, concurrency: int, rounds: int) -> dict[str, Any]:
    from api.app import create_app
    from api.settings import Settings

    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as directory:
        database_url = f"sqlite+aiosqlite:///{directory}/bench.db"
        await asyncio.to_thread(upgrade, database_url)
        # Production mode: no simulated venues, games or market makers competing for the
        # cores while the request path is measured.
        # Rate limits off: this measures the request path, not the limiter's policy.
        settings = Settings(
            database_url=database_url,
            demo=False,
            jwt_secret=BENCH_SECRET,
            rate_limits=False,
            anonymous_tier="NONE",
        )
        app = create_app(settings)
        body = {"query": "{ serverInfo { version serverTime mode } }"}
        results = []
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

                async def query(_index: int) -> None:
                    response = await client.post("/graphql", json=body)
                    response.raise_for_status()

                for _ in range(rounds):
                    results.append(await _timed_round(requests, concurrency, query))
    return {
        "benchmark": "graphql_server_info",
        "transport": "in-process ASGI (httpx.ASGITransport)",
        "requests_per_round": requests,
        "concurrency": concurrency,
        "rounds": rounds,
        **_summary(results, requests),
        "machine": _machine(),
    }


def run_oracle_bench(symbols: int, rounds: int) -> dict[str, Any]:
    """One update of index, mark and NBBO for every symbol, each fed by five venues."""
    from datetime import UTC, datetime, timedelta

    from engine.clock import ManualClock
    from engine.oracle.index import SOURCE_WEIGHTS_BPS
    from engine.oracle.model import (
        PRICE_SCALE,
        SIZE_SCALE,
        BookLevel,
        SourceBook,
        SourceQuote,
        SourceTrade,
    )
    from engine.oracle.prices import PriceOracle

    async def discard(_topic: str, _event: dict[str, Any]) -> None:
        return None

    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    assets = [f"SYM{n}" for n in range(symbols)]
    oracle = PriceOracle(assets, clock, discard)
    generator = random.Random(11)
    sources = list(SOURCE_WEIGHTS_BPS)

    def feed() -> None:
        now = clock.now()
        for asset in assets:
            for source in sources:
                mid = 100 * PRICE_SCALE + generator.randint(-(10**8), 10**8)
                bid, ask = mid - 10**6, mid + 10**6
                oracle.ingest(
                    SourceQuote(source, asset, bid, ask, SIZE_SCALE, SIZE_SCALE, now, now)
                )
                oracle.ingest(SourceTrade(source, asset, ask, SIZE_SCALE, now, now))
                oracle.ingest(
                    SourceBook(
                        source,
                        asset,
                        tuple(BookLevel(bid - level * 10**6, SIZE_SCALE) for level in range(10)),
                        tuple(BookLevel(ask + level * 10**6, SIZE_SCALE) for level in range(10)),
                        now,
                        now,
                    )
                )

    compute_ms: list[float] = []
    ingest_ms: list[float] = []
    for _ in range(rounds):
        clock.advance(timedelta(milliseconds=100))
        started = time.perf_counter()
        feed()
        ingested = time.perf_counter()
        now = clock.now()
        for asset in assets:
            oracle.compute(asset, now)
        finished = time.perf_counter()
        ingest_ms.append((ingested - started) * 1000)
        compute_ms.append((finished - ingested) * 1000)
    return {
        "benchmark": "oracle_update",
        "symbols": symbols,
        "sources_per_symbol": len(sources),
        "rounds": rounds,
        "compute_ms_median": round(statistics.median(compute_ms), 3),
        "compute_ms_p99": round(_percentile(compute_ms, 0.99), 3),
        "ingest_ms_median": round(statistics.median(ingest_ms), 3),
        "events_per_round": symbols * len(sources) * 3,
        "target_ms": 10,
        "machine": _machine(),
    }


PLACE_ORDER = """mutation($id: String!) { placeOrder(input: {symbol: "BTC-USDT-PERP",
  side: BUY, type: LIMIT, size: "0.001", price: "1000", leverage: 5, clientOrderId: $id}) {
  __typename ... on UserError { code } } }"""


OPEN_DEMO = "mutation { openDemoAccount { ... on SignedIn { accessToken } } }"


async def run_orders_bench(
    database_url: str,
    requests: int,
    concurrency: int,
    rounds: int,
    over: str = "http",
    rate: float | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """placeOrder end to end: a real `godark serve` on loopback, this process the client.

    Orders rest far below the market, so every request takes the whole path — HTTP (or a
    graphql-transport-ws socket per concurrent caller with `over="ws"`), GraphQL, the
    sequencer's journal and ledger transaction — without matching noise.

    Without `rate`, `concurrency` callers send back to back (the most the server takes).
    With `rate`, orders are sent at that many per second whatever the answers (an open
    loop), and each latency counts from the moment its order was due, so a server that
    falls behind shows it in the tail instead of slowing the load down.

    With `workers`, the server is `godark serve --workers N` (N API processes and the
    engine process, over the PostgreSQL and Redis named by GODARK_DATABASE_URL and
    GODARK_REDIS_URL).
    """
    import subprocess
    import sys

    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("GODARK_")}
    env.update(
        GODARK_DATABASE_URL=database_url,
        GODARK_BIND=f"127.0.0.1:{port}",
        GODARK_LOG_LEVEL="WARNING",
        GODARK_MARKET_MAKERS="false",
        # One account sends every order: the engine's capacity, not a tier's policy.
        GODARK_RATE_LIMITS="false",
        GODARK_JWT_SECRET=BENCH_SECRET,
    )
    if workers is not None:
        env.update(GODARK_REDIS_URL=os.environ.get("GODARK_REDIS_URL", ""))
    godark = str(Path(sys.executable).parent / "godark")
    await asyncio.to_thread(
        subprocess.run, [godark, "migrate"], env=env, check=True, capture_output=True
    )
    serve = ["serve"] if workers is None else ["serve", "--workers", str(workers)]
    server = await asyncio.create_subprocess_exec(
        godark, *serve, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    results = []
    server_cpu: list[float] = []
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            await _wait_until_tradable(client, server)
            opened = (await client.post("/graphql", json={"query": OPEN_DEMO})).json()
            token = opened["data"]["openDemoAccount"]["accessToken"]
        callers: asyncio.Queue[OrderCaller] = asyncio.Queue()
        for _ in range(concurrency):
            callers.put_nowait(
                await _SocketCaller.open(port, token)
                if over == "ws"
                else await _HttpCaller.open(port, token)
            )
        for round_number in range(rounds):

            async def place(index: int, round_number: int = round_number) -> None:
                caller = await callers.get()
                try:
                    result = await caller.place({"id": f"bench-{round_number}-{index}"})
                finally:
                    callers.put_nowait(caller)
                if result["__typename"] != "OrderPlaced":
                    raise RuntimeError(f"order refused: {result}")

            cpu_before = process_tree_cpu_seconds(server.pid)
            if rate is None:
                results.append(await _timed_round(requests, concurrency, place))
            else:
                results.append(await _paced_round(requests, rate, place))
            cpu_after = process_tree_cpu_seconds(server.pid)
            if cpu_before is not None and cpu_after is not None:
                server_cpu.append((cpu_after - cpu_before) / requests)
        while not callers.empty():
            await callers.get_nowait().close()
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), 30)
    return {
        "benchmark": f"place_order_{over}",
        "database": database_url.split(":", 1)[0],
        "requests_per_round": requests,
        "concurrency": concurrency,
        "offered_per_second": rate,
        "server_workers": workers,
        "rounds": rounds,
        **_summary(results, requests),
        # CPU the server's processes spent per order, demo feeds included: steadier than
        # the rate on a noisy machine, so a change is measured by it first.
        "server_cpu_ms_per_order_median": (
            round(statistics.median(server_cpu) * 1000, 3) if server_cpu else None
        ),
        "targets": {"orders_per_second": 1_000, "latency_ms_p99": 50},
        "machine": _machine(),
    }


async def _paced_round(
    operations: int, rate: float, operation: Callable[[int], Awaitable[None]]
) -> tuple[float, list[float]]:
    """Operation i starts at i/rate seconds (an open loop); its latency counts from then."""
    latencies: list[float] = []
    started = time.perf_counter()

    async def one(index: int, due: float) -> None:
        await operation(index)
        latencies.append(time.perf_counter() - due)

    tasks = []
    for index in range(operations):
        due = started + index / rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(index, due)))
    await asyncio.gather(*tasks)
    return time.perf_counter() - started, latencies


def process_tree_cpu_seconds(pid: int) -> float | None:
    """User and system CPU of a process and its descendants, from Linux's /proc; None
    elsewhere."""
    proc = Path("/proc")
    if not (proc / str(pid) / "stat").exists():
        return None
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for stat in proc.glob("[0-9]*/stat"):
        try:
            # The command name in parentheses may hold spaces: split after its end.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        process = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(process)
        times[process] = (int(fields[11]) + int(fields[12])) / ticks
    total, pending = 0.0, [pid]
    while pending:
        process = pending.pop()
        total += times.get(process, 0.0)
        pending.extend(children.get(process, ()))
    return total


class OrderCaller(Protocol):
    """One signed-in connection that places the benchmark's order."""

    async def place(self, variables: dict[str, str]) -> dict[str, Any]: ...

    async def close(self) -> None: ...


class _HttpCaller:
    """A keep-alive HTTP/1.1 connection speaking just enough of the protocol for our own
    server's answers (Content-Length bodies): a general client such as httpx spends more
    CPU per request than the server it measures, on a machine with two cores."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes):
        self._reader, self._writer, self._head = reader, writer, head

    @classmethod
    async def open(cls, port: int, token: str) -> _HttpCaller:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = (
            f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        ).encode()
        return cls(reader, writer, head)

    async def place(self, variables: dict[str, str]) -> dict[str, Any]:
        body = json.dumps({"query": PLACE_ORDER, "variables": variables}).encode()
        self._writer.write(b"%sContent-Length: %d\r\n\r\n%s" % (self._head, len(body), body))
        status_and_headers = await self._reader.readuntil(b"\r\n\r\n")
        status = int(status_and_headers.split(b" ", 2)[1])
        length = 0
        for line in status_and_headers.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        answer = json.loads(await self._reader.readexactly(length))
        if status != 200 or "errors" in answer:
            raise RuntimeError(f"HTTP {status}: {answer}")
        result: dict[str, Any] = answer["data"]["placeOrder"]
        return result

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()


class _SocketCaller:
    """A signed-in graphql-transport-ws socket; each order is one operation."""

    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket

    @classmethod
    async def open(cls, port: int, token: str) -> _SocketCaller:
        socket = await connect(
            f"ws://127.0.0.1:{port}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
        )
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
        await socket.send(json.dumps(init))
        while (reply := json.loads(await socket.recv()))["type"] != "connection_ack":
            if reply["type"] != "ping":
                raise RuntimeError(f"the socket was not signed in: {reply}")
        return cls(socket)

    async def place(self, variables: dict[str, str]) -> dict[str, Any]:
        operation = variables["id"]
        payload = {"query": PLACE_ORDER, "variables": variables}
        await self._socket.send(
            json.dumps({"id": operation, "type": "subscribe", "payload": payload})
        )
        while True:
            message = json.loads(await self._socket.recv())
            if message["type"] == "ping":
                await self._socket.send('{"type":"pong"}')
            elif message.get("id") == operation and message["type"] == "next":
                result: dict[str, Any] = message["payload"]["data"]["placeOrder"]
                return result
            elif message.get("id") == operation and message["type"] == "error":
                raise RuntimeError(f"order failed: {message['payload']}")

    async def close(self) -> None:
        await self._socket.close()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def _wait_until_tradable(client: httpx.AsyncClient, server: Any) -> None:
    query = '{ market(symbol: "BTC-USDT-PERP") { oracleHealthy } }'
    for _ in range(600):
        if server.returncode is not None:
            raise RuntimeError("the server exited")
        try:
            body = (await client.post("/graphql", json={"query": query})).json()
            if body["data"]["market"]["oracleHealthy"]:
                await asyncio.sleep(1.0)  # the engine has its first prices too
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the market never became tradable")


async def run_auth_bench(requests: int, logins: int) -> dict[str, Any]:
    """What authentication adds to a request, and what a login costs.

    Per request: the bearer token verified (HS256, claims, revocation) and the action
    authorised, in process; and an API-key request's HMAC checked with its replay record.
    Login: Argon2id verification with the OWASP parameters, in a worker thread as served.
    """
    from engine.accounts.apikeys import MemoryReplayCache, check_not_replayed, sign, verify_request
    from engine.accounts.passwords import PasswordHasher
    from engine.accounts.ratelimit import MemoryBucketStore, RateLimiter
    from engine.accounts.roles import Action
    from engine.accounts.service import AccountsConfig, AccountService
    from engine.clock import SystemClock
    from engine.store.database import Database

    clock = SystemClock()
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as directory:
        database = Database(f"sqlite+aiosqlite:///{directory}/auth.db")
        service = AccountService(
            database,
            clock,
            AccountsConfig(master_secret=BENCH_SECRET),
            RateLimiter(MemoryBucketStore(), clock),
        )
        token = service.tokens.issue(
            account_id="acc_bench", session_id="ses_bench", roles="USER", tier="PRO", at=clock.now()
        )
        bearer_us = []
        for _ in range(requests):
            started = time.perf_counter()
            service.authenticate_access_token(token).require(Action.TRADE)
            bearer_us.append((time.perf_counter() - started) * 1e6)

        secret, body = "s" * 43, b'{"query":"{ balances { available } }"}'
        replays = MemoryReplayCache(clock)
        hmac_us = []
        for index in range(requests):
            stamp = str(int(clock.now().timestamp() * 1000) + index % 1000)
            signature = sign(secret, stamp, "POST", "/graphql", body + str(index).encode())
            started = time.perf_counter()
            verify_request(
                secret,
                stamp,
                "POST",
                "/graphql",
                body + str(index).encode(),
                signature,
                now_ms=int(clock.now().timestamp() * 1000),
            )
            await check_not_replayed(replays, signature)
            hmac_us.append((time.perf_counter() - started) * 1e6)

        hasher = PasswordHasher()
        stored = hasher.hash("Correct-Horse-42")
        login_ms = []
        for _ in range(logins):
            started = time.perf_counter()
            assert await hasher.verify_async(stored, "Correct-Horse-42")
            login_ms.append((time.perf_counter() - started) * 1000)
        await database.dispose()
    return {
        "benchmark": "auth",
        "bearer_verify_and_authorise_us": _micro_summary(bearer_us),
        "api_key_hmac_and_replay_us": _micro_summary(hmac_us),
        "login_argon2id_ms": {
            "p50": round(_percentile(login_ms, 0.50), 1),
            "p95": round(_percentile(login_ms, 0.95), 1),
            "max": round(max(login_ms), 1),
            "samples": logins,
        },
        "targets": {"auth_per_request_us": 200, "login_ms_p95": 300},
        "machine": _machine(),
    }


def _micro_summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50": round(_percentile(samples, 0.50), 1),
        "p99": round(_percentile(samples, 0.99), 1),
        "max": round(max(samples), 1),
        "samples": len(samples),
    }


def run_flash_bench(
    quotes: int, bets: int, resolution_bets: int, day: bool = True
) -> dict[str, Any]:
    """Flash markets and micro-bets in process (engine/flash/bench.py), with the machine."""
    from engine.flash.bench import run_flash_bench as run_engine_flash_bench

    result = run_engine_flash_bench(quotes, bets, resolution_bets, day)
    result["machine"] = _machine()
    return result


SEQUENCER_BATCH = 256  # commands that arrive while a batch is being written, at load


async def run_sequencer_bench(
    orders: int, rounds: int, postgres_admin_url: str | None = None
) -> dict[str, Any]:
    """The sequencer in this process: the engine bench's orders (about a third cross, so
    fills move many accounts) applied and journaled with their ledger entries, submitted
    SEQUENCER_BATCH at a time. Each round on a database of its own: a temporary SQLite
    file, or a database created (and dropped) through `postgres_admin_url`."""
    rates: list[float] = []
    writes: list[float] = []
    for round_number in range(rounds):
        async with _scratch_database(postgres_admin_url, round_number) as url:
            rate, mean_write = await _sequencer_round(url, orders, round_number)
        rates.append(rate)
        writes.append(mean_write)
    return {
        "benchmark": "sequencer_orders",
        "database": "postgresql" if postgres_admin_url else "sqlite",
        "orders_per_round": orders,
        "submitted_together": SEQUENCER_BATCH,
        "rounds": rounds,
        "orders_per_second_median": round(statistics.median(rates)),
        "orders_per_second_rounds": [round(rate) for rate in rates],
        "batch_write_ms_median": round(statistics.median(writes) * 1000, 1),
        "machine": _machine(),
    }


async def _sequencer_round(url: str, orders: int, seed: int) -> tuple[float, float]:
    from engine.clock import ManualClock
    from engine.trading.bench import orders_scenario
    from engine.trading.exchange import Exchange
    from engine.trading.sequencer import Sequencer

    await asyncio.to_thread(upgrade, url)
    setup, commands, markets = orders_scenario(orders, seed)
    database = Database(url)
    clock = ManualClock(commands[0].at)
    sequencer = Sequencer(Exchange(markets), database, Ledger(database, clock), clock)
    await sequencer.start()
    try:
        for command in setup:
            await sequencer.submit(command)
        before = sequencer.stats.batches, sequencer.stats.write_seconds
        started = time.perf_counter()
        for first in range(0, len(commands), SEQUENCER_BATCH):
            chunk = commands[first : first + SEQUENCER_BATCH]
            await asyncio.gather(*(sequencer.submit(command) for command in chunk))
        elapsed = time.perf_counter() - started
        batches = sequencer.stats.batches - before[0]
        mean_write = (sequencer.stats.write_seconds - before[1]) / max(1, batches)
    finally:
        await sequencer.stop()
        await database.dispose()
    return len(commands) / elapsed, mean_write


@contextlib.asynccontextmanager
async def _scratch_database(admin_url: str | None, round_number: int) -> AsyncIterator[str]:
    if admin_url is None:
        with tempfile.TemporaryDirectory(prefix="godark-sequencer-") as scratch:
            yield f"sqlite+aiosqlite:///{scratch}/bench.db"
        return
    import asyncpg  # type: ignore[import-untyped]
    from sqlalchemy.engine import make_url

    from engine.cluster.lease import asyncpg_dsn

    name = f"godark_sequencer_bench_{os.getpid()}_{round_number}"
    admin = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
