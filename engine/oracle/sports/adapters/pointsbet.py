"""PointsBet live feed (shaped after its public JSON): decimal odds, lines inside market names."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from engine.oracle.sports.adapters.base import (
    EventHeader,
    FeedCollector,
    Json,
    ParsedFeed,
    boolean,
    build_snapshot,
    epoch_millis,
    event_header,
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
from engine.oracle.sports.odds import decimal_to_probability, parse_decimal_odds
from engine.oracle.sports.rules import clock_from_period_remaining, pre_game_clock, tennis_clock

FEED_PATH = "/api/v2/live/events"

SPORTS = {"SOC": Sport.SOCCER, "BAS": Sport.BASKETBALL, "TEN": Sport.TENNIS}
STATUSES = {
    "Upcoming": EventStatus.SCHEDULED,
    "Live": EventStatus.LIVE,
    "Intermission": EventStatus.BREAK,
    "Resulted": EventStatus.FINISHED,
}
EVENT_CLASSES = {
    "Match Result": MarketKind.MATCH_WINNER,
    "Head to Head": MarketKind.MATCH_WINNER,
    "Next Goal": MarketKind.NEXT_GOAL,
    "Next Team To Score": MarketKind.NEXT_SCORE,
    "Next Point": MarketKind.NEXT_POINT,
    "Game Winner": MarketKind.GAME_WINNER,
}
TOTALS_CLASS = re.compile(r"Total (Goals|Points) Over/Under (\d{1,3}\.5)")
TOTALS_KIND = {"Goals": MarketKind.TOTAL_GOALS, "Points": MarketKind.TOTAL_POINTS}
SIDES = {
    "Home": Outcome.HOME,
    "Draw": Outcome.DRAW,
    "Away": Outcome.AWAY,
    "None": Outcome.NONE,
    "Over": Outcome.OVER,
    "Under": Outcome.UNDER,
}


class PointsBetAdapter:
    provider = ProviderName.POINTSBET
    feed_path = FEED_PATH

    def parse_feed(self, document: object, received_at: datetime) -> ParsedFeed:
        root = mapping(document, "feed")
        feed = FeedCollector(self.provider, received_at)
        events = items(member(root, "events"), "events")
        feed.snapshots += feed.each("event", events, lambda raw: self._event(raw, feed))
        results = items(root.get("signedResults", []), "signedResults")
        feed.attestations += feed.each(
            "signedResult", results, lambda raw: self._attestation(raw, received_at)
        )
        return feed.result()

    def _event(self, raw: Json, feed: FeedCollector) -> ProviderEventSnapshot:
        sport_key = text(raw, "sportKey")
        sport = SPORTS.get(sport_key)
        if sport is None:
            raise UnknownSport(f"unknown sportKey {sport_key!r}")
        header = event_header(
            self.provider,
            sport,
            identifier(raw, "key"),
            text(raw, "homeTeam"),
            text(raw, "awayTeam"),
            iso_time(member(raw, "startsAt"), "startsAt"),
            epoch_millis(member(raw, "lastUpdatedMs"), "lastUpdatedMs"),
            feed.received_at,
        )
        status = lookup(STATUSES, text(raw, "eventStatus"), "eventStatus")
        clock = _clock(sport, status, raw)
        score = _score(sport, raw)
        markets = feed.each(
            "market",
            items(member(raw, "fixedOddsMarkets"), "fixedOddsMarkets"),
            lambda market: _market(header, market),
        )
        unique = unique_markets(markets, feed, header.provider_event_id)
        return build_snapshot(header, status, clock, score, unique, feed.received_at)

    def _attestation(self, raw: Json, received_at: datetime) -> OutcomeAttestation:
        return parse_attestation(
            self.provider,
            text(raw, "uid"),
            text(raw, "market"),
            text(raw, "outcome"),
            integer(raw, "ts", 0, 10**11),
            signature_bytes(member(raw, "signature"), "base64"),
            received_at,
        )


def _clock(sport: Sport, status: EventStatus, raw: Json) -> GameClock:
    if status is EventStatus.SCHEDULED:
        return pre_game_clock(sport)
    clock = mapping(member(raw, "gameClock"), "gameClock")
    period = integer(clock, "periodNumber", 1, 20)
    running = boolean(clock, "isRunning")
    if sport is Sport.TENNIS:
        return tennis_clock(period, running)
    remaining = integer(clock, "secondsRemainingInPeriod", 0, 10**5)
    return clock_from_period_remaining(sport, period, remaining, running)


def _score(sport: Sport, raw: Json) -> Score:
    sides: dict[str, Json] = {}
    for entry in items(member(raw, "scores"), "scores", limit=2):
        side = mapping(entry, "score")
        sides[text(side, "side")] = side
    if set(sides) != {"Home", "Away"}:
        raise MalformedSportsPayload("scores must be one Home and one Away")
    home, away = sides["Home"], sides["Away"]
    score = (integer(home, "value", 0, 10_000), integer(away, "value", 0, 10_000))
    if sport is not Sport.TENNIS:
        return Score(*score)
    games = (integer(home, "games", 0, 100), integer(away, "games", 0, 100))
    points = (integer(home, "points", 0, 100), integer(away, "points", 0, 100))
    return tennis_score(score, games, points)


def _market(header: EventHeader, raw: Json) -> ProviderMarket:
    event_class = text(raw, "eventClass")
    totals = TOTALS_CLASS.fullmatch(event_class)
    if totals is not None:
        kind = TOTALS_KIND[totals.group(1)]
        market = market_key(header.sport, kind, Decimal(totals.group(2)))
    else:
        market = market_key(header.sport, lookup(EVENT_CLASSES, event_class, "eventClass"), None)
    prices = [
        _price(mapping(outcome, "outcome"))
        for outcome in items(member(raw, "outcomes"), "outcomes", 10)
    ]
    return quoted_market(header.sport, market, prices, not boolean(raw, "isOpenForBetting"))


def _price(raw: Json) -> tuple[Outcome, Fraction]:
    outcome = lookup(SIDES, text(raw, "side"), "side")
    return outcome, decimal_to_probability(parse_decimal_odds(member(raw, "price")))
