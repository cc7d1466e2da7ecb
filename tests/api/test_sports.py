"""Live sports through GraphQL: games, scores and quorum odds, and a game's subscription."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import httpx
from websockets.asyncio.client import connect

from tests.api.conftest import LiveServer
from tests.api.test_graphql_http import gql

EVENTS = """query($sport: String) { liveEvents(sport: $sport) { id sport home away status
  clock { period running } score { home away }
  markets { market available unavailableReason outcomes { outcome probability } providers }
  freshProviders } }"""


async def events_when_ready(client: httpx.AsyncClient, sport: str | None) -> list[dict[str, Any]]:
    for _ in range(50):
        events: list[dict[str, Any]] = (await gql(client, EVENTS, sport=sport))["data"][
            "liveEvents"
        ]
        if events:
            return events
        await asyncio.sleep(0.2)
    raise AssertionError("no live events")


async def test_every_sport_has_games_with_quorum_odds(client: httpx.AsyncClient) -> None:
    for sport in ("soccer", "basketball", "tennis"):
        events = await events_when_ready(client, sport)
        assert {event["sport"] for event in events} == {sport.upper()}
        priced = [m for e in events for m in e["markets"] if m["available"]]
        assert priced, sport
        for market in priced:
            assert len(market["providers"]) >= 3  # the quorum
            total = sum(Decimal(o["probability"]) for o in market["outcomes"])
            assert abs(total - 1) <= Decimal("0.00001"), market


async def test_an_unknown_sport_is_a_clear_error(client: httpx.AsyncClient) -> None:
    body = await gql(client, EVENTS, sport="curling")
    assert "unknown sport 'curling'" in body["errors"][0]["message"]


async def test_a_game_can_be_followed_over_the_socket(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.http_url) as client:
        [first, *_] = await events_when_ready(client, "basketball")
    async with connect(live_server.ws_url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        query = (
            "subscription($id: String!) { liveEvent(id: $id) { id status score { home away } } }"
        )
        payload = {"query": query, "variables": {"id": first["id"]}}
        await ws.send(json.dumps({"id": "g", "type": "subscribe", "payload": payload}))
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
            if message["type"] != "ping":
                break
    assert message["type"] == "next", message
    assert message["payload"]["data"]["liveEvent"]["id"] == first["id"]


async def test_provider_health_shows_in_metrics(client: httpx.AsyncClient) -> None:
    await events_when_ready(client, None)
    metrics = (await client.get("/metrics")).text
    for provider in ("DRAFTKINGS", "FANDUEL", "BETMGM", "CAESARS", "POINTSBET"):
        assert f'godark_sports_provider_circuit_closed{{provider="{provider}"}} 1.0' in metrics
    success = 'godark_sports_provider_requests_total{provider="DRAFTKINGS",result="success"}'
    assert success in metrics
