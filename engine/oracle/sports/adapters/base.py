"""What every provider adapter shares: the parsed feed, strict field readers, validation.

A bad event, market or attestation is rejected alone; only a non-feed fails the whole poll.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import NoReturn, Protocol, TypeVar

from engine.oracle.sports.attestation import OutcomeAttestation
from engine.oracle.sports.model import (
    EventStatus,
    GameClock,
    InvalidAttestation,
    MalformedSportsPayload,
    MarketKind,
    Outcome,
    ProviderEventSnapshot,
    ProviderMarket,
    ProviderName,
    ProviderOutcome,
    Score,
    ScoreDetail,
    Sport,
    SportsFeedError,
    UniversalId,
    fixture_event_id,
    market_id,
    market_outcomes,
    parse_market_id,
)
from engine.oracle.sports.odds import remove_margin

T = TypeVar("T")
Json = Mapping[str, object]

# A live feed of a few hundred events is well under a megabyte; far more is not a feed.
FEED_MAX_BYTES = 8 * 1024 * 1024
MAX_EVENTS_PER_FEED = 5_000
MAX_TEXT_LENGTH = 200
# Provider clocks drift a little; a timestamp further ahead of ours than this is bad data.
MAX_CLOCK_SKEW = timedelta(seconds=5)
EARLIEST_TIMESTAMP = datetime(2000, 1, 1, tzinfo=UTC)
# Scores past these are typos or garbage, not sport.
MAX_SCORE: dict[Sport, int] = {Sport.SOCCER: 30, Sport.BASKETBALL: 300, Sport.TENNIS: 3}
MAX_TENNIS_GAMES = 7
MAX_TENNIS_POINTS = 50  # a tie-break can run long; a game's points are counted, not called
TENNIS_GAMES = "games"
TENNIS_POINTS = "points"


@dataclass(frozen=True, slots=True)
class FeedRejection:
    provider: ProviderName
    code: str
    message: str
    reference: str  # the provider's own id of what was dropped


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    provider: ProviderName
    received_at: datetime
    snapshots: tuple[ProviderEventSnapshot, ...]
    attestations: tuple[OutcomeAttestation, ...]
    rejections: tuple[FeedRejection, ...]


class ProviderAdapter(Protocol):
    """Turns one provider's own feed document into the common model."""

    @property
    def provider(self) -> ProviderName: ...

    @property
    def feed_path(self) -> str: ...

    def parse_feed(self, document: object, received_at: datetime) -> ParsedFeed: ...


def decode_feed_body(body: bytes) -> object:
    """JSON with every non-integer number as an exact Decimal, and no NaN or Infinity."""
    if len(body) > FEED_MAX_BYTES:
        raise MalformedSportsPayload(f"feed of {len(body)} bytes is too large")
    try:
        return json.loads(body, parse_float=Decimal, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        raise MalformedSportsPayload(f"feed is not JSON: {error}") from None


def _refuse_constant(name: str) -> NoReturn:
    raise MalformedSportsPayload(f"{name} is not a number")


@dataclass
class FeedCollector:
    """Gathers what parsed and what was rejected while an adapter walks a feed."""

    provider: ProviderName
    received_at: datetime
    snapshots: list[ProviderEventSnapshot] = field(default_factory=list)
    attestations: list[OutcomeAttestation] = field(default_factory=list)
    rejections: list[FeedRejection] = field(default_factory=list)

    def each(self, what: str, values: Iterable[object], parse: Callable[[Json], T]) -> list[T]:
        """Parse every entry; an entry that fails is rejected alone."""
        parsed: list[T] = []
        for position, value in enumerate(values):
            reference = f"{what}[{position}]"
            try:
                entry = mapping(value, reference)
                reference = _reference(entry, reference)
                parsed.append(parse(entry))
            except SportsFeedError as error:
                self.reject(error, reference)
        return parsed

    def reject(self, error: SportsFeedError, reference: str) -> None:
        self.rejections.append(FeedRejection(self.provider, error.code, error.message, reference))

    def result(self) -> ParsedFeed:
        return ParsedFeed(
            self.provider,
            self.received_at,
            tuple(self.snapshots),
            tuple(self.attestations),
            tuple(self.rejections),
        )


def _reference(entry: Json, fallback: str) -> str:
    for key in ("eventId", "id", "key", "marketId", "universalId", "uid"):
        value = entry.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return f"{fallback}:{value}"[:MAX_TEXT_LENGTH]
    return fallback


# -- field readers ----------------------------------------------------------------------------


def mapping(value: object, what: str) -> Json:
    if not isinstance(value, Mapping):
        raise MalformedSportsPayload(f"{what} is not an object")
    return value


def items(value: object, what: str, limit: int = MAX_EVENTS_PER_FEED) -> list[object]:
    if not isinstance(value, list):
        raise MalformedSportsPayload(f"{what} is not a list")
    if len(value) > limit:
        raise MalformedSportsPayload(f"{what} has {len(value)} entries, at most {limit}")
    return value


def member(obj: Json, key: str) -> object:
    if key not in obj:
        raise MalformedSportsPayload(f"missing field {key!r}")
    return obj[key]


def text(obj: Json, key: str) -> str:
    value = member(obj, key)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT_LENGTH:
        raise MalformedSportsPayload(f"{key!r} must be a non-empty string")
    return value.strip()


def identifier(obj: Json, key: str) -> str:
    """A provider id, which some providers send as a number and some as a string."""
    value = member(obj, key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return text(obj, key)


def integer(obj: Json, key: str, minimum: int, maximum: int) -> int:
    """An integer field; digit strings are accepted because some providers send scores so."""
    return bounded_integer(member(obj, key), key, minimum, maximum)


def bounded_integer(value: object, what: str, minimum: int, maximum: int) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedSportsPayload(f"{what!r} must be an integer")
    if value < minimum or value > maximum:
        raise MalformedSportsPayload(f"{what!r} = {value} is out of range")
    return value


def boolean(obj: Json, key: str) -> bool:
    value = member(obj, key)
    if not isinstance(value, bool):
        raise MalformedSportsPayload(f"{key!r} must be true or false")
    return value


def exact_decimal(value: object, what: str) -> Decimal:
    if isinstance(value, (bool, float)):
        raise MalformedSportsPayload(f"{what!r} must be an exact number")
    if isinstance(value, Decimal | int):
        result = Decimal(value)
    elif isinstance(value, str) and len(value) <= 16:
        try:
            result = Decimal(value.strip())
        except ArithmeticError:
            raise MalformedSportsPayload(f"{what!r} is not a number") from None
    else:
        raise MalformedSportsPayload(f"{what!r} is not a number")
    if not result.is_finite():
        raise MalformedSportsPayload(f"{what!r} is not finite")
    return result


def iso_time(value: object, what: str) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise MalformedSportsPayload(f"{what!r} is not an ISO 8601 time")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedSportsPayload(f"{what!r} is not an ISO 8601 time: {value!r}") from None
    if parsed.tzinfo is None:
        raise MalformedSportsPayload(f"{what!r} has no UTC offset")
    return _plausible(parsed.astimezone(UTC), what)


def epoch_millis(value: object, what: str) -> datetime:
    millis = bounded_integer(value, what, 0, 10**14)
    return _plausible(datetime.fromtimestamp(millis / 1000, UTC), what)


def epoch_seconds(value: object, what: str) -> datetime:
    seconds = bounded_integer(value, what, 0, 10**11)
    return _plausible(datetime.fromtimestamp(seconds, UTC), what)


def _plausible(at: datetime, what: str) -> datetime:
    if at < EARLIEST_TIMESTAMP:
        raise MalformedSportsPayload(f"{what!r} = {at.isoformat()} is implausibly old")
    return at


def not_in_future(at: datetime, received_at: datetime, what: str) -> datetime:
    if at > received_at + MAX_CLOCK_SKEW:
        raise MalformedSportsPayload(f"{what!r} = {at.isoformat()} is in the future")
    return at


def lookup(table: Mapping[str, T], key: str, what: str) -> T:
    value = table.get(key)
    if value is None:
        raise MalformedSportsPayload(f"unknown {what} {key!r}")
    return value


def signature_bytes(value: object, encoding: str) -> bytes:
    """A signature as the provider encodes it: "hex", "base64" or "base64url"."""
    if not isinstance(value, str) or len(value) > 200:
        raise InvalidAttestation("signature must be a short string")
    try:
        if encoding == "hex":
            return bytes.fromhex(value)
        if encoding == "base64url":
            return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        return base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        raise InvalidAttestation(f"signature is not {encoding}") from None


# -- building the model -----------------------------------------------------------------------


def market_key(sport: Sport, kind: MarketKind, line: Decimal | None) -> str:
    """The canonical market id, checked to be a market of this sport."""
    market_outcomes(sport, kind)
    return market_id(kind, line)


def quoted_market(
    sport: Sport,
    market: str,
    prices: Sequence[tuple[Outcome, Fraction]],
    suspended: bool,
) -> ProviderMarket:
    """A market from its outcomes' implied probabilities: all outcomes, each once."""
    kind, _ = parse_market_id(market)
    expected = market_outcomes(sport, kind)
    by_outcome = dict(prices)
    if len(by_outcome) != len(prices) or set(by_outcome) != set(expected):
        quoted = sorted(outcome.value for outcome, _ in prices)
        raise MalformedSportsPayload(f"{market} quotes {quoted}, expected {list(expected)}")
    implied = [by_outcome[outcome] for outcome in expected]
    fair = remove_margin(implied)
    outcomes = tuple(
        ProviderOutcome(outcome, implied_probability, fair_probability)
        for outcome, implied_probability, fair_probability in zip(
            expected, implied, fair, strict=True
        )
    )
    return ProviderMarket(market, outcomes, suspended)


def unique_markets(
    markets: Sequence[ProviderMarket], feed: FeedCollector, reference: str
) -> tuple[ProviderMarket, ...]:
    """The first quote of each market; a repeat is rejected, not merged."""
    seen: dict[str, ProviderMarket] = {}
    for market in markets:
        if market.market in seen:
            feed.reject(MalformedSportsPayload(f"{market.market} quoted twice"), reference)
            continue
        seen[market.market] = market
    return tuple(seen.values())


@dataclass(frozen=True, slots=True)
class EventHeader:
    """The parts of an event every format carries, before markets."""

    provider: ProviderName
    sport: Sport
    provider_event_id: str
    home: str
    away: str
    start_time: datetime
    updated_at: datetime


def event_header(
    provider: ProviderName,
    sport: Sport,
    provider_event_id: str,
    home: str,
    away: str,
    start_time: datetime,
    updated_at: datetime,
    received_at: datetime,
) -> EventHeader:
    if home.casefold() == away.casefold():
        raise MalformedSportsPayload(f"{home!r} cannot play itself")
    not_in_future(updated_at, received_at, "updated")
    return EventHeader(provider, sport, provider_event_id, home, away, start_time, updated_at)


def build_snapshot(
    header: EventHeader,
    status: EventStatus,
    clock: GameClock,
    score: Score,
    markets: tuple[ProviderMarket, ...],
    received_at: datetime,
) -> ProviderEventSnapshot:
    _check_score(header.sport, score)
    return ProviderEventSnapshot(
        provider=header.provider,
        sport=header.sport,
        event_id=fixture_event_id(header.start_time, header.home, header.away),
        provider_event_id=header.provider_event_id,
        home=header.home,
        away=header.away,
        start_time=header.start_time,
        status=status,
        clock=clock,
        score=score,
        markets=markets,
        updated_at=header.updated_at,
        received_at=received_at,
    )


def tennis_score(sets: tuple[int, int], games: tuple[int, int], points: tuple[int, int]) -> Score:
    return Score(
        sets[0],
        sets[1],
        (
            ScoreDetail(TENNIS_GAMES, games[0], games[1]),
            ScoreDetail(TENNIS_POINTS, points[0], points[1]),
        ),
    )


def _check_score(sport: Sport, score: Score) -> None:
    limit = MAX_SCORE[sport]
    if not (0 <= score.home <= limit and 0 <= score.away <= limit):
        raise MalformedSportsPayload(f"score {score.home}-{score.away} is out of range")
    for detail in score.details:
        detail_limit = MAX_TENNIS_GAMES if detail.name == TENNIS_GAMES else MAX_TENNIS_POINTS
        if not (0 <= detail.home <= detail_limit and 0 <= detail.away <= detail_limit):
            raise MalformedSportsPayload(f"{detail.name} {detail.home}-{detail.away} out of range")


def parse_attestation(
    provider: ProviderName,
    universal_id_text: str,
    market: str,
    outcome_text: str,
    timestamp: int,
    signature: bytes,
    received_at: datetime,
) -> OutcomeAttestation:
    uid = UniversalId.parse(universal_id_text)
    not_in_future(datetime.fromtimestamp(timestamp, UTC), received_at, "attestation timestamp")
    try:
        outcome = Outcome(outcome_text)
    except ValueError:
        raise InvalidAttestation(f"unknown outcome {outcome_text!r}") from None
    return OutcomeAttestation(provider, uid, market, outcome, timestamp, signature)
