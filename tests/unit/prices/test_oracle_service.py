"""The oracle service: bad payloads are counted and dropped, good ones move the prices."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from engine.clock import ManualClock
from engine.oracle.candles import CandleInterval, PriceKind
from engine.oracle.model import BookLevel, SourceBook, SourceName
from engine.oracle.prices import PriceOracle
from engine.sim.venues import SimulatedVenues
from tests.unit.prices.helpers import NOW, px, qty, quote, trade

Published = list[tuple[str, dict[str, Any]]]


def make_oracle() -> tuple[PriceOracle, ManualClock, Published]:
    clock = ManualClock(NOW)
    published: Published = []

    async def publish(topic: str, event: dict[str, Any]) -> None:
        published.append((topic, event))

    return PriceOracle(["BTC"], clock, publish), clock, published


def seed_three_venues(oracle: PriceOracle) -> None:
    for source in ("BINANCE", "COINBASE", "KRAKEN"):
        assert oracle.ingest(trade(source, "100", "1"))
        assert oracle.ingest(quote(source, "99.9", "100.1"))


BAD_EVENTS = {
    "UNKNOWN_ASSET": trade("BINANCE", "100", "1", asset="NOPE"),
    "UNKNOWN_SOURCE": trade("MYEXCHANGE", "100", "1"),
    "FUTURE_TIMESTAMP": replace(
        trade("BINANCE", "100", "1"), venue_time=NOW + timedelta(seconds=5)
    ),
    "STALE": replace(trade("BINANCE", "100", "1"), venue_time=NOW - timedelta(seconds=30)),
    "NON_POSITIVE": replace(trade("BINANCE", "100", "1"), size=0),
    "CROSSED_QUOTE": quote("BINANCE", "100.2", "100.1"),
    "ABSURD_PRICE": trade("BINANCE", "100000", "1"),
    "OUT_OF_ORDER": quote("BINANCE", "99.9", "100.1", age=5),
    "EMPTY_BOOK": SourceBook("BINANCE", "BTC", (), (BookLevel(px("100"), qty("1")),), NOW, NOW),
}


@pytest.mark.parametrize("reason", sorted(BAD_EVENTS))
async def test_a_bad_payload_is_counted_and_changes_nothing(reason: str) -> None:
    oracle, _clock, _ = make_oracle()
    seed_three_venues(oracle)
    before = oracle.compute("BTC", NOW)

    assert not oracle.ingest(BAD_EVENTS[reason])

    after = oracle.compute("BTC", NOW)
    assert after.index == before.index
    assert after.reference == before.reference
    assert oracle.rejections[(BAD_EVENTS[reason].source, reason)] == 1


async def test_a_thousandfold_print_from_a_new_source_is_refused_against_the_index() -> None:
    oracle, _clock, _ = make_oracle()
    seed_three_venues(oracle)
    oracle.compute("BTC", NOW)
    assert not oracle.ingest(trade("OKX", "100000", "1"))
    assert oracle.rejections[("OKX", "ABSURD_PRICE")] == 1


async def test_a_tick_publishes_a_ticker_with_exact_decimal_strings() -> None:
    oracle, _clock, published = make_oracle()
    seed_three_venues(oracle)
    await oracle.tick()

    [(topic, event)] = published
    assert topic == "ticker.BTC"
    assert event["indexPrice"] == "100.00"
    assert event["bid"] == "99.90" and event["ask"] == "100.10"
    assert event["healthy"] is True and event["tier"] == "PRIMARY"


async def test_ticks_build_candles_and_hand_closed_ones_to_storage() -> None:
    saved = []
    clock = ManualClock(NOW)

    async def publish(_topic: str, _event: dict[str, Any]) -> None:
        return None

    async def save(candles: list[Any]) -> None:
        saved.extend(candles)

    oracle = PriceOracle(["BTC"], clock, publish, save)
    for step, price in enumerate(["100", "101", "99", "100.5"]):
        clock.advance(timedelta(milliseconds=300 if step else 0))
        for source in ("BINANCE", "COINBASE", "KRAKEN"):
            oracle.ingest(
                replace(
                    trade(source, price, "1", age=0),
                    venue_time=clock.now(),
                    received_at=clock.now(),
                )
            )
        await oracle.tick()
    # 0.0 s, 0.3 s, 0.6 s in the first second; 0.9 s too; nothing has closed yet.
    assert saved == []
    current = oracle.open_candle("BTC", PriceKind.INDEX, CandleInterval.S1)
    assert current is not None
    # VWAPs over the 10 s window: 100, 100.5, 100, 100.125
    assert (current.open, current.high, current.low, current.close) == (
        px("100"),
        px("100.5"),
        px("100"),
        px("100.125"),
    )
    assert current.volume == qty("12")

    clock.advance(timedelta(seconds=1))
    await oracle.tick()
    closed = [c for c in saved if c.interval == CandleInterval.S1 and c.kind == PriceKind.INDEX]
    assert len(closed) == 1 and closed[0].close == px("100.125")


async def test_simulated_liar_and_dead_venue_are_excluded() -> None:
    clock = ManualClock(NOW)
    venues = SimulatedVenues(clock.now(), seed=3)

    async def publish(_topic: str, _event: dict[str, Any]) -> None:
        return None

    oracle = PriceOracle(venues.assets, clock, publish)

    def run(seconds: int) -> None:
        for _ in range(seconds * 4):
            clock.advance(timedelta(milliseconds=250))
            for event in venues.step(clock.now()):
                oracle.ingest(event)

    run(10)
    healthy = oracle.compute("BTC", clock.now())
    assert all(reading.healthy for reading in healthy.index.sources)

    venues.force_lie(SourceName.OKX, "BTC", 0.04, clock.now() + timedelta(minutes=5))
    venues.force_outage(SourceName.KRAKEN, clock.now() + timedelta(minutes=5))
    run(15)
    btc = oracle.compute("BTC", clock.now())

    excluded = {r.source: r.excluded for r in btc.index.sources if r.excluded is not None}
    assert excluded == {"OKX": "DEVIATION", "KRAKEN": "STALE"}
    assert btc.index.tier.value == "PRIMARY" and btc.healthy
    true_price = venues.true_price("BTC")
    assert btc.index.price is not None
    assert abs(btc.index.price / 1e10 - true_price) / true_price < 0.002


@pytest.mark.parametrize(
    "text", ["1e999999", "1e999980", "100000000", "NaN", "-1", "0", "x" * 100, True, None]
)
def test_absurd_numbers_from_a_venue_are_refused_quickly(text: object) -> None:
    import time

    from engine.oracle.model import MalformedPayload, parse_price

    started = time.perf_counter()
    with pytest.raises(MalformedPayload):
        parse_price(text)
    assert time.perf_counter() - started < 0.05
