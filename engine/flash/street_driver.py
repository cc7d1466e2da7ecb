"""The demo's micro-bets on the simulated street: lists each offer in the engine and, once a
market's window has closed and the observers' reports are all in, submits what each
observer saw so the engine settles it by the 2-of-3 consensus (docs/micro-bets.md).

`StreetDriver.step(at)` decides (pure, a function of `at` and what the engine holds);
`StreetDriverTask` runs it every half second against the sequencer, like the flash creator,
and publishes the street as the observers agree on it for the live view. A restarted
driver lists nothing twice (the engine knows its markets) and settles late markets late.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from engine.clock import Clock
from engine.flash.micro import (
    STREET_TEMPLATES,
    Colour,
    Direction,
    Kind,
    MarketTemplate,
    MicroMarket,
    outcome_of,
)
from engine.flash.micro import offers as street_offers
from engine.flash.sessions import MicroBook, open_market_command
from engine.sim.street import (
    REPORTING_DELAY,
    Observation,
    Observer,
    StreetCamera,
    StreetModel,
    observe,
    observers,
)
from engine.trading.commands import Command, SettleMicroMarket
from engine.trading.exchange import Outcome
from engine.trading.publication import micro_stream_topic

DRIVER_INTERVAL_SECONDS = 0.5
# Reports of one event by different observers fall within twice an observer's timing error.
SAME_EVENT_WINDOW = timedelta(milliseconds=300)
STREET_QUORUM = 2

log = structlog.get_logger("godark.street")


@dataclass(frozen=True, slots=True)
class ObservedEvent:
    """One street event as at least two observers agree on it (for the live view)."""

    occurred_at: datetime
    kind: Kind
    colour: Colour | None
    direction: Direction | None
    observers: int

    def to_message(self, stream: str) -> dict[str, Any]:
        return {
            "type": "StreetEventObserved",
            "stream": stream,
            "occurred_at": self.occurred_at.isoformat(),
            "kind": self.kind.value,
            "colour": None if self.colour is None else self.colour.value,
            "direction": None if self.direction is None else self.direction.value,
            "observers": self.observers,
        }


class StreetDriver:
    def __init__(
        self,
        micro: Callable[[], MicroBook],
        seed: int,
        templates: Sequence[MarketTemplate] = STREET_TEMPLATES,
        stream: str = "street",
    ) -> None:
        self._micro = micro
        self.camera = StreetCamera(seed)
        self.panel: tuple[Observer, ...] = observers(seed)
        self.model = StreetModel()
        self.templates = templates
        self.stream = stream

    def step(self, at: datetime) -> list[Command]:
        """List the offers of this cycle the engine lacks; settle every market whose
        reports are all in."""
        book = self._micro()
        commands: list[Command] = [
            open_market_command(market, at)
            for market in self.offers(at)
            if book.market(market.market_id) is None
        ]
        for market in book.unsettled():
            if at >= market.closes_at + REPORTING_DELAY:
                commands.append(self.settlement(market, at))
        return commands

    def offers(self, at: datetime) -> list[MicroMarket]:
        return street_offers(at, self.model, self.templates, self.stream)

    def settlement(self, market: MicroMarket, at: datetime) -> SettleMicroMarket:
        """What each observer says the market's outcome was; the engine takes the verdict."""
        reports = observe(self.camera, self.panel, market.opens_at, market.closes_at)
        names = tuple(observer.observer_id for observer in self.panel)
        return SettleMicroMarket(
            market.market_id,
            names,
            tuple(outcome_of(market, reports[name]) for name in names),
            at,
        )

    def observed_events(self, start: datetime, end: datetime) -> list[ObservedEvent]:
        """Events in [start, end) that at least two observers reported alike."""
        reports = observe(self.camera, self.panel, start, end)
        every = sorted((o for seen in reports.values() for o in seen), key=lambda o: o.occurred_at)
        agreed: list[ObservedEvent] = []
        cluster: list[Observation] = []
        for observation in every:
            if cluster and (
                observation.occurred_at - cluster[0].occurred_at > SAME_EVENT_WINDOW
                or observation.observer in {o.observer for o in cluster}
            ):
                agreed += _agreement(cluster)
                cluster = []
            cluster.append(observation)
        agreed += _agreement(cluster)
        return agreed


def _agreement(cluster: list[Observation]) -> list[ObservedEvent]:
    if len(cluster) < STREET_QUORUM:
        return []
    kind = _majority([o.kind for o in cluster])
    if kind is None:
        return []
    colour = _majority([o.colour for o in cluster if o.colour is not None])
    direction = _majority([o.direction for o in cluster if o.direction is not None])
    return [ObservedEvent(cluster[0].occurred_at, kind, colour, direction, len(cluster))]


def _majority(values: list[Any]) -> Any:
    for value in values:
        if values.count(value) >= STREET_QUORUM:
            return value
    return None


Publish = Callable[[str, dict[str, Any]], Awaitable[None]]


class StreetDriverTask:
    """Runs the driver every half second and submits what it decides."""

    def __init__(
        self,
        driver: StreetDriver,
        submit: Callable[[Command], Awaitable[Outcome]],
        clock: Clock,
        publish: Publish | None = None,
        interval_seconds: float = DRIVER_INTERVAL_SECONDS,
    ) -> None:
        self.driver = driver
        self._submit = submit
        self._clock = clock
        self._publish = publish
        self._interval = interval_seconds
        self._task: asyncio.Task[None] | None = None
        self._published_until: datetime | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="street-driver")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run_once(self) -> int:
        now = self._clock.now()
        commands = self.driver.step(now)
        for command in commands:
            outcome = await self._submit(command)
            if not outcome.accepted:
                log.info("street_command_refused", kind=type(command).__name__, code=outcome.code)
        await self._publish_street(now)
        return len(commands)

    async def _publish_street(self, now: datetime) -> None:
        if self._publish is None:
            return
        end = now - REPORTING_DELAY
        start = self._published_until
        if start is None or end <= start:
            self._published_until = end if start is None else start
            return  # the live view starts now: no backlog
        topic = micro_stream_topic(self.driver.stream)
        for event in self.driver.observed_events(start, end):
            await self._publish(topic, event.to_message(self.driver.stream))
        self._published_until = end

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("street_driver_failed")
            await asyncio.sleep(self._interval)
