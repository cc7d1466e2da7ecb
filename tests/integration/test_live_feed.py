"""A live venue feed, end to end: a venue's WebSocket on 127.0.0.1 into the price oracle."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from engine.clock import ManualClock
from engine.oracle.feeds import LiveVenueFeed, adapters_for
from engine.oracle.model import PRICE_SCALE
from engine.oracle.prices import PriceOracle
from engine.oracle.venues import BinanceAdapter

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "venues" / "binance"
# The fixtures' trade time: 2026-01-01T00:00:00.123Z.
FIXTURE_TIME = datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)


def test_price_sources_are_named_by_venue() -> None:
    assert [adapter.name.value for adapter in adapters_for(["binance", " OKX "])] == [
        "BINANCE",
        "OKX",
    ]
    with pytest.raises(ValueError, match="unknown price source 'nasdaq'"):
        adapters_for(["nasdaq"])


async def test_a_live_feed_streams_a_venue_into_the_oracle() -> None:
    subscriptions: list[Any] = []

    async def venue(websocket: ServerConnection) -> None:
        subscriptions.append(json.loads(await websocket.recv()))
        await websocket.send((FIXTURES / "stream_subscribe_ack.json").read_text())
        await websocket.send("{not json")  # a bad message is counted, not fatal
        await websocket.send((FIXTURES / "stream_trade.json").read_text())
        await websocket.send((FIXTURES / "stream_book_ticker.json").read_text())
        await websocket.wait_closed()

    clock = ManualClock(FIXTURE_TIME)

    async def publish(_topic: str, _event: dict[str, Any]) -> None:
        return None

    oracle = PriceOracle(["BTC"], clock, publish)
    async with serve(venue, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        adapter = BinanceAdapter(
            stream_url=f"ws://127.0.0.1:{port}/stream", rest_base_url="http://127.0.0.1:9"
        )
        feed = LiveVenueFeed([adapter], ["BTC", "EUR"], clock, oracle.ingest, oracle.reject)
        feed.start()
        try:
            for _ in range(200):
                latest = oracle.compute("BTC", clock.now())
                if latest.reference.bid is not None and latest.index.price is not None:
                    break
                await asyncio.sleep(0.02)
        finally:
            await feed.stop()

    binance = latest.index.sources[0]
    assert binance.source == "BINANCE" and binance.healthy
    assert binance.price == 67_123_45 * PRICE_SCALE // 100
    assert latest.reference.bid == 67_123_45 * PRICE_SCALE // 100
    assert latest.reference.ask == 67_123_46 * PRICE_SCALE // 100
    assert subscriptions and "btcusdt@trade" in json.dumps(subscriptions[0]).lower()
    assert (
        sum(count for (source, _), count in oracle.rejections.items() if source == "BINANCE") == 1
    )
