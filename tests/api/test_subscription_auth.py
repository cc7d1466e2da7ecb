"""Who is on the socket: bearer tokens and API keys in connection_init, and each
subscriber hears only about its own orders."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from engine.accounts.apikeys import sign_connection_init
from tests.api.conftest import OPEN_DEMO, LiveServer
from tests.api.test_readme_bot import wait_for_prices
from tests.api.test_subscriptions import PROTOCOL, next_non_ping, receive

ORDER_UPDATES = {"query": "subscription { orderUpdates { id status } }"}
PLACE = """mutation { placeOrder(input: {symbol: "BTC-USDT-PERP", side: BUY, type: LIMIT,
  size: "0.001", price: "1000", leverage: 5}) { ... on OrderPlaced { order { id } } } }"""
CREATE_KEY = """mutation { createApiKey(input: {name: "ws", permissions: [READ]}) {
  ... on CreatedApiKey { key { id } secret } } }"""


async def _session(server: LiveServer, payload: dict[str, Any]) -> ClientConnection:
    ws = await connect(server.ws_url, subprotocols=[PROTOCOL])
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    return ws


async def _account(http: httpx.AsyncClient) -> str:
    body = (await http.post("/graphql", json={"query": OPEN_DEMO})).json()
    return str(body["data"]["openDemoAccount"]["accessToken"])


async def _post(http: httpx.AsyncClient, query: str, token: str) -> dict[str, Any]:
    response = await http.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )
    body: dict[str, Any] = response.json()
    return body


async def test_each_subscriber_hears_only_its_own_orders(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.http_url) as http:
        await wait_for_prices(http)
        alice, bob = await _account(http), await _account(http)
        alice_ws = await _session(live_server, {"authorization": f"Bearer {alice}"})
        bob_ws = await _session(live_server, {"authorization": f"Bearer {bob}"})
        async with alice_ws, bob_ws:
            for ws in (alice_ws, bob_ws):
                assert (await receive(ws))["type"] == "connection_ack"
                await ws.send(
                    json.dumps({"id": "o", "type": "subscribe", "payload": ORDER_UPDATES})
                )
            await asyncio.sleep(0.3)
            placed = await _post(http, PLACE, bob)
            order_id = placed["data"]["placeOrder"]["order"]["id"]
            update = await next_non_ping(bob_ws)
            assert update["payload"]["data"]["orderUpdates"] == {"id": order_id, "status": "OPEN"}
            try:
                leaked = await asyncio.wait_for(next_non_ping(alice_ws), 1.0)
            except TimeoutError:
                leaked = None
            assert leaked is None


async def test_private_subscriptions_need_a_principal(live_server: LiveServer) -> None:
    ws = await _session(live_server, {})
    async with ws:
        assert (await receive(ws))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "o", "type": "subscribe", "payload": ORDER_UPDATES}))
        refused = await next_non_ping(ws)
    assert refused["type"] == "next" and refused["payload"]["data"] is None
    assert refused["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_an_api_key_signs_connection_init_and_a_bad_one_is_refused(
    live_server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=live_server.http_url) as http:
        token = await _account(http)
        created = (await _post(http, CREATE_KEY, token))["data"]["createApiKey"]
    stamp = str(int(time.time() * 1000))
    payload = sign_connection_init(created["key"]["id"], created["secret"], stamp)
    ws = await _session(live_server, payload)
    async with ws:
        assert (await receive(ws))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "o", "type": "subscribe", "payload": ORDER_UPDATES}))
        await asyncio.sleep(0.2)
    # The same signature again is a replay; a wrong one is a forgery; both are closed.
    for bad in (payload, {**payload, "signature": "0" * 64}):
        ws = await _session(live_server, bad)
        try:
            await receive(ws)
            raise AssertionError("the connection was accepted")
        except ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 4403
        finally:
            await ws.close()


async def test_a_tier_caps_connections_subscriptions_and_messages(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.http_url) as http:
        token = await _account(http)  # demo accounts are BASIC: 5 sockets, 50 subs, 50 msg/s
    init = {"authorization": f"Bearer {token}"}
    sockets = [await _session(live_server, init) for _ in range(5)]
    for ws in sockets:
        assert (await receive(ws))["type"] == "connection_ack"
    sixth = await _session(live_server, init)
    try:
        await receive(sixth)
        raise AssertionError("a sixth socket was accepted")
    except ConnectionClosed as closed:
        assert closed.rcvd is not None and closed.rcvd.code == 4403
    first = sockets[0]
    heartbeat = {"query": "subscription { heartbeat { sequence } }"}
    for n in range(50):
        await first.send(json.dumps({"id": str(n), "type": "subscribe", "payload": heartbeat}))
        await asyncio.sleep(0.025)  # under 50 messages a second
    await first.send(json.dumps({"id": "51st", "type": "subscribe", "payload": heartbeat}))
    while True:
        message = await next_non_ping(first)
        if message.get("id") == "51st":
            break
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "RATE_LIMITED"
    # A flood of messages closes the socket rather than slowing everyone.
    flooder = sockets[1]
    try:
        for n in range(200):
            await flooder.send(json.dumps({"id": f"c{n}", "type": "complete"}))
        while True:
            await receive(flooder)
    except ConnectionClosed as closed:
        assert closed.rcvd is not None and closed.rcvd.code == 4429
    for ws in sockets:
        await ws.close()
    await asyncio.sleep(0.3)
    # Closed sockets give their places back.
    again = await _session(live_server, init)
    async with again:
        assert (await receive(again))["type"] == "connection_ack"
