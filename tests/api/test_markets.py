"""Market data through GraphQL: what a trader, a chart and a bot read."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from api.app import create_app
from api.settings import Settings
from engine.clock import ManualClock
from engine.oracle.model import SourceName
from engine.sim.venues import SimulatedVenues
from engine.store.migrations import upgrade
from engine.venue import Venue, VenueConfig
from tests.api.conftest import LiveServer
from tests.api.test_graphql_http import gql
from tests.unit.prices.helpers import NOW

MARKET = """
query($symbol: String!) { market(symbol: $symbol) {
  symbol baseAsset quoteAsset indexPrice markPrice oracleConfidence oracleHealthy oracleTier
  nbbo { bid ask mid crossed locked label }
  priceSources { name healthy price deviation excludedReason lastUpdate }
} }
"""


@dataclass
class DrivenVenue:
    client: httpx.AsyncClient
    venue: Venue
    venues: SimulatedVenues
    clock: ManualClock

    async def run(self, seconds: int) -> None:
        for _ in range(seconds * 4):
            self.clock.advance(timedelta(milliseconds=250))
            for event in self.venues.step(self.clock.now()):
                self.venue.oracle.ingest(event)
        await self.venue.oracle.tick()


@pytest.fixture
async def driven(sqlite_url: str) -> AsyncIterator[DrivenVenue]:
    """An app whose simulated venues and clock the test moves by hand."""
    await asyncio.to_thread(upgrade, sqlite_url)
    clock = ManualClock(NOW)
    venue = Venue.build(
        VenueConfig(database_url=sqlite_url, redis_url=None, demo_mode=False), clock=clock
    )
    app = create_app(Settings(database_url=sqlite_url, demo=True), venue=venue)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield DrivenVenue(client, venue, SimulatedVenues(clock.now(), seed=5), clock)


async def test_every_market_has_plausible_live_prices(driven: DrivenVenue) -> None:
    await driven.run(5)
    body = await gql(driven.client, "{ markets { symbol indexPrice markPrice oracleHealthy } }")
    markets = {m["symbol"]: m for m in body["data"]["markets"]}

    assert len(markets) >= 15
    assert {"BTC-USDT-PERP", "ETH-USDT-PERP", "SOL-USDT-PERP", "EUR-USDT-PERP"} <= set(markets)
    for symbol, market in markets.items():
        assert market["oracleHealthy"], symbol
        true_price = driven.venues.true_price(symbol.split("-")[0])
        assert abs(float(market["indexPrice"]) - true_price) / true_price < 0.005, symbol
        assert abs(float(market["markPrice"]) - float(market["indexPrice"])) / true_price <= 0.01


async def test_a_lying_and_a_dead_venue_are_shown_excluded(driven: DrivenVenue) -> None:
    await driven.run(10)
    driven.venues.force_lie(SourceName.OKX, "BTC", -0.03, driven.clock.now() + timedelta(minutes=1))
    driven.venues.force_outage(SourceName.KRAKEN, driven.clock.now() + timedelta(minutes=1))
    await driven.run(15)

    market = (await gql(driven.client, MARKET, symbol="BTC-USDT-PERP"))["data"]["market"]
    sources = {s["name"]: s for s in market["priceSources"]}
    assert sources["OKX"]["healthy"] is False
    assert sources["OKX"]["excludedReason"] == "DEVIATION"
    assert float(sources["OKX"]["deviation"]) > 2.0
    assert sources["KRAKEN"]["excludedReason"] == "STALE"
    assert all(sources[name]["healthy"] for name in ("BINANCE", "COINBASE", "BYBIT"))
    assert market["oracleTier"] == "PRIMARY" and market["oracleHealthy"]
    assert market["nbbo"]["label"] == "reference market"
    assert market["nbbo"]["crossed"] is False


async def test_when_every_venue_goes_quiet_the_market_is_unhealthy(driven: DrivenVenue) -> None:
    await driven.run(3)
    driven.clock.advance(timedelta(seconds=11))
    await driven.venue.oracle.tick()
    market = (await gql(driven.client, MARKET, symbol="ETH-USDT-PERP"))["data"]["market"]
    assert market["oracleHealthy"] is False
    assert market["oracleTier"] == "UNAVAILABLE"
    assert {s["excludedReason"] for s in market["priceSources"]} == {"STALE"}


async def test_reference_book_is_labelled_and_sorted(driven: DrivenVenue) -> None:
    await driven.run(3)
    query = (
        '{ referenceBook(symbol: "BTC-USDT-PERP", depth: 5) '
        "{ label bids { price size } asks { price size } sources } }"
    )
    book = (await gql(driven.client, query))["data"]["referenceBook"]
    bids = [float(level["price"]) for level in book["bids"]]
    asks = [float(level["price"]) for level in book["asks"]]
    assert book["label"] == "reference market"
    assert len(bids) == len(asks) == 5
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
    assert bids[0] < asks[0]
    assert len(book["sources"]) >= 3


async def test_candles_come_back_for_a_chart(driven: DrivenVenue) -> None:
    for _ in range(6):
        await driven.run(1)
    query = """query($from: DateTime!, $to: DateTime!) {
      candles(symbol: "BTC-USDT-PERP", interval: ONE_SECOND, from: $from, to: $to) {
        start open high low close volume } }"""
    start = NOW.isoformat()
    end = (NOW + timedelta(minutes=5)).isoformat()
    candles = (await gql(driven.client, query, **{"from": start, "to": end}))["data"]["candles"]
    assert len(candles) >= 5
    starts = [c["start"] for c in candles]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    for c in candles:
        assert float(c["low"]) <= float(c["open"]) <= float(c["high"])
        assert float(c["low"]) <= float(c["close"]) <= float(c["high"])


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('{ referenceBook(symbol: "BTC-USDT-PERP", depth: 0) { label } }', "depth must be"),
        ('{ referenceBook(symbol: "BTC-USDT-PERP", depth: 11) { label } }', "depth must be"),
        ('{ referenceBook(symbol: "NOPE", depth: 5) { label } }', "unknown market"),
        (
            '{ candles(symbol: "BTC-USDT-PERP", interval: ONE_MINUTE, '
            'from: "2026-01-02T00:00:00Z", to: "2026-01-01T00:00:00Z") { start } }',
            "`from` must be before `to`",
        ),
        (
            '{ candles(symbol: "BTC-USDT-PERP", interval: ONE_WEEK, '
            'from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z") { start } }',
            "ONE_WEEK",
        ),
    ],
)
async def test_bad_market_arguments_are_clear_errors(
    driven: DrivenVenue, query: str, message: str
) -> None:
    body = await gql(driven.client, query)
    assert message in body["errors"][0]["message"]


async def test_an_unknown_market_is_null(driven: DrivenVenue) -> None:
    body = await gql(driven.client, MARKET, symbol="DOESNOTEXIST-USDT-PERP")
    assert body["data"]["market"] is None


async def test_rejected_payloads_show_in_metrics(driven: DrivenVenue) -> None:
    from dataclasses import replace

    from tests.unit.prices.helpers import trade

    await driven.run(1)
    bad = replace(
        trade("BINANCE", "100", "1"),
        size=0,
        venue_time=driven.clock.now(),
        received_at=driven.clock.now(),
    )
    assert not driven.venue.oracle.ingest(bad)
    metrics = (await driven.client.get("/metrics")).text
    assert (
        'godark_oracle_rejected_payloads_total{reason="NON_POSITIVE",source="BINANCE"} 1.0'
        in metrics
    )
    assert 'godark_oracle_healthy{asset="BTC"} 1.0' in metrics


async def test_the_ticker_streams_prices_at_most_ten_times_a_second(
    live_server: LiveServer,
) -> None:
    async with connect(live_server.ws_url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        query = (
            'subscription { ticker(symbol: "BTC-USDT-PERP") '
            "{ symbol indexPrice markPrice nbbo { bid ask } oracleHealthy time } }"
        )
        await ws.send(json.dumps({"id": "t", "type": "subscribe", "payload": {"query": query}}))
        updates: list[dict[str, Any]] = []
        started = time.monotonic()
        while time.monotonic() - started < 2.0:
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=2.5))
            except TimeoutError:
                break
            if message["type"] == "next":
                updates.append(message["payload"]["data"]["ticker"])
    assert len(updates) >= 5
    assert len(updates) <= 21  # ten a second, with one of slack at each end
    assert updates[-1]["symbol"] == "BTC-USDT-PERP"
    assert float(updates[-1]["indexPrice"]) > 1_000


async def test_the_reference_book_streams_at_once_then_at_most_twice_a_second(
    live_server: LiveServer,
) -> None:
    protocol = Subprotocol("graphql-transport-ws")
    async with connect(live_server.ws_url, subprotocols=[protocol]) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        query = (
            'subscription { referenceBook(symbol: "BTC-USDT-PERP", depth: 3) '
            "{ symbol label bids { price size } asks { price size } sources } }"
        )
        await ws.send(json.dumps({"id": "b", "type": "subscribe", "payload": {"query": query}}))
        books: list[dict[str, Any]] = []
        started = time.monotonic()
        while time.monotonic() - started < 3.0:
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=3.5))
            except TimeoutError:
                break
            if message["type"] == "next":
                books.append(message["payload"]["data"]["referenceBook"])
    assert 1 <= len(books) <= 8  # the book at once, then two a second, one of slack
    assert books[0]["symbol"] == "BTC-USDT-PERP"
    assert books[0]["label"] == "reference market"
    assert all(len(book["bids"]) <= 3 and len(book["asks"]) <= 3 for book in books)
