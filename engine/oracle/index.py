"""The index price of an asset from its venues: weighted VWAP of the sources that agree.

Rules (docs/oracle.md has the worked example):
1. A source is *fresh* when it reported within PRICE_STALENESS (seed 003 §15.20: 10 s).
2. Its price is the VWAP of its trades in the window, or its quote mid if it has none.
3. The median of the fresh prices is taken; a source more than MAX_DEVIATION_BPS (2 %,
   seed 004 "Oracle Manipulation Protection") from it is dropped and reported. The same
   test runs on each venue's latest price, so a venue is dropped at its first lie.
4. The index is the volume- and weight-weighted average of the remaining sources, with the
   seed 004 source weights (Binance 0.30, Coinbase 0.25, Kraken, Bybit, OKX 0.15).
5. Three or more agreeing sources is the primary tier; one or two is the fallback tier;
   none is unavailable. The index is healthy only when at least two sources agree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from engine.oracle.model import SourceName
from engine.oracle.sources import VWAP_WINDOW, SourceState

SOURCE_WEIGHTS_BPS: dict[str, int] = {
    SourceName.BINANCE: 3_000,
    SourceName.COINBASE: 2_500,
    SourceName.KRAKEN: 1_500,
    SourceName.BYBIT: 1_500,
    SourceName.OKX: 1_500,
}
PRICE_STALENESS = timedelta(seconds=10)
MAX_DEVIATION_BPS = 200
PRIMARY_TIER_SOURCES = 3
# A price only one venue vouches for is not a safe basis for liquidations.
HEALTHY_MIN_SOURCES = 2

# Confidence weights, seed 003 §15.21: data quality, price reliability, freshness, coverage.
CONFIDENCE_WEIGHTS = (0.30, 0.30, 0.20, 0.20)
CONFIDENCE_Z = 1.96  # 95 % interval, as in seed 003 §15.21


class OracleTier(StrEnum):
    PRIMARY = "PRIMARY"
    FALLBACK = "FALLBACK"
    UNAVAILABLE = "UNAVAILABLE"


class Exclusion(StrEnum):
    NO_DATA = "NO_DATA"
    STALE = "STALE"
    DEVIATION = "DEVIATION"


@dataclass(frozen=True, slots=True)
class SourceReading:
    source: str
    price: int | None
    volume: int
    last_update: datetime | None
    deviation_bps: int | None
    excluded: Exclusion | None
    # The venue's latest print or quote mid: a venue that starts lying is caught at its
    # first lie, before its window VWAP has drifted far enough to show it.
    current_price: int | None = None

    @property
    def healthy(self) -> bool:
        return self.excluded is None


@dataclass(frozen=True, slots=True)
class IndexPrice:
    asset: str
    price: int | None
    median: int | None
    tier: OracleTier
    healthy: bool
    confidence: float
    sources: tuple[SourceReading, ...]
    computed_at: datetime

    def accepted(self) -> list[SourceReading]:
        return [reading for reading in self.sources if reading.healthy]


def compute_index(
    asset: str,
    states: Mapping[str, SourceState],
    now: datetime,
    weights_bps: Mapping[str, int] = SOURCE_WEIGHTS_BPS,
) -> IndexPrice:
    fresh = [_fresh_reading(source, states.get(source), now) for source in weights_bps]
    prices = [reading.price for reading in fresh if reading.price is not None]
    median = _median(prices) if prices else None
    currents = [reading.current_price for reading in fresh if reading.current_price is not None]
    current_median = _median(currents) if currents else None
    readings = tuple(_judge(reading, median, current_median) for reading in fresh)
    accepted = [reading for reading in readings if reading.healthy]
    price = _weighted_price(accepted, weights_bps) if accepted else None
    return IndexPrice(
        asset=asset,
        price=price,
        median=median,
        tier=_tier(len(accepted)),
        healthy=len(accepted) >= HEALTHY_MIN_SOURCES,
        confidence=_confidence(readings, accepted, price, weights_bps, now),
        sources=readings,
        computed_at=now,
    )


def _fresh_reading(source: str, state: SourceState | None, now: datetime) -> SourceReading:
    if state is None or state.last_update is None:
        return SourceReading(source, None, 0, None, None, Exclusion.NO_DATA)
    state.evict_before(now - VWAP_WINDOW)  # the window slides as it is read
    price = state.reference_price()
    if now - state.last_update > PRICE_STALENESS:
        return SourceReading(source, price, state.volume, state.last_update, None, Exclusion.STALE)
    if price is None:
        return SourceReading(source, None, 0, state.last_update, None, Exclusion.NO_DATA)
    current = state.current_price()
    return SourceReading(source, price, state.volume, state.last_update, None, None, current)


def _judge(reading: SourceReading, median: int | None, current_median: int | None) -> SourceReading:
    if reading.excluded is not None or reading.price is None or median is None:
        return reading
    deviation_bps, too_far = _deviation(reading.price, median)
    if reading.current_price is not None and current_median is not None:
        current_bps, current_too_far = _deviation(reading.current_price, current_median)
        deviation_bps = max(deviation_bps, current_bps)
        too_far = too_far or current_too_far
    return SourceReading(
        reading.source,
        reading.price,
        reading.volume,
        reading.last_update,
        deviation_bps,
        Exclusion.DEVIATION if too_far else None,
        reading.current_price,
    )


def _deviation(price: int, median: int) -> tuple[int, bool]:
    """Distance from the median in basis points, and whether it is beyond the limit.

    Compared exactly, not on the rounded figure: 2.00004 % is out.
    """
    distance = abs(price - median)
    return (
        distance * 10_000 + median // 2
    ) // median, distance * 10_000 > MAX_DEVIATION_BPS * median


def _weighted_price(accepted: Sequence[SourceReading], weights_bps: Mapping[str, int]) -> int:
    numerator = denominator = 0
    for reading in accepted:
        assert reading.price is not None
        weight = weights_bps[reading.source] * reading.volume
        numerator += reading.price * weight
        denominator += weight
    if denominator == 0:  # no trades in the window: weight the quote mids by source alone
        for reading in accepted:
            assert reading.price is not None
            numerator += reading.price * weights_bps[reading.source]
            denominator += weights_bps[reading.source]
    return (2 * numerator + denominator) // (2 * denominator)


def _median(prices: Sequence[int]) -> int:
    ordered = sorted(prices)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) // 2


def _tier(accepted: int) -> OracleTier:
    if accepted >= PRIMARY_TIER_SOURCES:
        return OracleTier.PRIMARY
    if accepted > 0:
        return OracleTier.FALLBACK
    return OracleTier.UNAVAILABLE


def _confidence(
    readings: Sequence[SourceReading],
    accepted: Sequence[SourceReading],
    price: int | None,
    weights_bps: Mapping[str, int],
    now: datetime,
) -> float:
    """Seed 003 §15.21's C = 0.3 C_data + 0.3 C_price + 0.2 C_freshness + 0.2 C_coverage."""
    if price is None or not accepted:
        return 0.0
    w_data, w_price, w_fresh, w_coverage = CONFIDENCE_WEIGHTS
    data = _data_quality(accepted, price)
    reliability = sum(weights_bps[r.source] for r in accepted) / sum(weights_bps.values())
    ages = [(now - r.last_update).total_seconds() for r in accepted if r.last_update is not None]
    lag = sum(ages) / len(ages)
    freshness = max(0.0, 1.0 - lag / PRICE_STALENESS.total_seconds())
    coverage = sum(
        1 for r in readings if r.excluded != Exclusion.NO_DATA and r.excluded != Exclusion.STALE
    ) / len(readings)
    score = w_data * data + w_price * reliability + w_fresh * freshness + w_coverage * coverage
    return round(min(1.0, max(0.0, score)), 4)


def _data_quality(accepted: Sequence[SourceReading], price: int) -> float:
    """1 - width of the 95 % interval of the sources' prices, relative to the price."""
    prices = [r.price for r in accepted if r.price is not None]
    if len(prices) < 2:
        return 0.5  # one source: no spread to measure, so only half credit
    mean = sum(prices) / len(prices)
    variance = sum((p - mean) ** 2 for p in prices) / (len(prices) - 1)
    interval_width = 2 * CONFIDENCE_Z * math.sqrt(variance) / math.sqrt(len(prices))
    return max(0.0, 1.0 - interval_width / price)
