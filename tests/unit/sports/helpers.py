"""Shared builders for the sports oracle tests: fixtures, a sleep that moves a ManualClock."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from engine.clock import ManualClock
from engine.oracle.sports.client import FeedResponse
from engine.oracle.sports.model import (
    EventStatus,
    GameClock,
    Outcome,
    ProviderEventSnapshot,
    ProviderMarket,
    ProviderName,
    ProviderOutcome,
    ProviderUnreachable,
    Score,
    Sport,
    fixture_event_id,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sports"
FIXTURE_FILES = {
    ProviderName.DRAFTKINGS: "draftkings_live.json",
    ProviderName.FANDUEL: "fanduel_live.json",
    ProviderName.BETMGM: "betmgm_live.json",
    ProviderName.CAESARS: "caesars_live.json",
    ProviderName.POINTSBET: "pointsbet_live.json",
}
# The instant the fixtures describe, and when the oracle received them.
FIXTURE_UPDATED_AT = datetime(2026, 1, 1, 13, 12, 12, tzinfo=UTC)
FIXTURE_RECEIVED_AT = FIXTURE_UPDATED_AT + timedelta(seconds=1)
FIXTURE_START = datetime(2026, 1, 1, 12, tzinfo=UTC)
FIXTURE_EVENT_ID = fixture_event_id(FIXTURE_START, "Northport United", "Eastham Rovers")


def fixture_text(provider: ProviderName) -> str:
    return (FIXTURES / FIXTURE_FILES[provider]).read_text()


def fixture_document(provider: ProviderName) -> object:
    """The fixture decoded as the poller decodes a feed: exact Decimals for JSON numbers."""
    return json.loads(fixture_text(provider), parse_float=Decimal)


class ClockSleep:
    """A sleep that moves the ManualClock instead of waiting, and remembers every wait."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.clock.advance(timedelta(seconds=seconds))
        await asyncio.sleep(0)  # yield, as a real sleep would, so other tasks run


class ScriptedClient:
    """A ProviderClient answering from a script of responses (or transport failures)."""

    def __init__(
        self,
        provider: ProviderName,
        script: Sequence[FeedResponse | ProviderUnreachable],
        key: Ed25519PublicKey | None = None,
        default: FeedResponse | None = None,
    ) -> None:
        self._provider = provider
        self._script = deque(script)
        self._default = default
        self._key = key if key is not None else Ed25519PrivateKey.generate().public_key()
        self.requests = 0

    @property
    def provider(self) -> ProviderName:
        return self._provider

    @property
    def verification_key(self) -> Ed25519PublicKey:
        return self._key

    async def fetch_feed(self) -> FeedResponse:
        self.requests += 1
        step = self._script.popleft() if self._script else self._default
        if step is None:
            raise AssertionError("the script ran out")
        if isinstance(step, ProviderUnreachable):
            raise step
        return step

    async def aclose(self) -> None:
        return None


def two_way(
    home: Fraction, suspended: bool = False, market: str = "MATCH_WINNER"
) -> ProviderMarket:
    """A HOME/AWAY market quoted without margin (implied == fair)."""
    return ProviderMarket(
        market,
        (
            ProviderOutcome(Outcome.HOME, home, home),
            ProviderOutcome(Outcome.AWAY, 1 - home, 1 - home),
        ),
        suspended,
    )


def basketball_snapshot(
    provider: ProviderName,
    updated_at: datetime,
    markets: tuple[ProviderMarket, ...],
    score: Score | None = None,
) -> ProviderEventSnapshot:
    start = datetime(2026, 1, 1, 11, tzinfo=UTC)
    return ProviderEventSnapshot(
        provider=provider,
        sport=Sport.BASKETBALL,
        event_id=fixture_event_id(start, "Harbor Hawks", "Bay Comets"),
        provider_event_id=f"{provider}-1",
        home="Harbor Hawks",
        away="Bay Comets",
        start_time=start,
        status=EventStatus.LIVE,
        clock=GameClock(3, 1700, 1180, True),
        score=Score(50, 48) if score is None else score,
        markets=markets,
        updated_at=updated_at,
        received_at=updated_at,
    )
