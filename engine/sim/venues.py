"""Simulated lit venues for the demo and tests: correlated prices, noise, lag, outages, a liar.

Each asset follows one "true" price (geometric Brownian motion with Poisson jumps); every
venue that lists it shows that price through its own noise, spread and latency. Venues
go dark now and then, and one venue (by default OKX) sometimes quotes more than 2 % off
the market, so the oracle's staleness and deviation rules have something to catch.
Floats live only inside this simulation; what it emits is integer oracle units.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from engine.clock import Clock
from engine.oracle.model import (
    PRICE_SCALE,
    SIZE_SCALE,
    BookLevel,
    SourceBook,
    SourceEvent,
    SourceName,
    SourceQuote,
    SourceTrade,
)

SECONDS_PER_YEAR = 365 * 24 * 3600
BOOK_LEVELS = 10
BOOK_INTERVAL = timedelta(seconds=1)
FEED_INTERVAL_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class SimAsset:
    symbol: str
    start_price: float
    annual_volatility: float
    jumps_per_day: float
    jump_size: float  # standard deviation of a jump's log size
    spread_bps: float
    typical_trade: float  # base units
    trades_per_second: float


# Seed 004 "Supported Assets": ten crypto bases and five FX pairs (priced in USDT).
SIM_ASSETS: tuple[SimAsset, ...] = (
    SimAsset("BTC", 97_000.0, 0.55, 6, 0.006, 1.0, 0.05, 3.0),
    SimAsset("ETH", 3_400.0, 0.70, 6, 0.008, 1.5, 0.8, 2.5),
    SimAsset("SOL", 240.0, 0.90, 8, 0.010, 2.0, 12.0, 2.0),
    SimAsset("BNB", 650.0, 0.60, 4, 0.008, 2.0, 3.0, 1.0),
    SimAsset("XRP", 1.40, 0.85, 6, 0.010, 3.0, 2_000.0, 1.5),
    SimAsset("DOGE", 0.38, 1.00, 8, 0.012, 4.0, 10_000.0, 1.5),
    SimAsset("ADA", 0.90, 0.90, 6, 0.010, 4.0, 3_000.0, 1.0),
    SimAsset("AVAX", 40.0, 0.95, 6, 0.012, 3.0, 50.0, 1.0),
    SimAsset("LINK", 22.0, 0.90, 6, 0.012, 3.0, 80.0, 1.0),
    SimAsset("LTC", 100.0, 0.75, 4, 0.010, 3.0, 20.0, 0.8),
    SimAsset("EUR", 1.05, 0.07, 1, 0.002, 0.5, 20_000.0, 0.5),
    SimAsset("GBP", 1.26, 0.08, 1, 0.002, 0.6, 15_000.0, 0.5),
    SimAsset("JPY", 0.0064, 0.09, 1, 0.002, 0.8, 3_000_000.0, 0.5),
    SimAsset("CHF", 1.13, 0.07, 1, 0.002, 0.8, 15_000.0, 0.4),
    SimAsset("AUD", 0.65, 0.10, 1, 0.002, 0.8, 25_000.0, 0.4),
)

CRYPTO = frozenset(asset.symbol for asset in SIM_ASSETS[:10])
# Which FX pairs each venue lists: every pair on at least three venues.
FX_LISTINGS: dict[SourceName, frozenset[str]] = {
    SourceName.BINANCE: frozenset({"EUR", "GBP", "JPY", "AUD"}),
    SourceName.COINBASE: frozenset({"EUR", "GBP", "CHF"}),
    SourceName.KRAKEN: frozenset({"EUR", "GBP", "JPY", "CHF", "AUD"}),
    SourceName.BYBIT: frozenset({"EUR", "JPY"}),
    SourceName.OKX: frozenset({"EUR", "CHF", "AUD"}),
}


@dataclass(frozen=True, slots=True)
class VenueProfile:
    name: SourceName
    noise_in_spreads: float  # per-update jitter around the venue's price, in spreads
    latency_ms: float
    outages_per_hour: float
    lies: bool = False


DEFAULT_VENUES: tuple[VenueProfile, ...] = (
    VenueProfile(SourceName.BINANCE, 0.10, 40, 2),
    VenueProfile(SourceName.COINBASE, 0.15, 60, 2),
    VenueProfile(SourceName.KRAKEN, 0.20, 120, 4),
    VenueProfile(SourceName.BYBIT, 0.15, 70, 3),
    VenueProfile(SourceName.OKX, 0.15, 80, 3, lies=True),
)
BASIS_DECAY = 0.95
BASIS_NOISE_IN_SPREADS = 0.03
OUTAGE_SECONDS = (15.0, 60.0)
LIES_PER_HOUR = 12.0
LIE_SECONDS = (20.0, 60.0)
LIE_OFFSET = (0.025, 0.05)


@dataclass
class _VenueState:
    profile: VenueProfile
    listed: frozenset[str]
    basis: dict[str, float] = field(default_factory=dict)  # slow per-venue premium, log
    outage_until: datetime | None = None
    lies: dict[str, tuple[datetime, float]] = field(
        default_factory=dict
    )  # asset -> (until, offset)
    last_book: datetime | None = None


class SimulatedVenues:
    def __init__(
        self,
        start: datetime,
        seed: int = 7,
        assets: tuple[SimAsset, ...] = SIM_ASSETS,
        venues: tuple[VenueProfile, ...] = DEFAULT_VENUES,
    ) -> None:
        self._random = random.Random(seed)
        self._assets = {asset.symbol: asset for asset in assets}
        self._log_price = {asset.symbol: math.log(asset.start_price) for asset in assets}
        self._venues = [
            _VenueState(profile, _listing(profile.name, self._assets)) for profile in venues
        ]
        self._last_step = start
        self._trade_counter = 0

    @property
    def assets(self) -> tuple[str, ...]:
        return tuple(self._assets)

    def true_price(self, asset: str) -> float:
        return math.exp(self._log_price[asset])

    def force_outage(self, venue: SourceName, until: datetime) -> None:
        self._venue(venue).outage_until = until

    def force_lie(self, venue: SourceName, asset: str, offset: float, until: datetime) -> None:
        self._venue(venue).lies[asset] = (until, offset)

    def step(self, now: datetime) -> list[SourceEvent]:
        seconds = (now - self._last_step).total_seconds()
        if seconds <= 0:
            return []
        self._last_step = now
        for asset in self._assets.values():
            self._advance(asset, seconds)
        events: list[SourceEvent] = []
        for venue in self._venues:
            self._update_incidents(venue, now, seconds)
            if venue.outage_until is not None and now < venue.outage_until:
                continue
            with_book = venue.last_book is None or now - venue.last_book >= BOOK_INTERVAL
            if with_book:
                venue.last_book = now
            for symbol in venue.listed:
                events += self._venue_events(venue, self._assets[symbol], now, seconds, with_book)
        return events

    def _advance(self, asset: SimAsset, seconds: float) -> None:
        sigma = asset.annual_volatility * math.sqrt(seconds / SECONDS_PER_YEAR)
        move = -0.5 * sigma * sigma + sigma * self._random.gauss(0.0, 1.0)
        if self._random.random() < asset.jumps_per_day * seconds / 86_400:
            move += self._random.gauss(0.0, asset.jump_size)
        self._log_price[asset.symbol] += move

    def _update_incidents(self, venue: _VenueState, now: datetime, seconds: float) -> None:
        profile = venue.profile
        available = venue.outage_until is None or now >= venue.outage_until
        if available and self._random.random() < profile.outages_per_hour * seconds / 3600:
            venue.outage_until = now + timedelta(seconds=self._random.uniform(*OUTAGE_SECONDS))
        if profile.lies and self._random.random() < LIES_PER_HOUR * seconds / 3600:
            symbol = self._random.choice(sorted(venue.listed))
            offset = self._random.uniform(*LIE_OFFSET) * self._random.choice((-1, 1))
            until = now + timedelta(seconds=self._random.uniform(*LIE_SECONDS))
            venue.lies[symbol] = (until, offset)

    def _venue_events(
        self,
        venue: _VenueState,
        asset: SimAsset,
        now: datetime,
        seconds: float,
        with_book: bool,
    ) -> list[SourceEvent]:
        symbol = asset.symbol
        name = venue.profile.name.value
        # Arbitrage keeps venues within a fraction of a spread of each other.
        spread = asset.spread_bps * 1e-4
        basis = venue.basis.get(symbol, 0.0) * BASIS_DECAY + self._random.gauss(
            0.0, BASIS_NOISE_IN_SPREADS * spread
        )
        venue.basis[symbol] = basis
        noise = self._random.gauss(0.0, venue.profile.noise_in_spreads * spread)
        price = math.exp(self._log_price[symbol] + basis + noise)
        lie = venue.lies.get(symbol)
        if lie is not None:
            if now < lie[0]:
                price *= 1.0 + lie[1]
            else:
                del venue.lies[symbol]
        latency = venue.profile.latency_ms * self._random.uniform(0.6, 1.6)
        venue_time = now - timedelta(milliseconds=latency)
        half_spread = max(price * asset.spread_bps * 0.5e-4, 1.0 / PRICE_SCALE)
        bid, ask = _units(price - half_spread), _units(price + half_spread)
        if ask <= bid:
            ask = bid + 1
        events: list[SourceEvent] = [
            SourceQuote(
                name, symbol, bid, ask, self._size(asset), self._size(asset), venue_time, now
            )
        ]
        for _ in range(self._poisson(asset.trades_per_second * seconds)):
            self._trade_counter += 1
            events.append(
                SourceTrade(
                    name,
                    symbol,
                    bid if self._random.random() < 0.5 else ask,
                    self._size(asset),
                    venue_time,
                    now,
                    trade_id=str(self._trade_counter),
                )
            )
        if with_book:
            events.append(self._book(name, asset, bid, ask, venue_time, now))
        return events

    def _book(
        self, name: str, asset: SimAsset, bid: int, ask: int, venue_time: datetime, now: datetime
    ) -> SourceBook:
        step = max(1, ask - bid)
        bids = tuple(
            BookLevel(bid - level * step, self._size(asset) * (level + 1))
            for level in range(BOOK_LEVELS)
            if bid - level * step > 0
        )
        asks = tuple(
            BookLevel(ask + level * step, self._size(asset) * (level + 1))
            for level in range(BOOK_LEVELS)
        )
        return SourceBook(name, asset.symbol, bids, asks, venue_time, now)

    def _size(self, asset: SimAsset) -> int:
        return max(1, int(self._random.expovariate(1.0 / asset.typical_trade) * SIZE_SCALE))

    def _poisson(self, mean: float) -> int:
        # Knuth's method: means here are small (a few trades per step).
        limit, count, product = math.exp(-mean), 0, self._random.random()
        while product > limit:
            count += 1
            product *= self._random.random()
        return count

    def _venue(self, name: SourceName) -> _VenueState:
        for venue in self._venues:
            if venue.profile.name == name:
                return venue
        raise KeyError(name)


def _listing(venue: SourceName, assets: dict[str, SimAsset]) -> frozenset[str]:
    return frozenset(
        symbol for symbol in assets if symbol in CRYPTO or symbol in FX_LISTINGS.get(venue, ())
    )


def _units(price: float) -> int:
    return max(1, round(price * PRICE_SCALE))


class SimulatedPriceFeed:
    """Drives the simulated venues on a timer and hands their events to a sink."""

    def __init__(
        self,
        venues: SimulatedVenues,
        clock: Clock,
        sink: Callable[[SourceEvent], object],
        interval_seconds: float = FEED_INTERVAL_SECONDS,
    ) -> None:
        self.venues = venues
        self._clock = clock
        self._sink = sink
        self._interval = interval_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="simulated-price-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            for event in self.venues.step(self._clock.now()):
                self._sink(event)
            await asyncio.sleep(self._interval)
