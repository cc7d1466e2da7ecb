"""Each provider's own payload -> the common model, exactly; malformed parts are rejected, typed."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.oracle.sports.adapters import ADAPTERS, decode_feed_body
from engine.oracle.sports.model import (
    EventStatus,
    GameClock,
    MalformedSportsPayload,
    Outcome,
    ProviderName,
    Score,
    Sport,
)
from tests.unit.sports.helpers import (
    FIXTURE_EVENT_ID,
    FIXTURE_RECEIVED_AT,
    FIXTURE_START,
    FIXTURE_UPDATED_AT,
    fixture_document,
)

# Fair match-result probabilities of each fixture, worked out by hand from its odds:
# implied p per outcome, then p / sum(p).
FAIR_MATCH_RESULT = {
    # -150, +250, +500 -> 3/5, 2/7, 1/6 = (126, 60, 35)/210
    ProviderName.DRAFTKINGS: (Fraction(126, 221), Fraction(60, 221), Fraction(35, 221)),
    # -140, +260, +550 -> 7/12, 5/18, 2/13 = (273, 130, 72)/468
    ProviderName.FANDUEL: (Fraction(273, 475), Fraction(130, 475), Fraction(72, 475)),
    # 1.60, 3.50, 6.00 -> 5/8, 2/7, 1/6 = (105, 48, 28)/168
    ProviderName.BETMGM: (Fraction(105, 181), Fraction(48, 181), Fraction(28, 181)),
    # -160, +275, +550 -> 8/13, 4/15, 2/13 = (120, 52, 30)/195
    ProviderName.CAESARS: (Fraction(60, 101), Fraction(26, 101), Fraction(15, 101)),
    # 1.65, 3.40, 5.50 -> 20/33, 5/17, 2/11 = (340, 165, 102)/561
    ProviderName.POINTSBET: (Fraction(340, 607), Fraction(165, 607), Fraction(102, 607)),
}
# Over/under 2.5, same method: DraftKings +120/-150 -> 5/11, 3/5 = (25, 33)/55.
FAIR_TOTAL_DRAFTKINGS = (Fraction(25, 58), Fraction(33, 58))


def parse(provider: ProviderName, document: object) -> Any:
    return ADAPTERS[provider].parse_feed(document, FIXTURE_RECEIVED_AT)


@pytest.mark.parametrize("provider", list(ProviderName))
def test_every_provider_format_normalises_to_the_same_event(provider: ProviderName) -> None:
    feed = parse(provider, fixture_document(provider))
    assert feed.rejections == ()
    (snapshot,) = feed.snapshots
    assert snapshot.provider is provider
    assert snapshot.sport is Sport.SOCCER
    assert snapshot.event_id == FIXTURE_EVENT_ID
    assert (snapshot.home, snapshot.away) == ("Northport United", "Eastham Rovers")
    assert snapshot.start_time == FIXTURE_START
    assert snapshot.status is EventStatus.LIVE
    # 57:12 into the game: 2nd half, 3432 s played, 1968 s of regulation left.
    assert snapshot.clock == GameClock(2, 3432, 1968, True)
    assert snapshot.score == Score(1, 0)
    assert snapshot.updated_at == FIXTURE_UPDATED_AT
    assert [market.market for market in snapshot.markets] == [
        "MATCH_WINNER",
        "NEXT_GOAL",
        "TOTAL_GOALS_2.5",
    ]


@pytest.mark.parametrize("provider", list(ProviderName))
def test_fair_probabilities_are_exact_and_sum_to_one(provider: ProviderName) -> None:
    (snapshot,) = parse(provider, fixture_document(provider)).snapshots
    match_result = snapshot.market("MATCH_WINNER")
    assert match_result is not None
    assert [o.outcome for o in match_result.outcomes] == [Outcome.HOME, Outcome.DRAW, Outcome.AWAY]
    assert tuple(o.fair_probability for o in match_result.outcomes) == FAIR_MATCH_RESULT[provider]
    for market in snapshot.markets:
        assert sum(o.fair_probability for o in market.outcomes) == 1
        assert market.overround > 0


def test_the_margin_is_visible_before_it_is_removed() -> None:
    (snapshot,) = parse(
        ProviderName.DRAFTKINGS, fixture_document(ProviderName.DRAFTKINGS)
    ).snapshots
    total = snapshot.market("TOTAL_GOALS_2.5")
    assert total is not None
    assert [o.implied_probability for o in total.outcomes] == [Fraction(5, 11), Fraction(3, 5)]
    assert total.overround == Fraction(3, 55)
    assert tuple(o.fair_probability for o in total.outcomes) == FAIR_TOTAL_DRAFTKINGS


# -- malformed payloads -------------------------------------------------------------------------

Edit = Callable[[Any], None]


def edited(provider: ProviderName, edit: Edit) -> Any:
    document = copy.deepcopy(fixture_document(provider))
    edit(document)
    return parse(provider, document)


def dk_event(document: Any) -> Any:
    return document["events"][0]


@pytest.mark.parametrize(
    ("provider", "edit", "code"),
    [
        (
            ProviderName.DRAFTKINGS,
            lambda d: dk_event(d).pop("lastUpdated"),
            "MALFORMED_SPORTS_PAYLOAD",
        ),
        (
            ProviderName.DRAFTKINGS,
            lambda d: dk_event(d).update(sportName="Curling"),
            "UNKNOWN_SPORT",
        ),
        (
            ProviderName.DRAFTKINGS,
            lambda d: dk_event(d).update(lastUpdated="2026-01-01T13:20:00Z"),  # 8 min ahead
            "MALFORMED_SPORTS_PAYLOAD",
        ),
        (
            ProviderName.DRAFTKINGS,
            lambda d: dk_event(d).update(lastUpdated="2026-01-01T13:12:12"),  # no UTC offset
            "MALFORMED_SPORTS_PAYLOAD",
        ),
        (
            ProviderName.DRAFTKINGS,
            lambda d: dk_event(d)["eventStatus"].update(clock="97:00"),  # past full time
            "MALFORMED_SPORTS_PAYLOAD",
        ),
        (
            ProviderName.FANDUEL,
            lambda d: d["attachments"]["events"]["33000001"].update(eventTypeId=99),
            "UNKNOWN_SPORT",
        ),
        (
            ProviderName.CAESARS,
            lambda d: d["competitions"][0]["events"][0]["scores"].update(home=999),
            "MALFORMED_SPORTS_PAYLOAD",
        ),
        (
            ProviderName.CAESARS,
            lambda d: d["competitions"][0].update(sport="curling"),
            "UNKNOWN_SPORT",
        ),
        (
            ProviderName.BETMGM,
            lambda d: d["fixtures"][0]["participants"].pop(),
            "MALFORMED_SPORTS_PAYLOAD",
        ),
        (
            ProviderName.POINTSBET,
            lambda d: d["events"][0].update(awayTeam="Northport United"),
            "MALFORMED_SPORTS_PAYLOAD",
        ),
    ],
)
def test_a_malformed_event_is_rejected_with_a_typed_code(
    provider: ProviderName, edit: Edit, code: str
) -> None:
    feed = edited(provider, edit)
    assert feed.snapshots == ()
    assert [rejection.code for rejection in feed.rejections] == [code]


def mgm_odds(document: Any, odds: object) -> None:
    document["fixtures"][0]["optionMarkets"][0]["options"][0]["price"]["odds"] = odds


@pytest.mark.parametrize(
    ("provider", "edit"),
    [
        (ProviderName.BETMGM, lambda d: mgm_odds(d, Decimal("-2.5"))),
        (ProviderName.BETMGM, lambda d: mgm_odds(d, 0)),
        (ProviderName.BETMGM, lambda d: mgm_odds(d, Decimal("5000"))),
        (ProviderName.BETMGM, lambda d: mgm_odds(d, 2.5)),  # a lossy float
        (
            ProviderName.DRAFTKINGS,
            lambda d: dk_event(d)["offers"][0]["outcomes"][0].update(oddsAmerican="-50"),
        ),
        (
            ProviderName.POINTSBET,
            lambda d: d["events"][0]["fixedOddsMarkets"][0]["outcomes"][0].update(price=Decimal(0)),
        ),
        (
            ProviderName.CAESARS,
            lambda d: d["competitions"][0]["events"][0]["markets"][0]["selections"][0].update(
                price={"a": 0}
            ),
        ),
    ],
)
def test_bad_odds_drop_only_their_market(provider: ProviderName, edit: Edit) -> None:
    feed = edited(provider, edit)
    (snapshot,) = feed.snapshots
    assert snapshot.market("MATCH_WINNER") is None
    assert [market.market for market in snapshot.markets] == ["NEXT_GOAL", "TOTAL_GOALS_2.5"]
    assert [rejection.code for rejection in feed.rejections] == ["INVALID_ODDS"]


def test_a_market_missing_an_outcome_or_quoted_twice_is_rejected() -> None:
    def drop_draw_and_repeat_totals(document: Any) -> None:
        offers = dk_event(document)["offers"]
        offers[0]["outcomes"].pop(1)
        offers.append(copy.deepcopy(offers[2]))

    feed = edited(ProviderName.DRAFTKINGS, drop_draw_and_repeat_totals)
    (snapshot,) = feed.snapshots
    assert [market.market for market in snapshot.markets] == ["NEXT_GOAL", "TOTAL_GOALS_2.5"]
    assert [rejection.code for rejection in feed.rejections] == [
        "MALFORMED_SPORTS_PAYLOAD",
        "MALFORMED_SPORTS_PAYLOAD",
    ]


def test_one_broken_event_does_not_take_the_others_with_it() -> None:
    def add_broken_copy(document: Any) -> None:
        broken = copy.deepcopy(dk_event(document))
        broken["eventId"] = "30099999"
        broken["participants"][0]["name"] = "Westbury City"
        broken["eventStatus"]["homeTeamScore"] = "-1"
        document["events"].insert(0, broken)

    feed = edited(ProviderName.DRAFTKINGS, add_broken_copy)
    assert [snapshot.event_id for snapshot in feed.snapshots] == [FIXTURE_EVENT_ID]
    (rejection,) = feed.rejections
    assert rejection.reference == "event[0]:30099999"


def test_an_attestation_with_a_garbled_signature_is_rejected() -> None:
    def add_settlement(document: Any) -> None:
        document["settlements"] = [
            {
                "universalId": f"DRAFTKINGS:SOCCER:{FIXTURE_EVENT_ID}:MATCH_WINNER:1767276000",
                "market": "MATCH_WINNER",
                "result": "HOME",
                "settledAt": 1767276000,
                "signature": "not base64!",
            }
        ]

    feed = edited(ProviderName.DRAFTKINGS, add_settlement)
    assert feed.attestations == ()
    assert [rejection.code for rejection in feed.rejections] == ["INVALID_ATTESTATION"]


@pytest.mark.parametrize("provider", list(ProviderName))
@pytest.mark.parametrize("document", [[], "events", {"events": 7}, {}])
def test_a_document_that_is_not_a_feed_fails_the_whole_poll(
    provider: ProviderName, document: object
) -> None:
    with pytest.raises(MalformedSportsPayload):
        parse(provider, document)


@pytest.mark.parametrize("body", [b"not json", b'{"price": NaN}', b"[" * 100_000])
def test_bodies_that_are_not_json_are_refused(body: bytes) -> None:
    with pytest.raises(MalformedSportsPayload):
        decode_feed_body(body)


def test_json_numbers_decode_to_exact_decimals() -> None:
    assert decode_feed_body(b'{"odds": 2.1}') == {"odds": Decimal("2.1")}


def test_received_at_bounds_the_future_not_the_clock_of_the_test() -> None:
    late = ADAPTERS[ProviderName.DRAFTKINGS].parse_feed(
        fixture_document(ProviderName.DRAFTKINGS), FIXTURE_UPDATED_AT - timedelta(seconds=30)
    )
    assert late.snapshots == ()
    assert [r.code for r in late.rejections] == ["MALFORMED_SPORTS_PAYLOAD"]


# -- fuzzing: whatever a provider sends, the parser answers with a feed or a typed error -------

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**15), max_value=10**15)
    | st.decimals(allow_nan=False, allow_infinity=False, places=3)
    | st.text(max_size=12)
    | st.sampled_from(["", "+150", "-0", "A", "Q3", "End of OT11", "99:99", "1:0", "Set 9"])
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)


def node_paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in children:
        found += node_paths(child, (*path, key))
    return found


def replace_at(document: Any, path: tuple[Any, ...], value: Any) -> None:
    node = document
    for key in path[:-1]:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return  # an earlier replacement removed this branch
    try:
        node[path[-1]] = value
    except (IndexError, TypeError):
        return


@settings(max_examples=300, deadline=None)
@given(provider=st.sampled_from(list(ProviderName)), data=st.data())
def test_fuzzed_feeds_are_parsed_or_refused_never_crash(provider: ProviderName, data: Any) -> None:
    document = copy.deepcopy(fixture_document(provider))
    paths = node_paths(document)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        replace_at(document, data.draw(st.sampled_from(paths)), data.draw(JSON_VALUES))
    try:
        feed = parse(provider, document)
    except MalformedSportsPayload:
        return
    for snapshot in feed.snapshots:
        for market in snapshot.markets:
            assert sum(o.fair_probability for o in market.outcomes) == 1
