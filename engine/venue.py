"""The venue's running parts, wired together once and started and stopped as one."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import timedelta

import structlog

from engine.bus import EventBus, bus_for
from engine.clock import Clock, SystemClock
from engine.heartbeat import HeartbeatTicker
from engine.ledger import Ledger
from engine.oracle.feeds import LiveVenueFeed, adapters_for
from engine.oracle.prices import PriceOracle
from engine.sim.demo_account import DemoAccount
from engine.sim.venues import SimulatedPriceFeed, SimulatedVenues
from engine.store.candles import CandleRepository
from engine.store.database import Database

CANDLE_PRUNE_INTERVAL = timedelta(minutes=10)

log = structlog.get_logger("godark.venue")


@dataclass(frozen=True, slots=True)
class VenueConfig:
    database_url: str
    redis_url: str | None
    demo_mode: bool
    simulation_seed: int = 7
    # Venues to stream real prices from; empty = simulated venues in demo mode.
    price_sources: tuple[str, ...] = ()


@dataclass
class Venue:
    config: VenueConfig
    clock: Clock
    database: Database
    bus: EventBus
    ledger: Ledger
    heartbeat: HeartbeatTicker
    oracle: PriceOracle
    candles: CandleRepository
    demo: DemoAccount | None = None
    price_feed: SimulatedPriceFeed | LiveVenueFeed | None = None
    _maintenance: asyncio.Task[None] | None = field(default=None, repr=False)

    @classmethod
    def build(cls, config: VenueConfig, clock: Clock | None = None) -> Venue:
        clock = clock if clock is not None else SystemClock()
        database = Database(config.database_url)
        ledger = Ledger(database, clock)
        bus = bus_for(config.redis_url)
        candles = CandleRepository(database)
        simulated = SimulatedVenues(clock.now(), seed=config.simulation_seed)
        oracle = PriceOracle(simulated.assets, clock, bus.publish, candles.save)
        price_feed: SimulatedPriceFeed | LiveVenueFeed | None = None
        if config.price_sources:
            price_feed = LiveVenueFeed(
                adapters_for(config.price_sources),
                oracle.assets,
                clock,
                oracle.ingest,
                oracle.reject,
            )
        elif config.demo_mode:
            price_feed = SimulatedPriceFeed(simulated, clock, oracle.ingest)
        return cls(
            config=config,
            clock=clock,
            database=database,
            bus=bus,
            ledger=ledger,
            heartbeat=HeartbeatTicker(clock),
            oracle=oracle,
            candles=candles,
            demo=DemoAccount(ledger) if config.demo_mode else None,
            price_feed=price_feed,
        )

    async def start(self) -> None:
        """Crash-only: a start after a crash is the same as any other start."""
        await self.bus.start()
        if self.demo is not None:
            await self.demo.open()
        self.heartbeat.start()
        if self.price_feed is not None:
            self.price_feed.start()
        self.oracle.start()
        self._maintenance = asyncio.create_task(self._prune_candles(), name="candle-retention")

    async def stop(self) -> None:
        if self._maintenance is not None:
            self._maintenance.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._maintenance
        await self.oracle.stop()
        if self.price_feed is not None:
            await self.price_feed.stop()
        await self.heartbeat.stop()
        await self.bus.stop()
        await self.database.dispose()

    async def _prune_candles(self) -> None:
        while True:
            try:
                removed = await self.candles.prune(self.clock.now())
                if removed:
                    log.info("candles_pruned", rows=removed)
            except Exception:
                log.exception("candle_prune_failed")
            await asyncio.sleep(CANDLE_PRUNE_INTERVAL.total_seconds())
