"""FanDuel live feed (shaped after its sbapi JSON): id-keyed attachments, American odds numbers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from fractions import Fraction

from engine.oracle.sports.adapters.base import (
    EventHeader,
    FeedCollector,
    Json,
    ParsedFeed,
    boolean,
    bounded_integer,
    build_snapshot,
    epoch_millis,
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
from engine.oracle.sports.rules import clock_at_elapsed, pre_game_clock, tennis_clock

FEED_PATH = "/sbapi/live-events"

# Betfair event type ids, which FanDuel kept.
EVENT_TYPES = {1: Sport.SOCCER, 2: Sport.TENNIS, 7522: Sport.BASKETBALL}
STATUSES = {
    "NOT_STARTED": EventStatus.SCHEDULED,
    "IN_PLAY": EventStatus.LIVE,
    "BREAK": EventStatus.BREAK,
    "COMPLETE": EventStatus.FINISHED,
}
MARKET_TYPES = {
    "MATCH_ODDS": MarketKind.MATCH_WINNER,
    "MONEY_LINE": MarketKind.MATCH_WINNER,
    "NEXT_GOAL": MarketKind.NEXT_GOAL,
    "NEXT_TEAM_TO_SCORE": MarketKind.NEXT_SCORE,
    "NEXT_POINT": MarketKind.NEXT_POINT,
    "GAME_WINNER": MarketKind.GAME_WINNER,
}
TOTALS_MARKET = "OVER_UNDER"
TOTALS_KIND = {Sport.SOCCER: MarketKind.TOTAL_GOALS, Sport.BASKETBALL: MarketKind.TOTAL_POINTS}
RESULT_TYPES = {
    "HOME": Outcome.HOME,
    "DRAW": Outcome.DRAW,
    "AWAY": Outcome.AWAY,
    "NO_GOAL": Outcome.NONE,
    "OVER": Outcome.OVER,
    "UNDER": Outcome.UNDER,
}
EVENT_NAME_SEPARATOR = " v "


class FanDuelAdapter:
    provider = ProviderName.FANDUEL
    feed_path = FEED_PATH

    def parse_feed(self, document: object, received_at: datetime) -> ParsedFeed:
        root = mapping(document, "feed")
        feed = FeedCollector(self.provider, received_at)
        attachments = mapping(member(root, "attachments"), "attachments")
        events = mapping(member(attachments, "events"), "events")
        markets = _markets_by_event(mapping(member(attachments, "markets"), "markets"), feed)
        feed.snapshots += feed.each(
            "event",
            items(list(events.values()), "events"),
            lambda raw: self._event(raw, markets, feed),
        )
        attestations = items(root.get("attestations", []), "attestations")
        feed.attestations += feed.each(
            "attestation", attestations, lambda raw: self._attestation(raw, received_at)
        )
        return feed.result()

    def _event(
        self, raw: Json, markets: Mapping[str, list[Json]], feed: FeedCollector
    ) -> ProviderEventSnapshot:
        sport = EVENT_TYPES.get(integer(raw, "eventTypeId", 0, 10**9))
        if sport is None:
            raise UnknownSport(f"unknown eventTypeId {raw.get('eventTypeId')!r}")
        home, away = _teams(text(raw, "name"))
        event_id = identifier(raw, "eventId")
        header = event_header(
            self.provider,
            sport,
            event_id,
            home,
            away,
            iso_time(member(raw, "openDate"), "openDate"),
            epoch_millis(member(raw, "updatedAt"), "updatedAt"),
            feed.received_at,
        )
        state = mapping(member(raw, "state"), "state")
        status = lookup(STATUSES, text(state, "status"), "status")
        clock = _clock(sport, status, state)
        score = _score(sport, state)
        quoted = feed.each(
            "market", markets.get(event_id, []), lambda market: _market(header, market)
        )
        unique = unique_markets(quoted, feed, event_id)
        return build_snapshot(header, status, clock, score, unique, feed.received_at)

    def _attestation(self, raw: Json, received_at: datetime) -> OutcomeAttestation:
        return parse_attestation(
            self.provider,
            text(raw, "uid"),
            text(raw, "marketType"),
            text(raw, "result"),
            integer(raw, "ts", 0, 10**11),
            signature_bytes(member(raw, "sig"), "hex"),
            received_at,
        )


def _markets_by_event(markets: Json, feed: FeedCollector) -> dict[str, list[Json]]:
    grouped: dict[str, list[Json]] = {}
    for market_id, value in markets.items():
        try:
            market = mapping(value, "market")
            grouped.setdefault(identifier(market, "eventId"), []).append(market)
        except MalformedSportsPayload as error:
            feed.reject(error, f"market:{market_id}")
    return grouped


def _teams(name: str) -> tuple[str, str]:
    parts = name.split(EVENT_NAME_SEPARATOR)
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        raise MalformedSportsPayload(f"event name {name!r} is not 'Home v Away'")
    return parts[0].strip(), parts[1].strip()


def _clock(sport: Sport, status: EventStatus, state: Json) -> GameClock:
    if status is EventStatus.SCHEDULED:
        return pre_game_clock(sport)
    period = integer(state, "period", 1, 20)
    running = boolean(state, "clockRunning")
    if sport is Sport.TENNIS:
        return tennis_clock(period, running)
    return clock_at_elapsed(sport, period, integer(state, "elapsedSeconds", 0, 10**6), running)


def _score(sport: Sport, state: Json) -> Score:
    score = mapping(member(state, "score"), "score")
    home, away = integer(score, "home", 0, 10_000), integer(score, "away", 0, 10_000)
    if sport is not Sport.TENNIS:
        return Score(home, away)
    tennis = mapping(member(state, "tennis"), "tennis")
    return tennis_score((home, away), _pair(tennis, "games"), _pair(tennis, "points"))


def _pair(raw: Json, key: str) -> tuple[int, int]:
    values = items(member(raw, key), key, limit=2)
    if len(values) != 2:
        raise MalformedSportsPayload(f"{key!r} must be [home, away]")
    return bounded_integer(values[0], key, 0, 100), bounded_integer(values[1], key, 0, 100)


def _market(header: EventHeader, raw: Json) -> ProviderMarket:
    market_type = text(raw, "marketType")
    if market_type == TOTALS_MARKET:
        kind = TOTALS_KIND.get(header.sport)
        if kind is None:
            raise MalformedSportsPayload(f"no totals market in {header.sport}")
        market = market_key(header.sport, kind, exact_decimal(member(raw, "handicap"), "handicap"))
    else:
        market = market_key(header.sport, lookup(MARKET_TYPES, market_type, "marketType"), None)
    prices = [
        _price(mapping(runner, "runner")) for runner in items(member(raw, "runners"), "runners", 10)
    ]
    suspended = lookup({"OPEN": False, "SUSPENDED": True}, text(raw, "marketStatus"), "status")
    return quoted_market(header.sport, market, prices, suspended)


def _price(runner: Json) -> tuple[Outcome, Fraction]:
    result = mapping(member(runner, "result"), "result")
    outcome = lookup(RESULT_TYPES, text(result, "type"), "runner result")
    odds = mapping(member(runner, "winRunnerOdds"), "winRunnerOdds")
    american = mapping(member(odds, "americanDisplayOdds"), "americanDisplayOdds")
    return outcome, american_to_probability(parse_american(member(american, "americanOdds")))
