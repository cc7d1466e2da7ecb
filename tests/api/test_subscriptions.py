"""Subscriptions over real WebSockets: heartbeat, keep-alive pings, and protocol misuse."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from api.graphql import KeepAliveTransportWSHandler
from tests.api.conftest import LiveServer

PROTOCOL = "graphql-transport-ws"
HEARTBEAT = {"query": "subscription { heartbeat { sequence serverTime } }"}


async def receive(ws: ClientConnection, seconds: float = 5) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), seconds))
    return message


async def next_non_ping(ws: ClientConnection) -> dict[str, Any]:
    while True:
        message = await receive(ws)
        if message["type"] == "ping":
            await ws.send(json.dumps({"type": "pong"}))
            continue
        return message


async def open_session(server: LiveServer) -> ClientConnection:
    ws = await connect(server.ws_url, subprotocols=[PROTOCOL])
    await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert (await receive(ws))["type"] == "connection_ack"
    return ws


async def test_heartbeat_ticks_every_second_with_rising_sequence(live_server: LiveServer) -> None:
    ws = await open_session(live_server)
    async with ws:
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": HEARTBEAT}))
        first = await next_non_ping(ws)
        second = await next_non_ping(ws)

    assert first["type"] == second["type"] == "next"
    sequences = [m["payload"]["data"]["heartbeat"]["sequence"] for m in (first, second)]
    assert sequences[1] == sequences[0] + 1
    assert first["payload"]["extensions"]["requestId"]


async def test_queries_also_run_over_the_socket(live_server: LiveServer) -> None:
    ws = await open_session(live_server)
    async with ws:
        query = {"query": "{ serverInfo { mode } }"}
        await ws.send(json.dumps({"id": "q", "type": "subscribe", "payload": query}))
        result = await next_non_ping(ws)
        done = await next_non_ping(ws)
    assert result["payload"]["data"] == {"serverInfo": {"mode": "DEMO"}}
    assert done == {"id": "q", "type": "complete"}


async def test_the_server_pings_and_keeps_a_client_that_answers(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(KeepAliveTransportWSHandler, "keep_alive_interval", 0.2)
    monkeypatch.setattr(KeepAliveTransportWSHandler, "keep_alive_timeout", 0.7)
    ws = await open_session(live_server)
    async with ws:
        pings = 0
        for _ in range(6):  # 1.2 s: well past the timeout, answered each time
            message = await receive(ws, seconds=2)
            assert message == {"type": "ping"}
            pings += 1
            await ws.send(json.dumps({"type": "pong"}))
        await ws.send(json.dumps({"id": "q", "type": "subscribe", "payload": HEARTBEAT}))
        assert (await next_non_ping(ws))["type"] == "next"
    assert pings == 6


async def test_a_client_that_stops_answering_pings_is_disconnected(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(KeepAliveTransportWSHandler, "keep_alive_interval", 0.2)
    monkeypatch.setattr(KeepAliveTransportWSHandler, "keep_alive_timeout", 0.7)
    ws = await open_session(live_server)
    with pytest.raises(ConnectionClosed) as closed:
        for _ in range(50):
            await receive(ws, seconds=3)  # reads pings, never answers
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4499


async def test_subscribing_before_connection_init_is_refused(live_server: LiveServer) -> None:
    ws = await connect(live_server.ws_url, subprotocols=[PROTOCOL])
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": HEARTBEAT}))
    with pytest.raises(ConnectionClosed) as closed:
        await receive(ws)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401


async def test_the_legacy_graphql_ws_protocol_is_not_served(live_server: LiveServer) -> None:
    try:
        ws = await connect(live_server.ws_url, subprotocols=["graphql-ws"])
    except InvalidStatus:
        return  # refused during the handshake: also correct
    with pytest.raises(ConnectionClosed) as closed:
        await receive(ws)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4406


async def test_a_message_that_is_not_json_closes_the_connection(live_server: LiveServer) -> None:
    ws = await open_session(live_server)
    await ws.send("{this is not json")
    with pytest.raises(ConnectionClosed) as closed:
        await receive(ws)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4400


async def test_a_bad_subscription_document_gets_an_error_not_a_crash(
    live_server: LiveServer,
) -> None:
    ws = await open_session(live_server)
    async with ws:
        bad = {"query": "subscription { heartbeat { nope } }"}
        await ws.send(json.dumps({"id": "b", "type": "subscribe", "payload": bad}))
        message = await next_non_ping(ws)
        assert message["type"] == "error"
        assert "nope" in message["payload"][0]["message"]
        # The connection is still usable afterwards.
        await ws.send(json.dumps({"id": "ok", "type": "subscribe", "payload": HEARTBEAT}))
        assert (await next_non_ping(ws))["type"] == "next"
