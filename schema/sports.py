"""Live sports events from the provider quorum: scores, clocks, in-play odds."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.scalars import Decimal


@strawberry.type
class GameClock:
    period: int = strawberry.field(description="0 before the start; halves, quarters or sets.")
    elapsed_seconds: int | None
    remaining_seconds: int | None
    running: bool


@strawberry.type
class Score:
    home: int
    away: int


@strawberry.type
class LiveOutcome:
    outcome: str
    probability: Decimal = strawberry.field(
        description="Fair probability across the quorum of providers, margin removed."
    )


@strawberry.type
class LiveMarket:
    market: str
    universal_id: str = strawberry.field(description="PROVIDER:SPORT:EVENT:MARKET:TIMESTAMP")
    available: bool
    unavailable_reason: str | None = strawberry.field(
        description="QUORUM_NOT_MET (fewer than 3 fresh providers) or SUSPENDED."
    )
    outcomes: list[LiveOutcome]
    providers: list[str]


@strawberry.type
class LiveEvent:
    id: str
    sport: str
    home: str
    away: str
    start_time: datetime
    status: str
    clock: GameClock
    score: Score
    markets: list[LiveMarket]
    updated_at: datetime
    fresh_providers: list[str]
    stale_providers: list[str]
