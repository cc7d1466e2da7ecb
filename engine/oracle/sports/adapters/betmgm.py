"""BetMGM live feed (shaped after its cds-api JSON): decimal odds, "1 X 2" options, "1:0" scores."""

from __future__ import annotations

import re
from datetime import datetime
from fractions import Fraction

from engine.oracle.sports.adapters.base import (
    EventHeader,
    FeedCollector,
    Json,
    ParsedFeed,
    boolean,
    build_snapshot,
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
from engine.oracle.sports.odds import decimal_to_probability, parse_decimal_odds
from engine.oracle.sports.rules import clock_in_period, pre_game_clock, tennis_clock

FEED_PATH = "/cds-api/bettingoffer/fixtures"

SPORTS = {"Football": Sport.SOCCER, "Basketball": Sport.BASKETBALL, "Tennis": Sport.TENNIS}
STAGES = {
    "PreMatch": EventStatus.SCHEDULED,
    "Live": EventStatus.LIVE,
    "Interval": EventStatus.BREAK,
    "Finished": EventStatus.FINISHED,
}
TEMPLATES = {
    "MATCH_RESULT": MarketKind.MATCH_WINNER,
    "MONEYLINE": MarketKind.MATCH_WINNER,
    "NEXT_GOAL": MarketKind.NEXT_GOAL,
    "NEXT_TEAM_TO_SCORE": MarketKind.NEXT_SCORE,
    "NEXT_POINT": MarketKind.NEXT_POINT,
    "GAME_WINNER": MarketKind.GAME_WINNER,
}
TOTALS_TEMPLATE = "TOTALS"
TOTALS_KIND = {Sport.SOCCER: MarketKind.TOTAL_GOALS, Sport.BASKETBALL: MarketKind.TOTAL_POINTS}
OPTION_NAMES = {
    "1": Outcome.HOME,
    "X": Outcome.DRAW,
    "2": Outcome.AWAY,
    "None": Outcome.NONE,
    "Over": Outcome.OVER,
    "Under": Outcome.UNDER,
}
VISIBILITY = {"Visible": False, "Suspended": True}
PAIR_TEXT = re.compile(r"(\d{1,4}):(\d{1,4})")


class BetMgmAdapter:
    provider = ProviderName.BETMGM
    feed_path = FEED_PATH

    def parse_feed(self, document: object, received_at: datetime) -> ParsedFeed:
        root = mapping(document, "feed")
        feed = FeedCollector(self.provider, received_at)
        fixtures = items(member(root, "fixtures"), "fixtures")
        feed.snapshots += feed.each("fixture", fixtures, lambda raw: self._fixture(raw, feed))
        attestations = items(root.get("resultAttestations", []), "resultAttestations")
        feed.attestations += feed.each(
            "attestation", attestations, lambda raw: self._attestation(raw, received_at)
        )
        return feed.result()

    def _fixture(self, raw: Json, feed: FeedCollector) -> ProviderEventSnapshot:
        sport_name = _localised(mapping(member(raw, "sport"), "sport"))
        sport = SPORTS.get(sport_name)
        if sport is None:
            raise UnknownSport(f"unknown sport {sport_name!r}")
        home, away = _participants(raw)
        header = event_header(
            self.provider,
            sport,
            identifier(raw, "id"),
            home,
            away,
            iso_time(member(raw, "startDate"), "startDate"),
            iso_time(member(raw, "lastUpdate"), "lastUpdate"),
            feed.received_at,
        )
        status = lookup(STAGES, text(raw, "stage"), "stage")
        scoreboard = mapping(member(raw, "scoreboard"), "scoreboard")
        clock = _clock(sport, status, scoreboard)
        score = _score(sport, scoreboard)
        options = items(member(raw, "optionMarkets"), "optionMarkets")
        markets = feed.each("optionMarket", options, lambda market: _market(header, market))
        unique = unique_markets(markets, feed, header.provider_event_id)
        return build_snapshot(header, status, clock, score, unique, feed.received_at)

    def _attestation(self, raw: Json, received_at: datetime) -> OutcomeAttestation:
        return parse_attestation(
            self.provider,
            text(raw, "universalId"),
            text(raw, "market"),
            text(raw, "winningOption"),
            integer(raw, "timestamp", 0, 10**11),
            signature_bytes(member(raw, "signature"), "base64url"),
            received_at,
        )


def _localised(raw: Json) -> str:
    return text(mapping(member(raw, "name"), "name"), "value")


def _participants(raw: Json) -> tuple[str, str]:
    roles: dict[str, str] = {}
    for entry in items(member(raw, "participants"), "participants", limit=2):
        participant = mapping(entry, "participant")
        role = text(mapping(member(participant, "properties"), "properties"), "type")
        roles[role] = _localised(participant)
    if set(roles) != {"HomeTeam", "AwayTeam"}:
        raise MalformedSportsPayload("participants must be one HomeTeam and one AwayTeam")
    return roles["HomeTeam"], roles["AwayTeam"]


def _clock(sport: Sport, status: EventStatus, scoreboard: Json) -> GameClock:
    if status is EventStatus.SCHEDULED:
        return pre_game_clock(sport)
    period = integer(mapping(member(scoreboard, "period"), "period"), "index", 1, 20)
    timer = mapping(member(scoreboard, "timer"), "timer")
    running = boolean(timer, "running")
    if sport is Sport.TENNIS:
        return tennis_clock(period, running)
    return clock_in_period(sport, period, integer(timer, "seconds", 0, 10**5), running)


def _score(sport: Sport, scoreboard: Json) -> Score:
    home, away = _pair(text(scoreboard, "score"))
    if sport is not Sport.TENNIS:
        return Score(home, away)
    tennis = mapping(member(scoreboard, "tennis"), "tennis")
    return tennis_score((home, away), _pair(text(tennis, "games")), _pair(text(tennis, "points")))


def _pair(shown: str) -> tuple[int, int]:
    match = PAIR_TEXT.fullmatch(shown)
    if match is None:
        raise MalformedSportsPayload(f"{shown!r} is not 'home:away'")
    return int(match.group(1)), int(match.group(2))


def _market(header: EventHeader, raw: Json) -> ProviderMarket:
    template = text(raw, "templateCategory")
    if template == TOTALS_TEMPLATE:
        kind = TOTALS_KIND.get(header.sport)
        if kind is None:
            raise MalformedSportsPayload(f"no totals market in {header.sport}")
        market = market_key(header.sport, kind, exact_decimal(member(raw, "attr"), "attr"))
    else:
        market = market_key(header.sport, lookup(TEMPLATES, template, "templateCategory"), None)
    prices = [
        _price(mapping(option, "option")) for option in items(member(raw, "options"), "options", 10)
    ]
    suspended = lookup(VISIBILITY, text(raw, "status"), "status")
    return quoted_market(header.sport, market, prices, suspended)


def _price(option: Json) -> tuple[Outcome, Fraction]:
    outcome = lookup(OPTION_NAMES, text(option, "sourceName"), "option")
    price = mapping(member(option, "price"), "price")
    return outcome, decimal_to_probability(parse_decimal_odds(member(price, "odds")))
