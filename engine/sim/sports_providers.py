"""Simulated sportsbooks for the demo, each serving its real counterpart's own feed format,
with its own lag, noise, margin, outages, rate limits and ed25519 key.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import random
import uuid
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from engine.clock import Clock
from engine.oracle.sports.adapters import adapter_for
from engine.oracle.sports.attestation import OutcomeAttestation, sign_attestation
from engine.oracle.sports.client import FeedResponse
from engine.oracle.sports.model import (
    EventStatus,
    MarketKind,
    Outcome,
    ProviderName,
    Sport,
    market_outcomes,
    parse_market_id,
)
from engine.oracle.sports.odds import MAX_AMERICAN_ODDS, MAX_DECIMAL_ODDS
from engine.oracle.sports.resilience import Sleep
from engine.oracle.sports.rules import period_bounds
from engine.oracle.sports.service import Publish, SportsOracle, SportsOracleConfig
from engine.sim.games import GameSchedule, GameState, SimulatedGame

Json = dict[str, Any]

# A book stops quoting an outcome below 0.2% (American +49900) and suspends the market.
SUSPEND_BELOW = 0.002
# No outcome is ever priced shorter than this (American -49900), margin included.
MAX_IMPLIED = 0.998
MIN_DECIMAL_ODDS = Decimal("1.01")
# Books reprice every couple of seconds; the noise is redrawn per bucket, not per request.
NOISE_BUCKET_SECONDS = 2
OUTAGE_WINDOW_SECONDS = 600  # outages are drawn per ten-minute window
SETTLEMENT_RETENTION = timedelta(minutes=10)  # signed results stay in the feed this long
HTTP_OK = 200
HTTP_TOO_MANY_REQUESTS = 429
HTTP_SERVICE_UNAVAILABLE = 503


@dataclass(frozen=True, slots=True)
class ProviderProfile:
    """How one simulated book behaves."""

    provider: ProviderName
    lag: timedelta  # how far behind the game its feed runs
    margin: float  # overround: 0.05 is a 105% book
    noise: float  # standard deviation of the log-odds noise on each outcome
    outage_chance: float  # chance an outage starts in a ten-minute window
    outage_seconds: tuple[int, int]
    rate_limit_chance: float  # chance a request is answered 429
    retry_after_seconds: int | None  # sent with the 429, or no Retry-After header
    corrupt_market_chance: float = 0.0  # chance a market goes out with broken odds


DEMO_PROFILES: dict[ProviderName, ProviderProfile] = {
    ProviderName.DRAFTKINGS: ProviderProfile(
        ProviderName.DRAFTKINGS, timedelta(seconds=1), 0.045, 0.02, 0.05, (20, 60), 0.01, 1
    ),
    ProviderName.FANDUEL: ProviderProfile(
        ProviderName.FANDUEL, timedelta(seconds=1.5), 0.05, 0.025, 0.05, (20, 60), 0.01, None
    ),
    ProviderName.BETMGM: ProviderProfile(
        ProviderName.BETMGM, timedelta(seconds=2), 0.06, 0.03, 0.08, (30, 90), 0.02, 2
    ),
    ProviderName.CAESARS: ProviderProfile(
        ProviderName.CAESARS, timedelta(seconds=2.5), 0.065, 0.03, 0.08, (30, 90), 0.02, 1, 0.001
    ),
    ProviderName.POINTSBET: ProviderProfile(
        ProviderName.POINTSBET, timedelta(seconds=3), 0.07, 0.035, 0.1, (30, 120), 0.03, None, 0.002
    ),
}


@dataclass(frozen=True, slots=True)
class QuotedMarket:
    """A market as a book prices it: implied probabilities, margin included."""

    market: str
    kind: MarketKind
    line: Decimal | None
    prices: tuple[tuple[Outcome, float], ...]  # canonical outcome order
    suspended: bool
    corrupt: bool = False


@dataclass(frozen=True, slots=True)
class FeedContent:
    """Everything a book's feed shows at one instant, before its own encoding."""

    observed_at: datetime
    events: tuple[tuple[GameState, tuple[QuotedMarket, ...]], ...]
    attestations: tuple[OutcomeAttestation, ...]


def demo_signing_key(seed: int, provider: ProviderName) -> Ed25519PrivateKey:
    """A reproducible key per (seed, provider): demo keys, never for anything real."""
    material = hashlib.sha256(f"godark-demo-sports:{seed}:{provider}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(material)


class SimulatedSportsProvider:
    def __init__(
        self,
        profile: ProviderProfile,
        schedule: GameSchedule,
        clock: Clock,
        seed: int,
        signing_key: Ed25519PrivateKey | None = None,
    ) -> None:
        self.profile = profile
        self._schedule = schedule
        self._clock = clock
        self._seed = seed
        self._key = (
            signing_key if signing_key is not None else demo_signing_key(seed, profile.provider)
        )
        self._signed: dict[tuple[str, str], OutcomeAttestation] = {}
        self._requests = 0

    @property
    def provider(self) -> ProviderName:
        return self.profile.provider

    @property
    def verification_key(self) -> Ed25519PublicKey:
        return self._key.public_key()

    @property
    def feed_path(self) -> str:
        return adapter_for(self.provider).feed_path

    def respond(self) -> FeedResponse:
        """What the book's HTTP endpoint answers now: 503 in an outage, sometimes 429."""
        now = self._clock.now()
        self._requests += 1
        if self.in_outage(now):
            return FeedResponse(HTTP_SERVICE_UNAVAILABLE, b'{"error":"service unavailable"}')
        draw = random.Random(f"{self._seed}:{self.provider}:request:{self._requests}").random()
        if draw < self.profile.rate_limit_chance:
            retry_after = self.profile.retry_after_seconds
            header = None if retry_after is None else str(retry_after)
            return FeedResponse(HTTP_TOO_MANY_REQUESTS, b'{"error":"too many requests"}', header)
        return FeedResponse(HTTP_OK, self.feed_body())

    def feed_body(self) -> bytes:
        return json.dumps(self.feed_document(), separators=(",", ":")).encode()

    def feed_document(self) -> Json:
        return ENCODERS[self.provider](self.feed_content())

    def feed_content(self) -> FeedContent:
        observed = self._clock.now() - self.profile.lag
        states = [game.state_at(observed) for game in self._schedule.games_at(observed)]
        listed = tuple((state, self._quote(state, observed)) for state in states)
        ended = self._schedule.games_ended_between(observed - SETTLEMENT_RETENTION, observed)
        return FeedContent(observed, listed, self._attest(ended))

    def in_outage(self, at: datetime) -> bool:
        seconds = int(at.timestamp())
        window, offset = divmod(seconds, OUTAGE_WINDOW_SECONDS)
        rng = random.Random(f"{self._seed}:{self.provider}:outage:{window}")
        if rng.random() >= self.profile.outage_chance:
            return False
        duration = rng.randint(*self.profile.outage_seconds)
        start = rng.randint(0, OUTAGE_WINDOW_SECONDS - duration)
        return start <= offset < start + duration

    def _quote(self, state: GameState, observed: datetime) -> tuple[QuotedMarket, ...]:
        bucket = int(observed.timestamp()) // NOISE_BUCKET_SECONDS
        return tuple(
            self._quote_market(state, market, fair, bucket)
            for market, fair in state.markets.items()
        )

    def _quote_market(
        self, state: GameState, market: str, fair: Mapping[Outcome, float], bucket: int
    ) -> QuotedMarket:
        kind, line = parse_market_id(market)
        outcomes = market_outcomes(state.sport, kind)
        rng = random.Random(f"{self._seed}:{self.provider}:{state.event_id}:{market}:{bucket}")
        noisy = [
            fair[outcome] * math.exp(rng.gauss(0.0, self.profile.noise)) for outcome in outcomes
        ]
        total = sum(noisy)
        noisy = [p / total for p in noisy]
        suspended = min(noisy) < SUSPEND_BELOW
        # A suspended market still shows prices, clamped to what the book would ever quote.
        clamped = [max(p, SUSPEND_BELOW) for p in noisy]
        # Proportional margin, so taking it off again (as the adapters do) recovers the
        # price; a heavy favourite is capped, and the book then earns less on that market.
        implied = [min(p * (1 + self.profile.margin), MAX_IMPLIED) for p in clamped]
        corrupt = rng.random() < self.profile.corrupt_market_chance
        prices = tuple(zip(outcomes, implied, strict=True))
        return QuotedMarket(market, kind, line, prices, suspended, corrupt)

    def _attest(self, ended: Sequence[SimulatedGame]) -> tuple[OutcomeAttestation, ...]:
        signed: list[OutcomeAttestation] = []
        for game in ended:
            final = game.state_at(game.end_time)
            settled_at = math.ceil((game.end_time + self.profile.lag).timestamp())
            for market, outcome in sorted(final.results.items()):
                key = (game.event_id, market)
                if key not in self._signed:
                    self._signed[key] = sign_attestation(
                        self._key,
                        self.provider,
                        game.sport,
                        game.event_id,
                        market,
                        outcome,
                        settled_at,
                    )
                signed.append(self._signed[key])
        self._forget_signatures({game.event_id for game in ended})
        return tuple(signed)

    def _forget_signatures(self, current: set[str]) -> None:
        for key in [key for key in self._signed if key[0] not in current]:
            del self._signed[key]


class InProcessProviderClient:
    """The ProviderClient interface without a socket: the demo's default transport."""

    def __init__(self, simulated: SimulatedSportsProvider) -> None:
        self._simulated = simulated

    @property
    def provider(self) -> ProviderName:
        return self._simulated.provider

    @property
    def verification_key(self) -> Ed25519PublicKey:
        return self._simulated.verification_key

    async def fetch_feed(self) -> FeedResponse:
        return self._simulated.respond()

    async def aclose(self) -> None:
        return None


def build_demo_providers(
    clock: Clock,
    seed: int,
    schedule: GameSchedule | None = None,
    profiles: Mapping[ProviderName, ProviderProfile] = DEMO_PROFILES,
) -> list[SimulatedSportsProvider]:
    """One simulated book per real one, all watching the same games."""
    games = schedule if schedule is not None else GameSchedule(seed, clock.now())
    return [SimulatedSportsProvider(profile, games, clock, seed) for profile in profiles.values()]


def build_demo_sports_oracle(
    clock: Clock,
    publish: Publish,
    seed: int,
    *,
    sleep: Sleep = asyncio.sleep,
    config: SportsOracleConfig | None = None,
) -> SportsOracle:
    """The embedded default: the sports oracle fed by five simulated books, in process."""
    clients = [InProcessProviderClient(provider) for provider in build_demo_providers(clock, seed)]
    return SportsOracle(clients, clock, publish, sleep=sleep, config=config)


# -- odds as each book writes them ------------------------------------------------------------


def american_odds(implied: float) -> int:
    """-150 for 0.6, +150 for 0.4; never inside (-100, +100), never past the cap."""
    if implied >= 0.5:
        odds = -round(100 * implied / (1 - implied))
    else:
        odds = round(100 * (1 - implied) / implied)
    magnitude = min(max(abs(odds), 100), MAX_AMERICAN_ODDS)
    return -magnitude if odds < 0 else magnitude


def decimal_odds(implied: float) -> float:
    """Two decimals, rounded down as books do (it adds margin, never gives it away).

    Returned as a float only for json.dumps, whose shortest repr of a 2-decimal number is
    that number exactly, so a reader parsing with Decimal gets e.g. 2.37 and not 2.36999.
    """
    exact = (Decimal(1) / Decimal(repr(implied))).quantize(Decimal("0.01"), ROUND_FLOOR)
    return float(min(max(exact, MIN_DECIMAL_ODDS), MAX_DECIMAL_ODDS))


def _iso_z(at: datetime, digits: int = 3) -> str:
    text = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    whole, fraction = text.split(".")
    return f"{whole}.{fraction[:digits].ljust(digits, '0')}Z"


def _millis(at: datetime) -> int:
    return (at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def _number_id(event_id: str, modulus: int) -> int:
    return zlib.crc32(event_id.encode()) % modulus


def _line_number(line: Decimal | None) -> float | None:
    return None if line is None else float(line)


def _period_clock(state: GameState) -> tuple[int, int, int]:
    """(period, seconds into it, seconds left in it) for a clocked sport that has started."""
    period = state.clock.period
    elapsed = state.clock.elapsed_seconds or 0
    start, end = period_bounds(state.sport, period)
    return period, elapsed - start, end - elapsed


def _tennis_games_points(state: GameState) -> tuple[tuple[int, int], tuple[int, int], bool]:
    board = state.tennis
    if board is None:
        return (0, 0), (0, 0), False
    return board.games, board.points, board.tiebreak


# -- DraftKings ---------------------------------------------------------------------------------

DK_SPORTS = {Sport.SOCCER: "Soccer", Sport.BASKETBALL: "Basketball", Sport.TENNIS: "Tennis"}
DK_OFFERS = {
    MarketKind.NEXT_GOAL: "Next Goal",
    MarketKind.NEXT_SCORE: "Next Team to Score",
    MarketKind.NEXT_POINT: "Next Point",
    MarketKind.GAME_WINNER: "Current Game",
    MarketKind.TOTAL_GOALS: "Total Goals",
    MarketKind.TOTAL_POINTS: "Total Points",
}
DK_FIXED_LABELS = {
    Outcome.DRAW: "Draw",
    Outcome.NONE: "No Goal",
    Outcome.OVER: "Over",
    Outcome.UNDER: "Under",
}
DK_TENNIS_CALLS = ("0", "15", "30", "40", "A")


def encode_draftkings(content: FeedContent) -> Json:
    return {
        "generatedAt": _iso_z(content.observed_at),
        "events": [
            _dk_event(state, quotes, content.observed_at) for state, quotes in content.events
        ],
        "settlements": [
            {
                "universalId": str(a.universal_id),
                "market": a.market,
                "result": a.outcome.value,
                "settledAt": a.timestamp,
                "signature": base64.b64encode(a.signature).decode(),
            }
            for a in content.attestations
        ],
    }


def _dk_event(state: GameState, quotes: Sequence[QuotedMarket], observed: datetime) -> Json:
    return {
        "eventId": str(_number_id(state.event_id, 10**8)),
        "sportName": DK_SPORTS[state.sport],
        "participants": [
            {"name": state.home, "venueRole": "Home"},
            {"name": state.away, "venueRole": "Away"},
        ],
        "startEventDate": _iso_z(state.start_time, 7),
        "lastUpdated": _iso_z(observed),
        "eventStatus": _dk_status(state),
        "offers": [_dk_offer(state, quote) for quote in quotes],
    }


def _dk_status(state: GameState) -> Json:
    states = {EventStatus.SCHEDULED: "NOT_STARTED", EventStatus.FINISHED: "FINISHED"}
    status: Json = {
        "state": states.get(state.status, "STARTED"),
        "homeTeamScore": str(state.score.home),
        "awayTeamScore": str(state.score.away),
        "isClockRunning": state.clock.running,
    }
    if state.status is not EventStatus.SCHEDULED:
        status["period"] = _dk_period(state)
        if state.sport is not Sport.TENNIS:
            status["clock"] = _dk_clock(state)
    if state.sport is Sport.TENNIS:
        games, points, tiebreak = _tennis_games_points(state)
        shown = (
            (str(points[0]), str(points[1]))
            if tiebreak
            else (
                DK_TENNIS_CALLS[points[0]],
                DK_TENNIS_CALLS[points[1]],
            )
        )
        status["tennis"] = {
            "homeGames": str(games[0]),
            "awayGames": str(games[1]),
            "homePoints": shown[0],
            "awayPoints": shown[1],
            "isTiebreak": tiebreak,
        }
    return status


def _dk_period(state: GameState) -> str:
    period, in_break = state.clock.period, state.status is EventStatus.BREAK
    if state.sport is Sport.TENNIS:
        return f"Set {period}"
    if state.sport is Sport.SOCCER:
        return "Halftime" if in_break else ("1st Half", "2nd Half")[period - 1]
    name = f"Q{period}" if period <= 4 else f"OT{period - 4}"
    if not in_break:
        return name
    return "Halftime" if period == 2 else f"End of {name}"


def _dk_clock(state: GameState) -> str:
    if state.sport is Sport.SOCCER:  # soccer clocks count the whole game up
        shown = state.clock.elapsed_seconds or 0
    else:
        _, _, shown = _period_clock(state)
    minutes, seconds = divmod(shown, 60)
    return f"{minutes:02d}:{seconds:02d}"


def _dk_offer(state: GameState, quote: QuotedMarket) -> Json:
    if quote.kind is MarketKind.MATCH_WINNER:
        label = "Match Result" if state.sport is Sport.SOCCER else "Moneyline"
    else:
        label = DK_OFFERS[quote.kind]
    names = {Outcome.HOME: state.home, Outcome.AWAY: state.away, **DK_FIXED_LABELS}
    return {
        "label": label,
        "line": None if quote.line is None else str(quote.line),
        "isSuspended": quote.suspended,
        "outcomes": [
            {"label": names[outcome], "oddsAmerican": f"{_american(quote, implied):+d}"}
            for outcome, implied in quote.prices
        ],
    }


def _american(quote: QuotedMarket, implied: float) -> int:
    return -50 if quote.corrupt else american_odds(implied)  # -50 is not American odds


def _decimal(quote: QuotedMarket, implied: float) -> float:
    return -1.5 if quote.corrupt else decimal_odds(implied)


# -- FanDuel ------------------------------------------------------------------------------------

FD_EVENT_TYPES = {Sport.SOCCER: 1, Sport.TENNIS: 2, Sport.BASKETBALL: 7522}
FD_STATUSES = {
    EventStatus.SCHEDULED: "NOT_STARTED",
    EventStatus.LIVE: "IN_PLAY",
    EventStatus.BREAK: "BREAK",
    EventStatus.FINISHED: "COMPLETE",
}
FD_MARKET_TYPES = {
    MarketKind.NEXT_GOAL: "NEXT_GOAL",
    MarketKind.NEXT_SCORE: "NEXT_TEAM_TO_SCORE",
    MarketKind.NEXT_POINT: "NEXT_POINT",
    MarketKind.GAME_WINNER: "GAME_WINNER",
    MarketKind.TOTAL_GOALS: "OVER_UNDER",
    MarketKind.TOTAL_POINTS: "OVER_UNDER",
}
FD_RESULTS = {Outcome.NONE: "NO_GOAL"}


def encode_fanduel(content: FeedContent) -> Json:
    events: Json = {}
    markets: Json = {}
    for state, quotes in content.events:
        event_number = _number_id(state.event_id, 10**8)
        events[str(event_number)] = _fd_event(state, event_number, content.observed_at)
        for position, quote in enumerate(quotes):
            market_number = f"1.{event_number}{position:02d}"
            markets[market_number] = _fd_market(state, quote, event_number, market_number)
    return {
        "timestamp": _millis(content.observed_at),
        "attachments": {"events": events, "markets": markets},
        "attestations": [
            {
                "uid": str(a.universal_id),
                "marketType": a.market,
                "result": a.outcome.value,
                "ts": a.timestamp,
                "sig": a.signature.hex(),
            }
            for a in content.attestations
        ],
    }


def _fd_event(state: GameState, event_number: int, observed: datetime) -> Json:
    games, points, _ = _tennis_games_points(state)
    return {
        "eventId": event_number,
        "eventTypeId": FD_EVENT_TYPES[state.sport],
        "name": f"{state.home} v {state.away}",
        "openDate": _iso_z(state.start_time),
        "updatedAt": _millis(observed),
        "state": {
            "status": FD_STATUSES[state.status],
            "period": state.clock.period,
            "elapsedSeconds": state.clock.elapsed_seconds,
            "clockRunning": state.clock.running,
            "score": {"home": state.score.home, "away": state.score.away},
            "tennis": {"games": list(games), "points": list(points)},
        },
    }


def _fd_market(state: GameState, quote: QuotedMarket, event_number: int, number: str) -> Json:
    if quote.kind is MarketKind.MATCH_WINNER:
        market_type = "MATCH_ODDS" if state.sport is Sport.SOCCER else "MONEY_LINE"
    else:
        market_type = FD_MARKET_TYPES[quote.kind]
    names = {Outcome.HOME: state.home, Outcome.AWAY: state.away}
    market: Json = {
        "marketId": number,
        "eventId": event_number,
        "marketType": market_type,
        "marketStatus": "SUSPENDED" if quote.suspended else "OPEN",
        "runners": [
            {
                "runnerName": names.get(outcome, outcome.value.title()),
                "result": {"type": FD_RESULTS.get(outcome, outcome.value)},
                "winRunnerOdds": {
                    "americanDisplayOdds": {"americanOdds": _american(quote, implied)}
                },
            }
            for outcome, implied in quote.prices
        ],
    }
    if quote.line is not None:
        market["handicap"] = _line_number(quote.line)
    return market


# -- BetMGM -------------------------------------------------------------------------------------

MGM_SPORTS = {
    Sport.SOCCER: (4, "Football"),
    Sport.BASKETBALL: (7, "Basketball"),
    Sport.TENNIS: (5, "Tennis"),
}
MGM_STAGES = {
    EventStatus.SCHEDULED: "PreMatch",
    EventStatus.LIVE: "Live",
    EventStatus.BREAK: "Interval",
    EventStatus.FINISHED: "Finished",
}
MGM_TEMPLATES = {
    MarketKind.NEXT_GOAL: "NEXT_GOAL",
    MarketKind.NEXT_SCORE: "NEXT_TEAM_TO_SCORE",
    MarketKind.NEXT_POINT: "NEXT_POINT",
    MarketKind.GAME_WINNER: "GAME_WINNER",
    MarketKind.TOTAL_GOALS: "TOTALS",
    MarketKind.TOTAL_POINTS: "TOTALS",
}
MGM_OPTIONS = {
    Outcome.HOME: "1",
    Outcome.DRAW: "X",
    Outcome.AWAY: "2",
    Outcome.NONE: "None",
    Outcome.OVER: "Over",
    Outcome.UNDER: "Under",
}


def encode_betmgm(content: FeedContent) -> Json:
    return {
        "fixtures": [
            _mgm_fixture(state, quotes, content.observed_at) for state, quotes in content.events
        ],
        "resultAttestations": [
            {
                "universalId": str(a.universal_id),
                "market": a.market,
                "winningOption": a.outcome.value,
                "timestamp": a.timestamp,
                "signature": base64.urlsafe_b64encode(a.signature).decode().rstrip("="),
            }
            for a in content.attestations
        ],
    }


def _mgm_fixture(state: GameState, quotes: Sequence[QuotedMarket], observed: datetime) -> Json:
    sport_id, sport_name = MGM_SPORTS[state.sport]
    event_number = _number_id(state.event_id, 10**7)
    return {
        "id": f"2:{event_number}",
        "sport": {"id": sport_id, "name": {"value": sport_name}},
        "participants": [
            {"name": {"value": state.home}, "properties": {"type": "HomeTeam"}},
            {"name": {"value": state.away}, "properties": {"type": "AwayTeam"}},
        ],
        "startDate": state.start_time.astimezone(UTC).isoformat(),
        "stage": MGM_STAGES[state.status],
        "scoreboard": _mgm_scoreboard(state),
        "lastUpdate": observed.astimezone(UTC).isoformat(),
        "optionMarkets": [
            _mgm_market(state, quote, event_number * 10 + position)
            for position, quote in enumerate(quotes)
        ],
    }


def _mgm_scoreboard(state: GameState) -> Json:
    started = state.status is not EventStatus.SCHEDULED
    into_period = 0
    if started and state.sport is not Sport.TENNIS:
        _, into_period, _ = _period_clock(state)
    scoreboard: Json = {
        "period": {"index": state.clock.period},
        "timer": {"seconds": into_period, "running": state.clock.running},
        "score": f"{state.score.home}:{state.score.away}",
    }
    if state.sport is Sport.TENNIS:
        games, points, _ = _tennis_games_points(state)
        scoreboard["tennis"] = {
            "games": f"{games[0]}:{games[1]}",
            "points": f"{points[0]}:{points[1]}",
        }
    return scoreboard


def _mgm_market(state: GameState, quote: QuotedMarket, number: int) -> Json:
    if quote.kind is MarketKind.MATCH_WINNER:
        template = "MATCH_RESULT" if state.sport is Sport.SOCCER else "MONEYLINE"
    else:
        template = MGM_TEMPLATES[quote.kind]
    market: Json = {
        "id": number,
        "templateCategory": template,
        "status": "Suspended" if quote.suspended else "Visible",
        "options": [
            {"sourceName": MGM_OPTIONS[outcome], "price": {"odds": _decimal(quote, implied)}}
            for outcome, implied in quote.prices
        ],
    }
    if quote.line is not None:
        market["attr"] = str(quote.line)
    return market


# -- Caesars ------------------------------------------------------------------------------------

CAESARS_STATES = {
    EventStatus.SCHEDULED: "PRE",
    EventStatus.LIVE: "IN_PROGRESS",
    EventStatus.BREAK: "BREAK",
    EventStatus.FINISHED: "CLOSED",
}
CAESARS_TYPES = {
    MarketKind.MATCH_WINNER: "MONEYLINE",
    MarketKind.NEXT_GOAL: "NEXT_GOAL",
    MarketKind.NEXT_SCORE: "NEXT_TEAM_TO_SCORE",
    MarketKind.NEXT_POINT: "NEXT_POINT",
    MarketKind.GAME_WINNER: "GAME_WINNER",
    MarketKind.TOTAL_GOALS: "TOTAL",
    MarketKind.TOTAL_POINTS: "TOTAL",
}
CAESARS_EVENT_NAMESPACE = uuid.UUID("6f1c2d1e-5b7a-4e0f-9a51-3c2b8e9d7a10")


def encode_caesars(content: FeedContent) -> Json:
    by_sport: dict[Sport, list[Json]] = {}
    for state, quotes in content.events:
        by_sport.setdefault(state.sport, []).append(
            _caesars_event(state, quotes, content.observed_at)
        )
    return {
        "competitions": [
            {"sport": sport.value.lower(), "events": events} for sport, events in by_sport.items()
        ],
        "attestations": [
            {
                "universalId": str(a.universal_id),
                "market": a.market,
                "outcome": a.outcome.value,
                "timestamp": a.timestamp,
                "signature": a.signature.hex(),
            }
            for a in content.attestations
        ],
    }


def _caesars_event(state: GameState, quotes: Sequence[QuotedMarket], observed: datetime) -> Json:
    event: Json = {
        "id": str(uuid.uuid5(CAESARS_EVENT_NAMESPACE, state.event_id)),
        "homeTeam": state.home,
        "awayTeam": state.away,
        "startTime": state.start_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "state": CAESARS_STATES[state.status],
        "clock": {
            "period": state.clock.period,
            "remainingSeconds": state.clock.remaining_seconds,
            "running": state.clock.running,
        },
        "scores": {"home": state.score.home, "away": state.score.away},
        "lastUpdated": int(observed.timestamp()),
        "markets": [_caesars_market(quote, position) for position, quote in enumerate(quotes)],
    }
    if state.sport is Sport.TENNIS:
        games, points, _ = _tennis_games_points(state)
        event["tennisScore"] = {
            "homeGames": games[0],
            "awayGames": games[1],
            "homePoints": points[0],
            "awayPoints": points[1],
        }
    return event


def _caesars_market(quote: QuotedMarket, position: int) -> Json:
    return {
        "id": f"m{position}",
        "type": CAESARS_TYPES[quote.kind],
        "line": _line_number(quote.line),
        "active": not quote.suspended,
        "selections": [
            {"type": outcome.value.lower(), "price": {"a": _american(quote, implied)}}
            for outcome, implied in quote.prices
        ],
    }


# -- PointsBet ----------------------------------------------------------------------------------

POINTSBET_SPORTS = {Sport.SOCCER: "SOC", Sport.BASKETBALL: "BAS", Sport.TENNIS: "TEN"}
POINTSBET_STATUSES = {
    EventStatus.SCHEDULED: "Upcoming",
    EventStatus.LIVE: "Live",
    EventStatus.BREAK: "Intermission",
    EventStatus.FINISHED: "Resulted",
}
POINTSBET_CLASSES = {
    MarketKind.NEXT_GOAL: "Next Goal",
    MarketKind.NEXT_SCORE: "Next Team To Score",
    MarketKind.NEXT_POINT: "Next Point",
    MarketKind.GAME_WINNER: "Game Winner",
}


def encode_pointsbet(content: FeedContent) -> Json:
    return {
        "events": [
            _pointsbet_event(state, quotes, content.observed_at) for state, quotes in content.events
        ],
        "signedResults": [
            {
                "uid": str(a.universal_id),
                "market": a.market,
                "outcome": a.outcome.value,
                "ts": a.timestamp,
                "signature": base64.b64encode(a.signature).decode(),
            }
            for a in content.attestations
        ],
    }


def _pointsbet_event(state: GameState, quotes: Sequence[QuotedMarket], observed: datetime) -> Json:
    games, points, _ = _tennis_games_points(state)
    remaining_in_period = None
    if state.status is not EventStatus.SCHEDULED and state.sport is not Sport.TENNIS:
        _, _, remaining_in_period = _period_clock(state)
    return {
        "key": str(600_000 + _number_id(state.event_id, 10**6)),
        "sportKey": POINTSBET_SPORTS[state.sport],
        "homeTeam": state.home,
        "awayTeam": state.away,
        "startsAt": state.start_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventStatus": POINTSBET_STATUSES[state.status],
        "gameClock": {
            "periodNumber": state.clock.period,
            "secondsRemainingInPeriod": remaining_in_period,
            "isRunning": state.clock.running,
        },
        "scores": [
            {"side": "Home", "value": state.score.home, "games": games[0], "points": points[0]},
            {"side": "Away", "value": state.score.away, "games": games[1], "points": points[1]},
        ],
        "lastUpdatedMs": _millis(observed),
        "fixedOddsMarkets": [_pointsbet_market(state, quote) for quote in quotes],
    }


def _pointsbet_market(state: GameState, quote: QuotedMarket) -> Json:
    if quote.kind is MarketKind.MATCH_WINNER:
        event_class = "Match Result" if state.sport is Sport.SOCCER else "Head to Head"
    elif quote.kind is MarketKind.TOTAL_GOALS:
        event_class = f"Total Goals Over/Under {quote.line}"
    elif quote.kind is MarketKind.TOTAL_POINTS:
        event_class = f"Total Points Over/Under {quote.line}"
    else:
        event_class = POINTSBET_CLASSES[quote.kind]
    return {
        "eventClass": event_class,
        "isOpenForBetting": not quote.suspended,
        "outcomes": [
            {"side": outcome.value.title(), "price": _decimal(quote, implied)}
            for outcome, implied in quote.prices
        ],
    }


ENCODERS: dict[ProviderName, Callable[[FeedContent], Json]] = {
    ProviderName.DRAFTKINGS: encode_draftkings,
    ProviderName.FANDUEL: encode_fanduel,
    ProviderName.BETMGM: encode_betmgm,
    ProviderName.CAESARS: encode_caesars,
    ProviderName.POINTSBET: encode_pointsbet,
}
