"""A simulated street camera for micro-bets: a seeded stream of cars, buses, trucks, cyclists
and pedestrians, and three independent observers who report it with small errors and delays.

Everything is a pure function of the seed and the times asked: the stream is cut into
one-minute buckets, each generated from its own seed, so any query of any range agrees.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TypeVar

from engine.flash.micro import EPOCH, MICROSECOND, Colour, Direction, EventFilter, Kind

T = TypeVar("T")

BUCKET_SECONDS = 60
_BUCKET_MICROS = BUCKET_SECONDS * 1_000_000

# A busy two-way urban junction seen by one camera (events per minute). Cars about one every
# four seconds; buses on a line every four minutes; pedestrians crossing in small streams.
RATES_PER_MINUTE: dict[Kind, float] = {
    Kind.CAR: 15.0,
    Kind.BUS: 0.25,
    Kind.TRUCK: 1.0,
    Kind.CYCLIST: 3.0,
    Kind.PEDESTRIAN: 6.0,
}
# Car colours, roughly the world's car fleet: white, black and grey lead.
COLOUR_SHARES: dict[Colour, float] = {
    Colour.WHITE: 0.26,
    Colour.BLACK: 0.22,
    Colour.GREY: 0.18,
    Colour.SILVER: 0.12,
    Colour.BLUE: 0.10,
    Colour.RED: 0.08,
    Colour.GREEN: 0.02,
    Colour.YELLOW: 0.02,
}
# Vehicles and cyclists: most go straight on, the rest turn either way.
DIRECTION_SHARES: dict[Direction, float] = {
    Direction.STRAIGHT: 0.6,
    Direction.LEFT: 0.2,
    Direction.RIGHT: 0.2,
}
COLOURED = frozenset({Kind.CAR})  # only cars' colours are bet on and reported
STEERED = frozenset({Kind.CAR, Kind.BUS, Kind.TRUCK, Kind.CYCLIST})


@dataclass(frozen=True, slots=True)
class StreetEvent:
    """What really happened."""

    event_id: str
    occurred_at: datetime
    kind: Kind
    colour: Colour | None
    direction: Direction | None


class StreetModel:
    """The stream's rates, for pricing: every filter is a thinned Poisson process."""

    def rate(self, subject: EventFilter) -> float:
        """Matching events per second."""
        total = 0.0
        for kind in subject.kinds:
            rate = RATES_PER_MINUTE[kind] / 60.0
            if subject.colour is not None:
                rate *= COLOUR_SHARES[subject.colour] if kind in COLOURED else 0.0
            if subject.direction is not None:
                rate *= DIRECTION_SHARES[subject.direction] if kind in STEERED else 0.0
            total += rate
        return total


class StreetCamera:
    """The true events of one street, from a seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def events_between(self, start: datetime, end: datetime) -> list[StreetEvent]:
        """Events with start <= occurred_at < end, in order of time."""
        first = _micros(start) // _BUCKET_MICROS
        last = (_micros(end) - 1) // _BUCKET_MICROS
        return [
            event
            for index in range(first, last + 1)
            for event in _bucket(self.seed, index)
            if start <= event.occurred_at < end
        ]


@lru_cache(maxsize=4_096)
def _bucket(seed: int, index: int) -> tuple[StreetEvent, ...]:
    """One minute of the street: each kind an independent Poisson process, then its marks."""
    rng = random.Random(f"street:{seed}:{index}")
    raw: list[tuple[int, Kind]] = []
    for kind, per_minute in RATES_PER_MINUTE.items():
        rate = per_minute / 60.0
        t = rng.expovariate(rate)
        while t < BUCKET_SECONDS:
            raw.append((int(t * 1_000_000), kind))
            t += rng.expovariate(rate)
    raw.sort()
    start = EPOCH + MICROSECOND * (index * _BUCKET_MICROS)
    return tuple(
        StreetEvent(
            f"{index}.{number}",
            start + MICROSECOND * offset,
            kind,
            _draw(rng, COLOUR_SHARES) if kind in COLOURED else None,
            _draw(rng, DIRECTION_SHARES) if kind in STEERED else None,
        )
        for number, (offset, kind) in enumerate(raw)
    )


def _draw(rng: random.Random, shares: Mapping[T, float]) -> T:
    values = list(shares)
    return rng.choices(values, weights=[shares[value] for value in values])[0]


def _micros(at: datetime) -> int:
    return (at - EPOCH) // MICROSECOND


# -- observers ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Observation:
    """One event as one observer reported it: possibly wrong, always a little late."""

    observer: str
    kind: Kind
    colour: Colour | None
    direction: Direction | None
    occurred_at: datetime  # the observer's timestamp of the event, within `timing_error`
    reported_at: datetime  # when the report arrives


@dataclass(frozen=True, slots=True)
class Observer:
    """An independent observer. Its mistakes on an event depend only on the seed, its id
    and the event, so a report is the same whichever other events are reported with it."""

    observer_id: str
    seed: int
    miss_rate: float = 0.02  # the event is not reported at all
    wrong_kind_rate: float = 0.01  # a vehicle reported as another kind of vehicle
    wrong_colour_rate: float = 0.03
    wrong_direction_rate: float = 0.02
    timing_error: timedelta = timedelta(milliseconds=150)  # +/- on the event's time
    min_delay: timedelta = timedelta(milliseconds=200)
    max_delay: timedelta = timedelta(milliseconds=1_500)

    def report(self, events: Iterable[StreetEvent]) -> list[Observation]:
        observations = [
            observation for event in events if (observation := self._see(event)) is not None
        ]
        return sorted(observations, key=lambda o: o.occurred_at)

    def _see(self, event: StreetEvent) -> Observation | None:
        rng = random.Random(f"observer:{self.seed}:{self.observer_id}:{event.event_id}")
        # Every draw is made, used or not, so one error never shifts the others.
        missed = rng.random() < self.miss_rate
        wrong_kind = rng.random() < self.wrong_kind_rate
        wrong_colour = rng.random() < self.wrong_colour_rate
        wrong_direction = rng.random() < self.wrong_direction_rate
        error = timedelta(microseconds=rng.uniform(-1, 1) * (self.timing_error / MICROSECOND))
        delay = self.min_delay + (self.max_delay - self.min_delay) * rng.random()
        other = rng.random()
        if missed:
            return None
        kind = event.kind
        if wrong_kind and kind in _MISTAKEN_KINDS:
            kind = _MISTAKEN_KINDS[kind]
        colour = event.colour
        if wrong_colour and colour is not None:
            colour = _another(list(Colour), colour, other)
        direction = event.direction
        if wrong_direction and direction is not None:
            direction = _another(list(Direction), direction, other)
        occurred_at = event.occurred_at + error
        return Observation(
            self.observer_id, kind, colour, direction, occurred_at, event.occurred_at + delay
        )


_MISTAKEN_KINDS = {Kind.BUS: Kind.TRUCK, Kind.TRUCK: Kind.BUS, Kind.CAR: Kind.TRUCK}


def _another(values: Sequence[T], actual: T, draw: float) -> T:
    others = [value for value in values if value != actual]
    return others[int(draw * len(others))]


OBSERVER_IDS = ("observer-1", "observer-2", "observer-3")
# An observer's reports are all in this long after an event (max delay + timing error).
REPORTING_DELAY = timedelta(seconds=2)


def observers(seed: int) -> tuple[Observer, ...]:
    """The three independent observers of a street (seed 002 section 5.2)."""
    return tuple(Observer(observer_id, seed) for observer_id in OBSERVER_IDS)


def observe(
    camera: StreetCamera, panel: Sequence[Observer], start: datetime, end: datetime
) -> dict[str, list[Observation]]:
    """Each observer's reports of [start, end), by the time they are all in
    (end + REPORTING_DELAY); events just outside may be timed inside, and vice versa."""
    margin = max((observer.timing_error for observer in panel), default=timedelta(0))
    events = camera.events_between(start - margin, end + margin)
    return {
        observer.observer_id: [o for o in observer.report(events) if start <= o.occurred_at < end]
        for observer in panel
    }
