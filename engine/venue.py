"""The venue's running parts, wired together once and started and stopped as one."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.bus import EventBus, bus_for
from engine.clock import Clock, SystemClock
from engine.heartbeat import HeartbeatTicker
from engine.ledger import Ledger
from engine.sim.demo_account import DemoAccount
from engine.store.database import Database


@dataclass(frozen=True, slots=True)
class VenueConfig:
    database_url: str
    redis_url: str | None
    demo_mode: bool


@dataclass
class Venue:
    config: VenueConfig
    clock: Clock
    database: Database
    bus: EventBus
    ledger: Ledger
    heartbeat: HeartbeatTicker
    demo: DemoAccount | None = field(default=None)

    @classmethod
    def build(cls, config: VenueConfig, clock: Clock | None = None) -> Venue:
        clock = clock if clock is not None else SystemClock()
        database = Database(config.database_url)
        ledger = Ledger(database, clock)
        return cls(
            config=config,
            clock=clock,
            database=database,
            bus=bus_for(config.redis_url),
            ledger=ledger,
            heartbeat=HeartbeatTicker(clock),
            demo=DemoAccount(ledger) if config.demo_mode else None,
        )

    async def start(self) -> None:
        """Crash-only: a start after a crash is the same as any other start."""
        await self.bus.start()
        if self.demo is not None:
            await self.demo.open()
        self.heartbeat.start()

    async def stop(self) -> None:
        await self.heartbeat.stop()
        await self.bus.stop()
        await self.database.dispose()
