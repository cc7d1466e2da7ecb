"""Subscription fan-out: one execution per distinct public subscription, the same bytes
to every subscriber, private ones kept apart, and slow consumers dropped."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

import api.graphql
from api.fanout import SLOW_CONSUMER_CLOSE_CODE, shareable, text_frame
from api.graphql import KeepAliveTransportWSHandler
from tests.api.conftest import OPEN_DEMO, LiveServer
from tests.api.test_subscriptions import PROTOCOL, receive

HEARTBEAT = "subscription { heartbeat { sequence serverTime } }"


async def _socket(server: LiveServer, payload: dict[str, Any] | None = None) -> ClientConnection:
    ws = await connect(server.ws_url, subprotocols=[PROTOCOL])
    await ws.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
    assert (await receive(ws))["type"] == "connection_ack"
    return ws


async def _next_raw(ws: ClientConnection) -> str:
    while True:
        raw = str(await asyncio.wait_for(ws.recv(), 5))
        if json.loads(raw)["type"] != "ping":
            return raw


def _streams(server: LiveServer) -> Any:
    return server.app.state.graphql.shared_streams()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (HEARTBEAT, True),
        ('subscription { trades(symbol: "BTC-USDT-PERP") { id } }', True),
        ("subscription { orderUpdates { id } }", False),
        ("subscription { heartbeat { sequence } orderUpdates { id } }", False),
        ("query { serverInfo { version } }", False),
        ("subscription {", False),
    ],
)
def test_only_public_subscriptions_are_shared(query: str, expected: bool) -> None:
    assert shareable(query, None) is expected


async def test_subscribers_of_one_document_share_one_execution_and_its_bytes(
    live_server: LiveServer,
) -> None:
    streams = _streams(live_server)
    before = streams.executions_started
    first, second = await _socket(live_server), await _socket(live_server)
    async with first, second:
        for ws, operation in ((first, "a"), (second, "b")):
            message = {"id": operation, "type": "subscribe", "payload": {"query": HEARTBEAT}}
            await ws.send(json.dumps(message))
        a, b = json.loads(await _next_raw(first)), json.loads(await _next_raw(second))
        while a["payload"] != b["payload"]:  # one may have joined a tick later
            a, b = json.loads(await _next_raw(first)), json.loads(await _next_raw(second))
        assert (a["id"], b["id"]) == ("a", "b")
        assert streams.executions_started == before + 1 and streams.streams == 1

        # One leaves; the other keeps receiving from the same execution.
        await first.send(json.dumps({"id": "a", "type": "complete"}))
        assert json.loads(await _next_raw(second))["type"] == "next"
        assert streams.executions_started == before + 1
    await asyncio.sleep(0.3)
    assert streams.streams == 0  # the last subscriber gone, the execution stops


async def test_other_variables_and_private_subscriptions_run_apart(
    live_server: LiveServer,
) -> None:
    streams = _streams(live_server)
    async with httpx.AsyncClient(base_url=live_server.http_url) as http:
        body = (await http.post("/graphql", json={"query": OPEN_DEMO})).json()
    token = body["data"]["openDemoAccount"]["accessToken"]
    ws = await _socket(live_server, {"authorization": f"Bearer {token}"})
    async with ws:
        before = streams.executions_started
        for n, symbol in enumerate(("BTC-USDT-PERP", "ETH-USDT-PERP")):
            query = f'subscription {{ marketStatus(symbol: "{symbol}") {{ symbol }} }}'
            await ws.send(
                json.dumps({"id": f"m{n}", "type": "subscribe", "payload": {"query": query}})
            )
        private = {"query": "subscription { orderUpdates { id } }"}
        await ws.send(json.dumps({"id": "mine", "type": "subscribe", "payload": private}))
        await asyncio.sleep(0.3)
        assert streams.executions_started == before + 2


class _StuckSocket:
    async def send_text(self, _text: str) -> None:
        await asyncio.Event().wait()  # a reader that never reads


class _Adapter:
    def __init__(self) -> None:
        self.ws = _StuckSocket()
        self.closed_with: int | None = None

    async def close(self, code: int, reason: str) -> None:
        self.closed_with = code


async def test_a_slow_consumer_is_closed_instead_of_holding_everyone_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(api.graphql, "OUTBOX_SIZE", 8)
    handler = object.__new__(KeepAliveTransportWSHandler)
    adapter = _Adapter()
    handler.websocket = adapter  # type: ignore[assignment]
    for n in range(10):  # one in flight, eight queued, the tenth overflows
        handler.enqueue(f'{{"n": {n}}}')
        await asyncio.sleep(0)
    await asyncio.sleep(0.05)
    assert adapter.closed_with == SLOW_CONSUMER_CLOSE_CODE


@pytest.mark.parametrize("size", [0, 125, 126, 65_535, 65_536, 200_000])
def test_direct_frames_are_read_back_by_a_standard_parser(size: int) -> None:
    # websockets' own frame parser is the reference for every length encoding.
    text = "x" * size
    stream = StreamReader()
    stream.feed_data(text_frame(text.encode()))
    stream.feed_eof()
    with pytest.raises(StopIteration) as parsed:
        next(Frame.parse(stream.read_exact, mask=False))
    received: Frame = parsed.value.value
    assert (received.opcode, received.fin, received.data.decode()) == (Opcode.TEXT, True, text)


async def test_shared_frames_take_the_direct_path_on_uvicorn(live_server: LiveServer) -> None:
    ws = await _socket(live_server)
    async with ws:
        message = {"id": "direct", "type": "subscribe", "payload": {"query": HEARTBEAT}}
        await ws.send(json.dumps(message))
        first, second = json.loads(await _next_raw(ws)), json.loads(await _next_raw(ws))
    assert first["id"] == second["id"] == "direct"
    assert (
        second["payload"]["data"]["heartbeat"]["sequence"]
        > (first["payload"]["data"]["heartbeat"]["sequence"])
    )
    async with httpx.AsyncClient(base_url=live_server.http_url) as http:
        metrics = (await http.get("/metrics")).text
    written = re.search(r"^godark_websocket_direct_frames_total (\S+)$", metrics, re.MULTILINE)
    assert written is not None and float(written.group(1)) >= 2
