"""The live sports model every adapter normalises into: events, markets, exact probabilities.

Also the universal id (seed 000, Universal ID System) and the typed feed errors.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from engine.errors import DomainError

# Aggregated probabilities are integer parts per million that sum to exactly this.
PPM = 1_000_000

# The "provider" part of the universal id of our own aggregated markets.
AGGREGATE_SOURCE = "GODARK"
UNIVERSAL_ID_SEPARATOR = ":"


class Sport(StrEnum):
    SOCCER = "SOCCER"
    BASKETBALL = "BASKETBALL"
    TENNIS = "TENNIS"


class ProviderName(StrEnum):
    """Sportsbooks feeding the oracle (seed 000, Provider Priority & Aggregation)."""

    DRAFTKINGS = "DRAFTKINGS"
    FANDUEL = "FANDUEL"
    BETMGM = "BETMGM"
    CAESARS = "CAESARS"
    POINTSBET = "POINTSBET"


# Seed 000, Provider Priority & Aggregation: weights of the weighted average, exact.
PROVIDER_WEIGHTS: dict[ProviderName, Fraction] = {
    ProviderName.DRAFTKINGS: Fraction(3, 10),
    ProviderName.FANDUEL: Fraction(3, 10),
    ProviderName.BETMGM: Fraction(2, 10),
    ProviderName.CAESARS: Fraction(1, 10),
    ProviderName.POINTSBET: Fraction(1, 10),
}


class EventStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    LIVE = "LIVE"
    BREAK = "BREAK"  # half time, quarter breaks: the clock is stopped between periods
    FINISHED = "FINISHED"


class Outcome(StrEnum):
    HOME = "HOME"  # in tennis, the first-named player
    DRAW = "DRAW"
    AWAY = "AWAY"
    NONE = "NONE"  # "no further goal"
    OVER = "OVER"
    UNDER = "UNDER"


class MarketKind(StrEnum):
    MATCH_WINNER = "MATCH_WINNER"
    NEXT_GOAL = "NEXT_GOAL"
    NEXT_SCORE = "NEXT_SCORE"
    NEXT_POINT = "NEXT_POINT"
    GAME_WINNER = "GAME_WINNER"  # tennis: the game (or tie-break) being played
    TOTAL_GOALS = "TOTAL_GOALS"
    TOTAL_POINTS = "TOTAL_POINTS"


# Totals are quoted on half lines so that no result is a push; the cap refuses nonsense.
MAX_TOTAL_LINE: dict[MarketKind, Decimal] = {
    MarketKind.TOTAL_GOALS: Decimal("20.5"),
    MarketKind.TOTAL_POINTS: Decimal("400.5"),
}

SPORT_MARKETS: dict[Sport, frozenset[MarketKind]] = {
    Sport.SOCCER: frozenset(
        {MarketKind.MATCH_WINNER, MarketKind.NEXT_GOAL, MarketKind.TOTAL_GOALS}
    ),
    Sport.BASKETBALL: frozenset(
        {MarketKind.MATCH_WINNER, MarketKind.NEXT_SCORE, MarketKind.TOTAL_POINTS}
    ),
    Sport.TENNIS: frozenset(
        {MarketKind.MATCH_WINNER, MarketKind.NEXT_POINT, MarketKind.GAME_WINNER}
    ),
}

# Markets that settle when the event ends, so providers attest their outcome.
SETTLED_AT_FULL_TIME = frozenset(
    {MarketKind.MATCH_WINNER, MarketKind.TOTAL_GOALS, MarketKind.TOTAL_POINTS}
)


# -- errors ---------------------------------------------------------------------------------


class SportsFeedError(DomainError):
    """Something a provider sent that the oracle refused: dropped and counted, never applied."""

    code = "SPORTS_FEED_ERROR"


class MalformedSportsPayload(SportsFeedError):
    code = "MALFORMED_SPORTS_PAYLOAD"


class InvalidOdds(MalformedSportsPayload):
    code = "INVALID_ODDS"


class UnknownSport(MalformedSportsPayload):
    code = "UNKNOWN_SPORT"


class UnknownMarket(MalformedSportsPayload):
    code = "UNKNOWN_MARKET"


class OutOfOrderUpdate(SportsFeedError):
    code = "OUT_OF_ORDER_UPDATE"


class ConflictingEvent(SportsFeedError):
    """Two providers disagree on what an event id is (e.g. its sport)."""

    code = "CONFLICTING_EVENT"


class InvalidAttestation(SportsFeedError):
    code = "INVALID_ATTESTATION"


class ProviderUnreachable(SportsFeedError):
    """The transport failed: connection refused, timeout, TLS, a reset."""

    code = "PROVIDER_UNREACHABLE"


# -- sports and markets ---------------------------------------------------------------------


def parse_sport(text: str) -> Sport:
    """A sport name in any case; anything we do not list is an `UnknownSport`."""
    try:
        return Sport(text.strip().upper())
    except ValueError:
        raise UnknownSport(f"unknown sport {text!r}") from None


def market_id(kind: MarketKind, line: Decimal | None = None) -> str:
    """The canonical market id: the kind, and for totals the line (`TOTAL_GOALS_2.5`)."""
    if kind in MAX_TOTAL_LINE:
        if line is None:
            raise UnknownMarket(f"{kind} needs a line")
        return f"{kind}_{_validated_line(kind, line)}"
    if line is not None:
        raise UnknownMarket(f"{kind} takes no line")
    return str(kind)


def parse_market_id(text: str) -> tuple[MarketKind, Decimal | None]:
    for kind in MAX_TOTAL_LINE:
        prefix = f"{kind}_"
        if text.startswith(prefix):
            line = _decimal_or_none(text.removeprefix(prefix))
            if line is None:
                raise UnknownMarket(f"bad line in market {text!r}")
            return kind, Decimal(_validated_line(kind, line))
    try:
        return MarketKind(text), None
    except ValueError:
        raise UnknownMarket(f"unknown market {text!r}") from None


def market_outcomes(sport: Sport, kind: MarketKind) -> tuple[Outcome, ...]:
    """The outcomes of a market in canonical order (the order rounding ties break by)."""
    if kind not in SPORT_MARKETS[sport]:
        raise UnknownMarket(f"{kind} is not a {sport} market")
    if kind is MarketKind.MATCH_WINNER:
        if sport is Sport.SOCCER:
            return (Outcome.HOME, Outcome.DRAW, Outcome.AWAY)
        return (Outcome.HOME, Outcome.AWAY)
    if kind is MarketKind.NEXT_GOAL:
        return (Outcome.HOME, Outcome.NONE, Outcome.AWAY)
    if kind in MAX_TOTAL_LINE:
        return (Outcome.OVER, Outcome.UNDER)
    return (Outcome.HOME, Outcome.AWAY)


def _validated_line(kind: MarketKind, line: Decimal) -> str:
    if not line.is_finite() or line <= 0 or line > MAX_TOTAL_LINE[kind]:
        raise UnknownMarket(f"line {line} out of range for {kind}")
    if line % 1 != Decimal("0.5"):
        raise UnknownMarket(f"line {line} is not a half line")
    return f"{line.quantize(Decimal('0.1')):f}"


def _decimal_or_none(text: str) -> Decimal | None:
    if re.fullmatch(r"\d{1,4}(\.\d{1,3})?", text) is None:
        return None
    return Decimal(text)


# -- ids --------------------------------------------------------------------------------------


def fixture_event_id(start_time: datetime, home: str, away: str) -> str:
    """The event id every provider's copy of a fixture maps to: kick-off and both sides.

    Providers number events their own way; the fixture itself (who plays whom, when) is
    what they share, so it is the identity across providers.
    """
    start = start_time.astimezone(UTC)
    return f"{start:%Y%m%dT%H%M%SZ}-{_slug(home)}-v-{_slug(away)}"


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.casefold()).strip("-")
    if not slug:
        raise MalformedSportsPayload(f"team name {name!r} has no letters or digits")
    return slug


@dataclass(frozen=True, slots=True)
class UniversalId:
    """Seed 000, Universal ID System: `PROVIDER:SPORT:EVENT:MARKET:TIMESTAMP` (unix seconds)."""

    provider: str
    sport: Sport
    event_id: str
    market: str
    timestamp: int

    def __post_init__(self) -> None:
        for part in (self.provider, self.event_id, self.market):
            if not part or UNIVERSAL_ID_SEPARATOR in part or any(c.isspace() for c in part):
                raise MalformedSportsPayload(f"bad universal id component {part!r}")
        if self.provider != self.provider.upper():
            raise MalformedSportsPayload(f"provider {self.provider!r} is not upper case")
        if self.timestamp < 0:
            raise MalformedSportsPayload("universal id timestamp is negative")

    def __str__(self) -> str:
        return UNIVERSAL_ID_SEPARATOR.join(
            (self.provider, self.sport, self.event_id, self.market, str(self.timestamp))
        )

    @classmethod
    def parse(cls, text: str) -> UniversalId:
        parts = text.split(UNIVERSAL_ID_SEPARATOR)
        if len(parts) != 5 or not parts[4].isdigit() or len(parts[4]) > 12:
            raise MalformedSportsPayload(f"not a universal id: {text!r}")
        provider, sport, event_id, market, timestamp = parts
        return cls(provider, parse_sport(sport), event_id, market, int(timestamp))


def universal_id(
    provider: str, sport: Sport, event_id: str, market: str, at: datetime
) -> UniversalId:
    return UniversalId(provider.upper(), sport, event_id, market, int(at.timestamp()))


# -- what a provider reports ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GameClock:
    """Where the game is. Seconds are regulation game time, not wall time."""

    period: int  # 0 before the start; halves, quarters (5+ is overtime) or sets
    elapsed_seconds: int | None  # None where the sport has no clock (tennis)
    remaining_seconds: int | None  # until the scheduled end (of overtime, in overtime)
    running: bool


@dataclass(frozen=True, slots=True)
class ScoreDetail:
    """A secondary score line, e.g. tennis games in the current set."""

    name: str
    home: int
    away: int


@dataclass(frozen=True, slots=True)
class Score:
    """Goals, points, or tennis sets; `details` holds the finer lines of the sport."""

    home: int
    away: int
    details: tuple[ScoreDetail, ...] = ()


@dataclass(frozen=True, slots=True)
class ProviderOutcome:
    outcome: Outcome
    implied_probability: Fraction  # straight from the quoted odds, margin included
    fair_probability: Fraction  # margin removed: the market's fair probabilities sum to 1


@dataclass(frozen=True, slots=True)
class ProviderMarket:
    market: str
    outcomes: tuple[ProviderOutcome, ...]
    suspended: bool

    @property
    def overround(self) -> Fraction:
        """The bookmaker margin: implied probabilities sum to 1 + overround."""
        return sum((o.implied_probability for o in self.outcomes), Fraction(0)) - 1

    def fair(self, outcome: Outcome) -> Fraction:
        for quoted in self.outcomes:
            if quoted.outcome is outcome:
                return quoted.fair_probability
        raise KeyError(outcome)


@dataclass(frozen=True, slots=True)
class ProviderEventSnapshot:
    """One provider's view of one event at its own `updated_at`."""

    provider: ProviderName
    sport: Sport
    event_id: str
    provider_event_id: str
    home: str
    away: str
    start_time: datetime
    status: EventStatus
    clock: GameClock
    score: Score
    markets: tuple[ProviderMarket, ...]
    updated_at: datetime
    received_at: datetime

    def market(self, market: str) -> ProviderMarket | None:
        for quoted in self.markets:
            if quoted.market == market:
                return quoted
        return None


# -- what the oracle serves -----------------------------------------------------------------


class UnavailableReason(StrEnum):
    QUORUM_NOT_MET = "QUORUM_NOT_MET"  # fewer than the quorum of fresh providers quote it
    SUSPENDED = "SUSPENDED"  # enough fresh providers list it, but they suspended it


@dataclass(frozen=True, slots=True)
class LiveOutcome:
    outcome: Outcome
    probability_ppm: int

    @property
    def probability(self) -> Fraction:
        return Fraction(self.probability_ppm, PPM)


@dataclass(frozen=True, slots=True)
class LiveMarket:
    """An aggregated market; without quorum it has no outcomes and says why."""

    market: str
    universal_id: str
    available: bool
    unavailable_reason: UnavailableReason | None
    outcomes: tuple[LiveOutcome, ...]
    providers: tuple[ProviderName, ...]  # the fresh providers whose quotes were averaged


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """The oracle's view of an event. `stale` means no provider has fresh data for it."""

    event_id: str
    sport: Sport
    home: str
    away: str
    start_time: datetime
    status: EventStatus
    clock: GameClock
    score: Score
    markets: tuple[LiveMarket, ...]
    updated_at: datetime  # the provider timestamp the status, clock and score come from
    fresh_providers: tuple[ProviderName, ...]
    stale_providers: tuple[ProviderName, ...]

    @property
    def stale(self) -> bool:
        return not self.fresh_providers

    def market(self, market: str) -> LiveMarket | None:
        for live in self.markets:
            if live.market == market:
                return live
        return None
