"""`godark bench fanout`: many WebSocket subscribers of one public stream, measured from
separate load-generator processes against a real `godark serve` on loopback.

Every subscriber asks for `ticker(symbol)`, whose events carry the oracle's time; the
delivery latency is the moment a client reads a frame minus that time (same machine,
same clock). Idle connections are opened too, to see what holding them costs.

The generator is a lean WebSocket client on asyncio's Protocol API: it reads frame
headers itself and parses only the event time from each payload. A general-purpose
client (the websockets library, json for every frame) spends about 30 µs a message,
so on this 2-core machine it, not the server, was what capped earlier runs.
"""

from __future__ import annotations

import asyncio
import base64
import multiprocessing
import os
import re
import secrets
import statistics
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx

from api.bench import _machine, free_port

SYMBOL = "BTC-USDT-PERP"
TICKER = f'subscription {{ ticker(symbol: "{SYMBOL}") {{ time }} }}'
OPEN_BATCH = 200  # connections opened at once by each generator
_EVENT_TIME = re.compile(rb'"time": ?"([^"]+)"')
_PING = b'"type":"ping"'


async def run_fanout_bench(
    database_url: str,
    connections: int,
    subscribers: int,
    seconds: float,
    generators: int = 1,
) -> dict[str, Any]:
    port = free_port()
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
    try:
        await _wait_healthy(f"http://127.0.0.1:{port}", server)
        reports = await asyncio.to_thread(
            _run_generators, port, connections, subscribers, seconds, generators
        )
    finally:
        server.terminate()
        await asyncio.to_thread(server.wait, 30)
    received = sum(report.received for report in reports)
    elapsed = max(report.elapsed for report in reports)
    latencies = sorted(value for report in reports for value in report.latencies_ms)
    return {
        "benchmark": "subscription_fanout",
        "generator_processes": generators,
        "connections_opened": sum(report.opened for report in reports),
        "connections_alive_at_end": sum(report.alive for report in reports),
        "open_seconds": round(max(report.open_seconds for report in reports), 1),
        "subscribers": subscribers,
        "seconds": seconds,
        "messages_per_second": round(received / elapsed, 1),
        "events_per_second_per_subscriber": round(received / elapsed / max(1, subscribers), 2),
        "latency_ms": _percentiles(latencies),
        "targets": {
            "connections": 10_000,
            "subscribers": 5_000,
            "messages_per_second": 50_000,
            "latency_ms_p99": 100,
        },
        "machine": _machine(),
    }


@dataclass
class GeneratorReport:
    opened: int
    alive: int
    open_seconds: float
    received: int
    elapsed: float
    latencies_ms: list[float]


def _run_generators(
    port: int, connections: int, subscribers: int, seconds: float, generators: int
) -> list[GeneratorReport]:
    """Splits the sockets over `generators` processes, starts their measuring window
    together once every one of them has its sockets open, and gathers their reports."""
    context = multiprocessing.get_context("spawn")
    pipes: list[Connection] = []
    processes = []
    for index in range(generators):
        share = _share(connections, generators, index)
        subscribing = _share(subscribers, generators, index)
        ours, theirs = context.Pipe()
        process = context.Process(
            target=_generator_main, args=(theirs, port, share, subscribing, seconds), daemon=True
        )
        process.start()
        pipes.append(ours)
        processes.append(process)
    try:
        for pipe in pipes:
            if not pipe.poll(600):
                raise RuntimeError("a load generator did not open its sockets in time")
            pipe.recv()  # "ready"
        for pipe in pipes:
            pipe.send("go")
        return [pipe.recv() for pipe in pipes]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()


def _share(total: int, parts: int, index: int) -> int:
    return total // parts + (1 if index < total % parts else 0)


def _generator_main(
    pipe: Connection, port: int, connections: int, subscribers: int, seconds: float
) -> None:
    report = asyncio.run(_generate(pipe, port, connections, subscribers, seconds))
    pipe.send(report)


async def _generate(
    pipe: Connection, port: int, connections: int, subscribers: int, seconds: float
) -> GeneratorReport:
    loop = asyncio.get_running_loop()
    opened_at = time.perf_counter()
    clients: list[RawSubscriber] = []
    for start in range(0, connections, OPEN_BATCH):
        batch = range(start, min(connections, start + OPEN_BATCH))
        clients += await asyncio.gather(*(_open(loop, port) for _ in batch))
    open_seconds = time.perf_counter() - opened_at
    for index, client in enumerate(clients[:subscribers]):
        client.subscribe(f"s{index}", TICKER)
    await asyncio.sleep(2.0)  # every subscription running
    pipe.send("ready")
    await asyncio.to_thread(pipe.recv)  # "go": every generator starts its window together
    for client in clients:
        client.measuring = True
        client.received = 0
        client.latencies_ms.clear()
    started = time.perf_counter()
    await asyncio.sleep(seconds)
    elapsed = time.perf_counter() - started
    for client in clients:
        client.measuring = False
    report = GeneratorReport(
        opened=len(clients),
        alive=sum(1 for client in clients if client.open),
        open_seconds=open_seconds,
        received=sum(client.received for client in clients),
        elapsed=elapsed,
        latencies_ms=[value for client in clients for value in client.latencies_ms],
    )
    for client in clients:
        client.close()
    return report


async def _open(loop: asyncio.AbstractEventLoop, port: int) -> RawSubscriber:
    _transport, client = await loop.create_connection(RawSubscriber, "127.0.0.1", port)
    await client.handshake(port)
    return client


class RawSubscriber(asyncio.Protocol):
    """One graphql-transport-ws client socket, framing by hand (RFC 6455)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        loop = asyncio.get_running_loop()
        self.upgraded: asyncio.Future[None] = loop.create_future()
        self.acknowledged: asyncio.Future[None] = loop.create_future()
        self.open = False
        self.measuring = False
        self.received = 0
        self.latencies_ms: list[float] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.open = True

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        for waiting in (self.upgraded, self.acknowledged):
            if not waiting.done():
                waiting.set_exception(ConnectionError("closed before connection_ack"))

    async def handshake(self, port: int) -> None:
        key = base64.b64encode(secrets.token_bytes(16)).decode()
        request = (
            "GET /graphql HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
        )
        assert self.transport is not None
        self.transport.write(request.encode())
        await asyncio.wait_for(self.upgraded, 60)  # no frame may precede the 101
        self.send_text('{"type":"connection_init","payload":{}}')
        await asyncio.wait_for(self.acknowledged, 60)

    def subscribe(self, operation_id: str, query: str) -> None:
        escaped = query.replace('"', '\\"')
        self.send_text(
            f'{{"id":"{operation_id}","type":"subscribe","payload":{{"query":"{escaped}"}}}}'
        )

    def send_text(self, text: str) -> None:
        self._send(0x1, text.encode())

    def close(self) -> None:
        if self.transport is not None and self.open:
            self._send(0x8, struct.pack("!H", 1000))
            self.transport.close()

    def _send(self, opcode: int, payload: bytes) -> None:
        """A client frame must be masked; the mask is applied with one big-int XOR."""
        assert self.transport is not None
        mask = secrets.token_bytes(4)
        length = len(payload)
        if length < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
        elif length < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
        repeated = (mask * (length // 4 + 1))[:length]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
            length, "big"
        )
        self.transport.write(header + mask + masked)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded.done():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.buffer.startswith(b"HTTP/1.1 101"):
                status = bytes(self.buffer[:end]).decode(errors="replace")
                self.upgraded.set_exception(ConnectionError(status))
                return
            del self.buffer[: end + 4]
            self.upgraded.set_result(None)
        self._read_frames()

    def _read_frames(self) -> None:
        buffer = self.buffer
        position = 0
        while len(buffer) - position >= 2:
            opcode = buffer[position] & 0x0F
            length = buffer[position + 1] & 0x7F
            start = position + 2
            if length == 126:
                if len(buffer) - position < 4:
                    break
                length = struct.unpack_from("!H", buffer, start)[0]
                start += 2
            elif length == 127:
                if len(buffer) - position < 10:
                    break
                length = struct.unpack_from("!Q", buffer, start)[0]
                start += 8
            if len(buffer) < start + length:
                break
            self._on_frame(opcode, bytes(buffer[start : start + length]))
            position = start + length
        del buffer[:position]

    def _on_frame(self, opcode: int, payload: bytes) -> None:
        if opcode == 0x9:  # a WebSocket-level ping from the server
            self._send(0xA, payload)
            return
        if opcode == 0x8:
            self.open = False
            return
        if not self.acknowledged.done():
            if b"connection_ack" in payload:
                self.acknowledged.set_result(None)
            return
        if _PING in payload:
            self.send_text('{"type":"pong"}')
            return
        if not self.measuring:
            return
        found = _EVENT_TIME.search(payload)
        if found is None:
            return
        sent = datetime.fromisoformat(found.group(1).decode())
        self.latencies_ms.append((time.time() - sent.timestamp()) * 1000)
        self.received += 1


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
