"""Candles: built from samples, stored once, read back in order, pruned by retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.oracle.candles import Candle, CandleBuilder, CandleInterval, PriceKind
from engine.store.candles import CandleRepository
from engine.store.database import Database

START = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)


def test_the_builder_closes_each_interval_at_its_boundary() -> None:
    builder = CandleBuilder()
    closed: list[Candle] = []
    for second, price in enumerate([10, 12, 9, 11] * 30):  # two minutes of samples
        closed += builder.add("BTC", PriceKind.INDEX, price, 1, START + timedelta(seconds=second))

    minutes = [c for c in closed if c.interval == CandleInterval.M1]
    assert len(minutes) == 1
    assert (minutes[0].open, minutes[0].high, minutes[0].low, minutes[0].close) == (10, 12, 9, 11)
    assert minutes[0].volume == 60
    assert len([c for c in closed if c.interval == CandleInterval.S1]) == 119
    assert not [c for c in closed if c.interval in (CandleInterval.M5, CandleInterval.H1)]


def candle(start: datetime, interval: CandleInterval = CandleInterval.M1, close: int = 5) -> Candle:
    return Candle("BTC", PriceKind.INDEX, interval, start, 4, 6, 3, close, 100)


async def test_candles_are_stored_once_and_read_back_oldest_first(database: Database) -> None:
    repository = CandleRepository(database)
    candles = [candle(START + timedelta(minutes=n), close=n) for n in range(5)]
    await repository.save(candles)
    await repository.save(candles[2:])  # a restart re-sends the last ones: kept once

    read = await repository.between(
        "BTC", PriceKind.INDEX, CandleInterval.M1, START, START + timedelta(hours=1), limit=100
    )
    assert read == candles

    latest_two = await repository.between(
        "BTC", PriceKind.INDEX, CandleInterval.M1, START, START + timedelta(hours=1), limit=2
    )
    assert [c.close for c in latest_two] == [3, 4]
    assert latest_two[0].start.tzinfo is not None


async def test_pruning_keeps_each_interval_for_its_retention(database: Database) -> None:
    repository = CandleRepository(database)
    now = START + timedelta(days=8)
    await repository.save(
        [
            candle(START, CandleInterval.M1),  # 8 days old: past the 7 days of 1m candles
            candle(START, CandleInterval.M5),  # kept for 30 days
            candle(now - timedelta(hours=1), CandleInterval.S1),  # kept for 6 hours
            candle(now - timedelta(hours=7), CandleInterval.S1),  # gone
        ]
    )
    assert await repository.prune(now) == 2
    remaining = [
        c.interval
        for interval in CandleInterval
        for c in await repository.between(
            "BTC", PriceKind.INDEX, interval, START - timedelta(days=1), now, 100
        )
    ]
    assert sorted(remaining) == sorted([CandleInterval.M5, CandleInterval.S1])
