"""Live events and their subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from decimal import Decimal as PyDecimal

from engine.oracle.sports import model
from resolvers.context import Info
from resolvers.errors import InvalidArgument
from schema import scalars
from schema.sports import GameClock, LiveEvent, LiveMarket, LiveOutcome, Score

PROBABILITY_PPM = 1_000_000


def live_events(info: Info, sport: str | None = None) -> list[LiveEvent]:
    sports = info.context.venue.sports
    if sports is None:
        return []
    wanted = None if sport is None else _sport(sport)
    return [_event(event) for event in sports.live_events(wanted)]


async def live_event(info: Info, id: str) -> AsyncGenerator[LiveEvent, None]:
    sports = info.context.venue.sports
    if sports is None or sports.event(id) is None:
        raise InvalidArgument(f"no live event {id[:80]!r}")
    current = sports.event(id)
    if current is not None:
        yield _event(current)
    async with info.context.venue.bus.subscribe(f"live_event.{id}") as updates:
        async for _update in updates:
            event = sports.event(id)
            if event is not None:
                yield _event(event)


def _sport(text: str) -> str:
    try:
        return model.Sport(text.upper()).value
    except ValueError:
        known = ", ".join(sport.value for sport in model.Sport)
        raise InvalidArgument(f"unknown sport {text[:30]!r}; known: {known}") from None


def _event(event: model.LiveEvent) -> LiveEvent:
    return LiveEvent(
        id=event.event_id,
        sport=event.sport.value,
        home=event.home,
        away=event.away,
        start_time=event.start_time,
        status=event.status.value,
        clock=GameClock(
            period=event.clock.period,
            elapsed_seconds=event.clock.elapsed_seconds,
            remaining_seconds=event.clock.remaining_seconds,
            running=event.clock.running,
        ),
        score=Score(home=event.score.home, away=event.score.away),
        markets=[_market(market) for market in event.markets],
        updated_at=event.updated_at,
        fresh_providers=[provider.value for provider in event.fresh_providers],
        stale_providers=[provider.value for provider in event.stale_providers],
    )


def _market(market: model.LiveMarket) -> LiveMarket:
    return LiveMarket(
        market=market.market,
        universal_id=market.universal_id,
        available=market.available,
        unavailable_reason=(
            None if market.unavailable_reason is None else market.unavailable_reason.value
        ),
        outcomes=[
            LiveOutcome(
                outcome=outcome.outcome.value,
                probability=scalars.Decimal(PyDecimal(outcome.probability_ppm) / PROBABILITY_PPM),
            )
            for outcome in market.outcomes
        ],
        providers=[provider.value for provider in market.providers],
    )
