"""OHLCV candles of index and mark prices for charts, built from one-second samples."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum


class CandleInterval(StrEnum):
    S1 = "1s"
    M1 = "1m"
    M5 = "5m"
    H1 = "1h"

    @property
    def length(self) -> timedelta:
        return _LENGTHS[self]


_LENGTHS = {
    CandleInterval.S1: timedelta(seconds=1),
    CandleInterval.M1: timedelta(minutes=1),
    CandleInterval.M5: timedelta(minutes=5),
    CandleInterval.H1: timedelta(hours=1),
}

# How long each interval is kept: fine detail for a short while, coarse for long.
CANDLE_RETENTION = {
    CandleInterval.S1: timedelta(hours=6),
    CandleInterval.M1: timedelta(days=7),
    CandleInterval.M5: timedelta(days=30),
    CandleInterval.H1: timedelta(days=365),
}


class PriceKind(StrEnum):
    INDEX = "INDEX"
    MARK = "MARK"


@dataclass(frozen=True, slots=True)
class Candle:
    asset: str
    kind: PriceKind
    interval: CandleInterval
    start: datetime
    open: int
    high: int
    low: int
    close: int
    volume: int


def bucket_start(when: datetime, interval: CandleInterval) -> datetime:
    seconds = int(interval.length.total_seconds())
    epoch = int(when.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


class _OpenCandle:
    """The candle still being built: mutable, because it changes ten times a second."""

    __slots__ = ("close", "high", "low", "open", "start", "volume")

    def __init__(self, start: datetime, price: int, volume: int) -> None:
        self.start = start
        self.open = self.high = self.low = self.close = price
        self.volume = volume

    def add(self, price: int, volume: int) -> None:
        if price > self.high:
            self.high = price
        elif price < self.low:
            self.low = price
        self.close = price
        self.volume += volume

    def freeze(self, asset: str, kind: PriceKind, interval: CandleInterval) -> Candle:
        return Candle(
            asset,
            kind,
            interval,
            self.start,
            self.open,
            self.high,
            self.low,
            self.close,
            self.volume,
        )


class CandleBuilder:
    """Keeps the open candle of every (asset, kind, interval); hands back those that closed."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, PriceKind, CandleInterval], _OpenCandle] = {}

    def add(
        self, asset: str, kind: PriceKind, price: int, volume: int, now: datetime
    ) -> list[Candle]:
        closed: list[Candle] = []
        epoch = int(now.timestamp())
        for interval, seconds in _INTERVAL_SECONDS:
            key = (asset, kind, interval)
            start_epoch = epoch - epoch % seconds
            current = self._open.get(key)
            if current is not None and int(current.start.timestamp()) == start_epoch:
                current.add(price, volume)
                continue
            if current is not None:
                closed.append(current.freeze(asset, kind, interval))
            start = datetime.fromtimestamp(start_epoch, tz=UTC)
            self._open[key] = _OpenCandle(start, price, volume)
        return closed

    def open_candle(self, asset: str, kind: PriceKind, interval: CandleInterval) -> Candle | None:
        current = self._open.get((asset, kind, interval))
        return None if current is None else current.freeze(asset, kind, interval)


_INTERVAL_SECONDS = tuple(
    (interval, int(interval.length.total_seconds())) for interval in CandleInterval
)
