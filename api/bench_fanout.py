"""`godark bench fanout`: many WebSocket subscribers of one public stream, measured from
a separate process (this one) against a real `godark serve` on loopback.

Every subscriber asks for `ticker(symbol)`, whose events carry the oracle's time; the
delivery latency is the moment a client reads a frame minus that time (same machine,
same clock). Idle connections are opened too, to see what holding them costs.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from api.bench import _machine

PROTOCOL = Subprotocol("graphql-transport-ws")
TICKER = 'subscription { ticker(symbol: "BTC-USDT-PERP") { time } }'
OPEN_BATCH = 200  # connections opened at once


async def run_fanout_bench(
    database_url: str, connections: int, subscribers: int, seconds: float
) -> dict[str, Any]:
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("GODARK_")}
    env.update(
        GODARK_DATABASE_URL=database_url,
        GODARK_BIND=f"127.0.0.1:{port}",
        GODARK_LOG_LEVEL="WARNING",
        GODARK_MARKET_MAKERS="false",
        # One client machine opens every socket: no per-IP connection cap for it.
        GODARK_ANONYMOUS_TIER="NONE",
        GODARK_RATE_LIMITS="false",
    )
    godark = str(Path(sys.executable).parent / "godark")
    await asyncio.to_thread(
        subprocess.run, [godark, "migrate"], env=env, check=True, capture_output=True
    )
    server = await asyncio.to_thread(
        subprocess.Popen,
        [godark, "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sockets: list[ClientConnection] = []
    try:
        await _wait_healthy(f"http://127.0.0.1:{port}", server)
        url = f"ws://127.0.0.1:{port}/graphql"
        opened_at = time.perf_counter()
        for start in range(0, connections, OPEN_BATCH):
            batch = min(OPEN_BATCH, connections - start)
            sockets += await asyncio.gather(*(_open(url) for _ in range(batch)))
        open_seconds = time.perf_counter() - opened_at
        latencies: list[float] = []
        received = [0]
        for index, ws in enumerate(sockets[:subscribers]):
            message = {"id": str(index), "type": "subscribe", "payload": {"query": TICKER}}
            await ws.send(json.dumps(message))
        readers = [
            asyncio.create_task(_read(ws, latencies, received)) for ws in sockets[:subscribers]
        ]
        idle = [asyncio.create_task(_answer_pings(ws)) for ws in sockets[subscribers:]]
        await asyncio.sleep(2.0)  # every subscription running
        latencies.clear()
        received[0] = 0
        started = time.perf_counter()
        await asyncio.sleep(seconds)
        elapsed = time.perf_counter() - started
        count, sample = received[0], sorted(latencies)
        alive = sum(1 for ws in sockets if ws.close_code is None)
        for task in readers + idle:
            task.cancel()
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        server.terminate()
        await asyncio.to_thread(server.wait, 30)
    return {
        "benchmark": "subscription_fanout",
        "connections_opened": len(sockets),
        "connections_alive_at_end": alive,
        "open_seconds": round(open_seconds, 1),
        "subscribers": subscribers,
        "seconds": seconds,
        "messages_per_second": round(count / elapsed, 1),
        "events_per_second_per_subscriber": round(count / elapsed / max(1, subscribers), 2),
        "latency_ms": _percentiles(sample),
        "targets": {
            "connections": 10_000,
            "subscribers": 5_000,
            "messages_per_second": 50_000,
            "latency_ms_p99": 100,
        },
        "machine": _machine(),
    }


async def _open(url: str) -> ClientConnection:
    ws = await connect(url, subprotocols=[PROTOCOL], max_queue=None, open_timeout=60)
    await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
    while json.loads(await ws.recv())["type"] != "connection_ack":
        pass
    return ws


async def _read(ws: ClientConnection, latencies: list[float], received: list[int]) -> None:
    async for raw in ws:
        message = json.loads(raw)
        if message["type"] == "ping":
            await ws.send('{"type":"pong"}')
            continue
        if message["type"] != "next":
            continue
        sent = datetime.fromisoformat(message["payload"]["data"]["ticker"]["time"])
        latencies.append((time.time() - sent.timestamp()) * 1000)
        received[0] += 1


async def _answer_pings(ws: ClientConnection) -> None:
    async for raw in ws:
        if json.loads(raw)["type"] == "ping":
            await ws.send('{"type":"pong"}')


def _percentiles(sample: list[float]) -> dict[str, float]:
    if not sample:
        return {}

    def at(fraction: float) -> float:
        return round(sample[min(len(sample) - 1, int(fraction * len(sample)))], 1)

    return {
        "p50": at(0.5),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": round(sample[-1], 1),
        "mean": round(statistics.fmean(sample), 1),
    }


async def _wait_healthy(url: str, server: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            if server.poll() is not None:
                raise RuntimeError("the server exited")
            try:
                if (await client.get(f"{url}/healthz", timeout=1)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the server did not start")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
