"""Caesars live feed (shaped after its public JSON): American `price.a`, a game countdown clock."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction

from engine.oracle.sports.adapters.base import (
    EventHeader,
    FeedCollector,
    Json,
    ParsedFeed,
    boolean,
    build_snapshot,
    epoch_seconds,
    event_header,
    exact_decimal,
    identifier,
    integer,
    iso_time,
    items,
    lookup,
    mapping,
    market_key,
    member,
    parse_attestation,
    quoted_market,
    signature_bytes,
    tennis_score,
    text,
    unique_markets,
)
from engine.oracle.sports.attestation import OutcomeAttestation
from engine.oracle.sports.model import (
    EventStatus,
    GameClock,
    MalformedSportsPayload,
    MarketKind,
    Outcome,
    ProviderEventSnapshot,
    ProviderMarket,
    ProviderName,
    Score,
    Sport,
    UnknownSport,
)
from engine.oracle.sports.odds import american_to_probability, parse_american
from engine.oracle.sports.rules import clock_from_game_remaining, pre_game_clock, tennis_clock

FEED_PATH = "/api/v3/live/events"

SPORTS = {"soccer": Sport.SOCCER, "basketball": Sport.BASKETBALL, "tennis": Sport.TENNIS}
STATES = {
    "PRE": EventStatus.SCHEDULED,
    "IN_PROGRESS": EventStatus.LIVE,
    "BREAK": EventStatus.BREAK,
    "CLOSED": EventStatus.FINISHED,
}
MARKET_TYPES = {
    "MONEYLINE": MarketKind.MATCH_WINNER,
    "NEXT_GOAL": MarketKind.NEXT_GOAL,
    "NEXT_TEAM_TO_SCORE": MarketKind.NEXT_SCORE,
    "NEXT_POINT": MarketKind.NEXT_POINT,
    "GAME_WINNER": MarketKind.GAME_WINNER,
}
TOTALS_TYPE = "TOTAL"
TOTALS_KIND = {Sport.SOCCER: MarketKind.TOTAL_GOALS, Sport.BASKETBALL: MarketKind.TOTAL_POINTS}
SELECTION_TYPES = {
    "home": Outcome.HOME,
    "draw": Outcome.DRAW,
    "away": Outcome.AWAY,
    "none": Outcome.NONE,
    "over": Outcome.OVER,
    "under": Outcome.UNDER,
}
MAX_COMPETITIONS = 500


class CaesarsAdapter:
    provider = ProviderName.CAESARS
    feed_path = FEED_PATH

    def parse_feed(self, document: object, received_at: datetime) -> ParsedFeed:
        root = mapping(document, "feed")
        feed = FeedCollector(self.provider, received_at)
        for position, value in enumerate(
            items(member(root, "competitions"), "competitions", MAX_COMPETITIONS)
        ):
            self._competition(mapping(value, f"competitions[{position}]"), feed)
        attestations = items(root.get("attestations", []), "attestations")
        feed.attestations += feed.each(
            "attestation", attestations, lambda raw: self._attestation(raw, received_at)
        )
        return feed.result()

    def _competition(self, raw: Json, feed: FeedCollector) -> None:
        """A competition of an unknown sport loses its events, not the rest of the feed."""
        events = items(member(raw, "events"), "events")
        sport_key = raw.get("sport")
        sport = SPORTS.get(sport_key) if isinstance(sport_key, str) else None
        if sport is None:
            for position in range(len(events)):
                feed.reject(UnknownSport(f"unknown sport {sport_key!r}"), f"event[{position}]")
            return
        feed.snapshots += feed.each("event", events, lambda event: self._event(sport, event, feed))

    def _event(self, sport: Sport, raw: Json, feed: FeedCollector) -> ProviderEventSnapshot:
        header = event_header(
            self.provider,
            sport,
            identifier(raw, "id"),
            text(raw, "homeTeam"),
            text(raw, "awayTeam"),
            iso_time(member(raw, "startTime"), "startTime"),
            epoch_seconds(member(raw, "lastUpdated"), "lastUpdated"),
            feed.received_at,
        )
        status = lookup(STATES, text(raw, "state"), "state")
        clock = _clock(sport, status, raw)
        score = _score(sport, raw)
        markets = feed.each(
            "market", items(member(raw, "markets"), "markets"), lambda m: _market(header, m)
        )
        unique = unique_markets(markets, feed, header.provider_event_id)
        return build_snapshot(header, status, clock, score, unique, feed.received_at)

    def _attestation(self, raw: Json, received_at: datetime) -> OutcomeAttestation:
        return parse_attestation(
            self.provider,
            text(raw, "universalId"),
            text(raw, "market"),
            text(raw, "outcome"),
            integer(raw, "timestamp", 0, 10**11),
            signature_bytes(member(raw, "signature"), "hex"),
            received_at,
        )


def _clock(sport: Sport, status: EventStatus, raw: Json) -> GameClock:
    if status is EventStatus.SCHEDULED:
        return pre_game_clock(sport)
    clock = mapping(member(raw, "clock"), "clock")
    period = integer(clock, "period", 1, 20)
    running = boolean(clock, "running")
    if sport is Sport.TENNIS:
        return tennis_clock(period, running)
    remaining = integer(clock, "remainingSeconds", 0, 10**5)
    return clock_from_game_remaining(sport, period, remaining, running)


def _score(sport: Sport, raw: Json) -> Score:
    scores = mapping(member(raw, "scores"), "scores")
    home, away = integer(scores, "home", 0, 10_000), integer(scores, "away", 0, 10_000)
    if sport is not Sport.TENNIS:
        return Score(home, away)
    tennis = mapping(member(raw, "tennisScore"), "tennisScore")
    return tennis_score(
        (home, away),
        (integer(tennis, "homeGames", 0, 100), integer(tennis, "awayGames", 0, 100)),
        (integer(tennis, "homePoints", 0, 100), integer(tennis, "awayPoints", 0, 100)),
    )


def _market(header: EventHeader, raw: Json) -> ProviderMarket:
    market_type = text(raw, "type")
    if market_type == TOTALS_TYPE:
        kind = TOTALS_KIND.get(header.sport)
        if kind is None:
            raise MalformedSportsPayload(f"no totals market in {header.sport}")
        market = market_key(header.sport, kind, exact_decimal(member(raw, "line"), "line"))
    else:
        market = market_key(header.sport, lookup(MARKET_TYPES, market_type, "market type"), None)
    prices = [
        _price(mapping(selection, "selection"))
        for selection in items(member(raw, "selections"), "selections", 10)
    ]
    return quoted_market(header.sport, market, prices, not boolean(raw, "active"))


def _price(selection: Json) -> tuple[Outcome, Fraction]:
    outcome = lookup(SELECTION_TYPES, text(selection, "type"), "selection type")
    price = mapping(member(selection, "price"), "price")
    return outcome, american_to_probability(parse_american(member(price, "a")))
