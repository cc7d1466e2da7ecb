"""DraftKings live feed (shaped after its sportsbook JSON): American odds "+150", clocks "57:12"."""

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
from engine.oracle.sports.odds import american_to_probability, parse_american
from engine.oracle.sports.rules import (
    clock_at_elapsed,
    clock_from_period_remaining,
    pre_game_clock,
    tennis_clock,
)

FEED_PATH = "/sportsbook/v1/live/events"

SPORTS = {"Soccer": Sport.SOCCER, "Basketball": Sport.BASKETBALL, "Tennis": Sport.TENNIS}
OFFER_KINDS = {
    "Match Result": MarketKind.MATCH_WINNER,
    "Moneyline": MarketKind.MATCH_WINNER,
    "Next Goal": MarketKind.NEXT_GOAL,
    "Next Team to Score": MarketKind.NEXT_SCORE,
    "Next Point": MarketKind.NEXT_POINT,
    "Current Game": MarketKind.GAME_WINNER,
    "Total Goals": MarketKind.TOTAL_GOALS,
    "Total Points": MarketKind.TOTAL_POINTS,
}
FIXED_LABELS = {
    "Draw": Outcome.DRAW,
    "No Goal": Outcome.NONE,
    "Over": Outcome.OVER,
    "Under": Outcome.UNDER,
}
# Tennis scores as called, "0 15 30 40 A"; tie-break points are plain counts.
TENNIS_CALLS = {"0": 0, "15": 1, "30": 2, "40": 3, "A": 4}
CLOCK_TEXT = re.compile(r"(\d{1,3}):([0-5]\d)")
MAX_OVERTIMES = 10


class DraftKingsAdapter:
    provider = ProviderName.DRAFTKINGS
    feed_path = FEED_PATH

    def parse_feed(self, document: object, received_at: datetime) -> ParsedFeed:
        root = mapping(document, "feed")
        feed = FeedCollector(self.provider, received_at)
        events = items(member(root, "events"), "events")
        feed.snapshots += feed.each("event", events, lambda raw: self._event(raw, feed))
        settlements = items(root.get("settlements", []), "settlements")
        feed.attestations += feed.each(
            "settlement", settlements, lambda raw: self._settlement(raw, received_at)
        )
        return feed.result()

    def _event(self, raw: Json, feed: FeedCollector) -> ProviderEventSnapshot:
        sport_name = text(raw, "sportName")
        sport = SPORTS.get(sport_name)
        if sport is None:
            raise UnknownSport(f"unknown sport {sport_name!r}")
        home, away = _participants(raw)
        header = event_header(
            self.provider,
            sport,
            identifier(raw, "eventId"),
            home,
            away,
            iso_time(member(raw, "startEventDate"), "startEventDate"),
            iso_time(member(raw, "lastUpdated"), "lastUpdated"),
            feed.received_at,
        )
        status_raw = mapping(member(raw, "eventStatus"), "eventStatus")
        status, clock = _status_and_clock(sport, status_raw)
        score = _score(sport, status_raw)
        offers = items(member(raw, "offers"), "offers")
        markets = feed.each("offer", offers, lambda offer: _offer(header, offer))
        unique = unique_markets(markets, feed, header.provider_event_id)
        return build_snapshot(header, status, clock, score, unique, feed.received_at)

    def _settlement(self, raw: Json, received_at: datetime) -> OutcomeAttestation:
        return parse_attestation(
            self.provider,
            text(raw, "universalId"),
            text(raw, "market"),
            text(raw, "result"),
            integer(raw, "settledAt", 0, 10**11),
            signature_bytes(member(raw, "signature"), "base64"),
            received_at,
        )


def _participants(raw: Json) -> tuple[str, str]:
    roles: dict[str, str] = {}
    for entry in items(member(raw, "participants"), "participants", limit=2):
        participant = mapping(entry, "participant")
        roles[text(participant, "venueRole")] = text(participant, "name")
    if set(roles) != {"Home", "Away"}:
        raise MalformedSportsPayload("participants must be one Home and one Away")
    return roles["Home"], roles["Away"]


def _status_and_clock(sport: Sport, raw: Json) -> tuple[EventStatus, GameClock]:
    state = text(raw, "state")
    if state == "NOT_STARTED":
        return EventStatus.SCHEDULED, pre_game_clock(sport)
    if state not in ("STARTED", "FINISHED"):
        raise MalformedSportsPayload(f"unknown event state {state!r}")
    period, in_break = _period(sport, text(raw, "period"))
    running = boolean(raw, "isClockRunning")
    if state == "FINISHED":
        status = EventStatus.FINISHED
    else:
        status = EventStatus.BREAK if in_break else EventStatus.LIVE
    if sport is Sport.TENNIS:
        return status, tennis_clock(period, running)
    shown = _clock_seconds(text(raw, "clock"))
    if sport is Sport.SOCCER:  # soccer clocks count the whole game up
        return status, clock_at_elapsed(sport, period, shown, running)
    return status, clock_from_period_remaining(sport, period, shown, running)


def _period(sport: Sport, label: str) -> tuple[int, bool]:
    """A period label -> (period number, whether play is in a break after it)."""
    if sport is Sport.SOCCER:
        return lookup(
            {"1st Half": (1, False), "Halftime": (1, True), "2nd Half": (2, False)}, label, "period"
        )
    if sport is Sport.TENNIS:
        match = re.fullmatch(r"Set ([1-5])", label)
        if match is None:
            raise MalformedSportsPayload(f"unknown period {label!r}")
        return int(match.group(1)), False
    return _basketball_period(label)


def _basketball_period(label: str) -> tuple[int, bool]:
    if label == "Halftime":
        return 2, True
    in_break = label.startswith("End of ")
    name = label.removeprefix("End of ")
    quarter = re.fullmatch(r"Q([1-4])", name)
    if quarter is not None:
        return int(quarter.group(1)), in_break
    overtime = re.fullmatch(r"OT(\d{1,2})", name)
    if overtime is not None and 1 <= int(overtime.group(1)) <= MAX_OVERTIMES:
        return 4 + int(overtime.group(1)), in_break
    raise MalformedSportsPayload(f"unknown period {label!r}")


def _clock_seconds(shown: str) -> int:
    match = CLOCK_TEXT.fullmatch(shown)
    if match is None:
        raise MalformedSportsPayload(f"clock {shown!r} is not MM:SS")
    return int(match.group(1)) * 60 + int(match.group(2))


def _score(sport: Sport, raw: Json) -> Score:
    home = integer(raw, "homeTeamScore", 0, 10_000)
    away = integer(raw, "awayTeamScore", 0, 10_000)
    if sport is not Sport.TENNIS:
        return Score(home, away)
    tennis = mapping(member(raw, "tennis"), "tennis")
    games = (integer(tennis, "homeGames", 0, 100), integer(tennis, "awayGames", 0, 100))
    if boolean(tennis, "isTiebreak"):
        points = (integer(tennis, "homePoints", 0, 100), integer(tennis, "awayPoints", 0, 100))
    else:
        points = (
            lookup(TENNIS_CALLS, text(tennis, "homePoints"), "tennis call"),
            lookup(TENNIS_CALLS, text(tennis, "awayPoints"), "tennis call"),
        )
    return tennis_score((home, away), games, points)


def _offer(header: EventHeader, raw: Json) -> ProviderMarket:
    kind = lookup(OFFER_KINDS, text(raw, "label"), "offer")
    line_raw = raw.get("line")
    line = None if line_raw is None else exact_decimal(line_raw, "line")
    market = market_key(header.sport, kind, line)
    # Outcomes are labelled with the team names, as on the sportsbook's page.
    labels = {header.home: Outcome.HOME, header.away: Outcome.AWAY, **FIXED_LABELS}
    prices = [
        _price(mapping(entry, "outcome"), labels)
        for entry in items(member(raw, "outcomes"), "outcomes", limit=10)
    ]
    return quoted_market(header.sport, market, prices, boolean(raw, "isSuspended"))


def _price(raw: Json, labels: dict[str, Outcome]) -> tuple[Outcome, Fraction]:
    outcome = lookup(labels, text(raw, "label"), "outcome label")
    return outcome, american_to_probability(parse_american(member(raw, "oddsAmerican")))
