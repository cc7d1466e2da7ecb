"""The odds widget's socket: a page of any other site opens an anonymous graphql-transport-ws
connection and hears the public odds live; the same socket gets nothing private."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.api.conftest import LiveServer, open_demo_account
from tests.api.test_subscriptions import PROTOCOL, next_non_ping, receive

# What web/src/widget/widget.ts subscribes to.
WIDGET_TICKER = {
    "query": "subscription { flashTicker { kind market { id sport status deadline "
    "outcomes { outcome decimalOdds } } } }"
}
MY_BETS = {"query": "subscription { myFlashBets { kind bet { id } } }"}
ORDER_UPDATES = {"query": "subscription { orderUpdates { id status } }"}
BLOG = "http://blog.example"
# New flash markets open every few seconds in demo mode; this bounds the wait for one.
MESSAGES_BEFORE_GIVING_UP = 20


async def first_result(ws: ClientConnection, operation: str) -> dict[str, Any]:
    for _ in range(MESSAGES_BEFORE_GIVING_UP):
        message = await next_non_ping(ws)
        if message.get("id") == operation:
            return message
    raise AssertionError(f"no answer to {operation}")


async def test_another_sites_page_hears_public_odds_but_nothing_private(
    live_server: LiveServer,
) -> None:
    async with connect(live_server.ws_url, subprotocols=[PROTOCOL], origin=BLOG) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert (await receive(ws))["type"] == "connection_ack"
        for operation, payload in (("bets", MY_BETS), ("orders", ORDER_UPDATES)):
            await ws.send(json.dumps({"id": operation, "type": "subscribe", "payload": payload}))
            refused = await first_result(ws, operation)
            assert refused["payload"]["data"] is None
            assert refused["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

        await ws.send(json.dumps({"id": "odds", "type": "subscribe", "payload": WIDGET_TICKER}))
        for _ in range(MESSAGES_BEFORE_GIVING_UP):
            update = await receive(ws, seconds=30)
            if update["type"] == "ping":
                await ws.send(json.dumps({"type": "pong"}))
            elif update.get("id") == "odds":
                break
    assert update["type"] == "next" and update["id"] == "odds", update
    ticker = update["payload"]["data"]["flashTicker"]
    assert ticker["kind"] in {"SNAPSHOT", "OPENED", "PRICE", "STATUS"}
    assert ticker["market"]["outcomes"], ticker


async def test_another_sites_page_cannot_sign_a_socket_in(live_server: LiveServer) -> None:
    """As over HTTP (CORS lets no Authorization header through), another site's socket stays
    anonymous: a token handed to it, say leaked to a script there, is refused."""
    async with httpx.AsyncClient(base_url=live_server.http_url) as http:
        token = (await open_demo_account(http))["accessToken"]
    payload = {"authorization": f"Bearer {token}"}
    async with connect(live_server.ws_url, subprotocols=[PROTOCOL], origin=BLOG) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(ConnectionClosed) as closed:
            await receive(ws)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    # The same token from GoDark's own pages (same origin) signs in as before.
    async with connect(live_server.ws_url, subprotocols=[PROTOCOL]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        assert (await receive(ws))["type"] == "connection_ack"
