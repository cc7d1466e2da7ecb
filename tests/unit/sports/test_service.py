"""The SportsOracle service: ingest, aggregate, publish, flags, outcomes, lifecycle."""

from __future__ import annotations

import asyncio
import copy
import json
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from engine.clock import ManualClock
from engine.oracle.sports.adapters import ADAPTERS, ParsedFeed
from engine.oracle.sports.attestation import sign_attestation
from engine.oracle.sports.client import FeedResponse
from engine.oracle.sports.model import (
    PROVIDER_WEIGHTS,
    Outcome,
    ProviderName,
    Sport,
    UnavailableReason,
    UnknownSport,
)
from engine.oracle.sports.odds import to_ppm
from engine.oracle.sports.poller import PollResult
from engine.oracle.sports.service import SportsOracle
from tests.unit.sports.helpers import (
    FIXTURE_EVENT_ID,
    FIXTURE_RECEIVED_AT,
    ClockSleep,
    ScriptedClient,
    fixture_document,
    fixture_text,
)
from tests.unit.sports.test_adapters import FAIR_MATCH_RESULT

KEYS = {provider: Ed25519PrivateKey.generate() for provider in ProviderName}


class Harness:
    def __init__(self) -> None:
        self.clock = ManualClock(FIXTURE_RECEIVED_AT)
        self.sleep = ClockSleep(self.clock)
        self.published: list[tuple[str, dict[str, Any]]] = []
        self.clients = {
            provider: ScriptedClient(
                provider,
                [],
                KEYS[provider].public_key(),
                default=FeedResponse(200, fixture_text(provider).encode()),
            )
            for provider in ProviderName
        }
        self.oracle = SportsOracle(
            list(self.clients.values()), self.clock, self.publish, sleep=self.sleep
        )

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        self.published.append((topic, event))

    def topics(self) -> list[str]:
        return [topic for topic, _ in self.published]

    async def ingest_fixture(self, provider: ProviderName, document: object | None = None) -> None:
        source = fixture_document(provider) if document is None else document
        await self.oracle.ingest(ADAPTERS[provider].parse_feed(source, self.clock.now()))


def weighted_ppm(providers: list[ProviderName]) -> tuple[int, ...]:
    """The seed's weighted average of the fixtures' hand-computed fair probabilities."""
    total = sum((PROVIDER_WEIGHTS[p] for p in providers), Fraction(0))
    return to_ppm(
        [
            sum((PROVIDER_WEIGHTS[p] * FAIR_MATCH_RESULT[p][i] for p in providers), Fraction(0))
            / total
            for i in range(3)
        ]
    )


async def test_five_providers_make_one_live_event_published_on_refresh() -> None:
    harness = Harness()
    for provider in ProviderName:
        await harness.ingest_fixture(provider)
    assert harness.published == []  # published once a second, by refresh
    await harness.oracle.refresh()
    ((topic, event),) = harness.published
    assert topic == f"live_event.{FIXTURE_EVENT_ID}"
    assert event["sport"] == "SOCCER"
    assert event["score"] == {"home": 1, "away": 0, "details": []}
    assert event["clock"] == {
        "period": 2,
        "elapsedSeconds": 3432,
        "remainingSeconds": 1968,
        "running": True,
    }
    assert event["stale"] is False
    match_result = event["markets"][0]
    assert match_result["market"] == "MATCH_WINNER"
    assert match_result["available"] is True
    expected = weighted_ppm(list(ProviderName))
    assert [o["probabilityPpm"] for o in match_result["outcomes"]] == list(expected)
    assert sum(expected) == 1_000_000
    assert json.loads(json.dumps(event)) == event  # plain JSON for any bus


async def test_a_malformed_payload_from_one_provider_never_poisons_the_aggregate() -> None:
    harness = Harness()
    for provider in (
        ProviderName.DRAFTKINGS,
        ProviderName.FANDUEL,
        ProviderName.BETMGM,
        ProviderName.CAESARS,
    ):
        await harness.ingest_fixture(provider)
    poisoned: Any = copy.deepcopy(fixture_document(ProviderName.POINTSBET))
    markets = poisoned["events"][0]["fixedOddsMarkets"]
    markets[0]["outcomes"][0]["price"] = Decimal("-1.5")  # negative odds
    markets[1]["outcomes"] = "garbage"
    await harness.ingest_fixture(ProviderName.POINTSBET, poisoned)
    event = harness.oracle.event(FIXTURE_EVENT_ID)
    assert event is not None
    match_result = event.market("MATCH_WINNER")
    assert match_result is not None
    assert ProviderName.POINTSBET not in match_result.providers
    expected = weighted_ppm(
        [ProviderName.DRAFTKINGS, ProviderName.FANDUEL, ProviderName.BETMGM, ProviderName.CAESARS]
    )
    assert tuple(o.probability_ppm for o in match_result.outcomes) == expected
    assert harness.oracle.rejections[(ProviderName.POINTSBET, "INVALID_ODDS")] == 1
    assert harness.oracle.rejections[(ProviderName.POINTSBET, "MALFORMED_SPORTS_PAYLOAD")] == 1
    # PointsBet's good market still counts.
    totals = event.market("TOTAL_GOALS_2.5")
    assert totals is not None and ProviderName.POINTSBET in totals.providers


async def test_a_feed_that_is_not_json_fails_only_its_own_provider() -> None:
    harness = Harness()
    harness.clients[ProviderName.BETMGM]._default = FeedResponse(200, b"<html>oops</html>")
    results = await harness.oracle.poll_once()
    assert results[ProviderName.BETMGM] is PollResult.MALFORMED_FEED
    assert [r for p, r in results.items() if p is not ProviderName.BETMGM] == [PollResult.OK] * 4
    event = harness.oracle.event(FIXTURE_EVENT_ID)
    assert event is not None
    assert event.fresh_providers == (
        ProviderName.CAESARS,
        ProviderName.DRAFTKINGS,
        ProviderName.FANDUEL,
        ProviderName.POINTSBET,
    )
    assert all(market.available for market in event.markets)


async def test_an_update_older_than_the_last_accepted_one_is_rejected() -> None:
    harness = Harness()
    await harness.ingest_fixture(ProviderName.DRAFTKINGS)
    older: Any = copy.deepcopy(fixture_document(ProviderName.DRAFTKINGS))
    older["events"][0]["lastUpdated"] = "2026-01-01T13:12:11.000Z"
    older["events"][0]["eventStatus"]["homeTeamScore"] = "0"
    await harness.ingest_fixture(ProviderName.DRAFTKINGS, older)
    assert harness.oracle.rejections[(ProviderName.DRAFTKINGS, "OUT_OF_ORDER_UPDATE")] == 1
    event = harness.oracle.event(FIXTURE_EVENT_ID)
    assert event is not None and event.score.home == 1


async def test_stale_data_is_flagged_and_published_never_served_as_fresh() -> None:
    harness = Harness()
    for provider in ProviderName:
        await harness.ingest_fixture(provider)
    await harness.oracle.refresh()
    await harness.oracle.refresh()
    assert len(harness.published) == 1  # nothing changed, nothing republished
    # The fixtures were stamped 1 s before the clock: 9 s more is still fresh, 10 s is not.
    harness.clock.advance(timedelta(seconds=9))
    assert not harness.oracle.live_events()[0].stale
    harness.clock.advance(timedelta(seconds=1, microseconds=1))
    event = harness.oracle.live_events()[0]
    assert event.stale
    assert {m.unavailable_reason for m in event.markets} == {UnavailableReason.QUORUM_NOT_MET}
    await harness.oracle.refresh()
    _, published = harness.published[-1]
    assert published["stale"] is True
    assert published["staleProviders"] == sorted(p.value for p in ProviderName)
    assert all(market["outcomes"] == [] for market in published["markets"])


async def test_live_events_filter_by_sport_and_refuse_unknown_sports() -> None:
    harness = Harness()
    await harness.ingest_fixture(ProviderName.DRAFTKINGS)
    assert [e.event_id for e in harness.oracle.live_events("soccer")] == [FIXTURE_EVENT_ID]
    assert harness.oracle.live_events(Sport.TENNIS) == []
    assert harness.oracle.event("nope") is None
    with pytest.raises(UnknownSport):
        harness.oracle.live_events("curling")


async def test_events_nobody_mentions_for_ten_minutes_are_forgotten() -> None:
    harness = Harness()
    await harness.ingest_fixture(ProviderName.DRAFTKINGS)
    harness.clock.advance(timedelta(minutes=10, seconds=2))
    await harness.oracle.refresh()
    assert harness.oracle.event(FIXTURE_EVENT_ID) is None


async def test_a_snapshot_claiming_another_sport_for_a_known_event_is_rejected() -> None:
    harness = Harness()
    await harness.ingest_fixture(ProviderName.DRAFTKINGS)
    feed = ADAPTERS[ProviderName.FANDUEL].parse_feed(
        fixture_document(ProviderName.FANDUEL), harness.clock.now()
    )
    wrong = replace(feed, snapshots=(replace(feed.snapshots[0], sport=Sport.TENNIS, markets=()),))
    await harness.oracle.ingest(wrong)
    assert harness.oracle.rejections[(ProviderName.FANDUEL, "CONFLICTING_EVENT")] == 1


def attestation_feed(
    provider: ProviderName, outcome: Outcome, key: Ed25519PrivateKey | None = None
) -> ParsedFeed:
    signed = sign_attestation(
        key or KEYS[provider],
        provider,
        Sport.SOCCER,
        FIXTURE_EVENT_ID,
        "MATCH_WINNER",
        outcome,
        1767276000,
    )
    return ParsedFeed(provider, FIXTURE_RECEIVED_AT, (), (signed,), ())


async def test_outcomes_are_published_final_once_and_disputes_go_to_the_admin_queue() -> None:
    harness = Harness()
    oracle = harness.oracle
    await oracle.ingest(attestation_feed(ProviderName.DRAFTKINGS, Outcome.HOME))
    await oracle.ingest(attestation_feed(ProviderName.FANDUEL, Outcome.HOME))
    await oracle.ingest(attestation_feed(ProviderName.FANDUEL, Outcome.HOME))  # replay
    assert oracle.final_outcome(FIXTURE_EVENT_ID, "MATCH_WINNER") is None
    forged = attestation_feed(ProviderName.BETMGM, Outcome.HOME, key=KEYS[ProviderName.CAESARS])
    await oracle.ingest(forged)
    assert oracle.rejected_signatures == 1
    assert oracle.rejections[(ProviderName.BETMGM, "INVALID_SIGNATURE")] == 1
    await oracle.ingest(attestation_feed(ProviderName.POINTSBET, Outcome.AWAY))
    await oracle.ingest(attestation_feed(ProviderName.CAESARS, Outcome.HOME))
    final = oracle.final_outcome(FIXTURE_EVENT_ID, "MATCH_WINNER")
    assert final is not None and final.outcome is Outcome.HOME
    assert harness.topics() == ["outcome.dispute", "outcome.final"]
    dispute = harness.published[0][1]
    assert dispute["reason"] == "PROVIDERS_DISAGREE"
    assert dispute["votes"] == [
        {"outcome": "AWAY", "providers": ["POINTSBET"]},
        {"outcome": "HOME", "providers": ["DRAFTKINGS", "FANDUEL"]},
    ]
    assert harness.published[1][1]["providers"] == ["CAESARS", "DRAFTKINGS", "FANDUEL"]
    assert [d.reason.value for d in oracle.disputes()] == ["PROVIDERS_DISAGREE"]
    for provider in ProviderName:  # every replay is idempotent
        await oracle.ingest(attestation_feed(provider, Outcome.HOME))
    assert harness.topics().count("outcome.final") == 1


async def test_start_polls_on_the_clock_and_stop_ends_the_loops() -> None:
    harness = Harness()
    published = asyncio.Event()

    async def publish_and_signal(topic: str, event: dict[str, Any]) -> None:
        await harness.publish(topic, event)
        published.set()

    oracle = SportsOracle(
        list(harness.clients.values()), harness.clock, publish_and_signal, sleep=harness.sleep
    )
    await oracle.start()
    await oracle.start()  # idempotent
    assert oracle.running
    await asyncio.wait_for(published.wait(), timeout=5)
    await oracle.stop()
    assert not oracle.running
    requests = [client.requests for client in harness.clients.values()]
    assert all(count >= 1 for count in requests)
    for _ in range(10):
        await asyncio.sleep(0)
    assert [client.requests for client in harness.clients.values()] == requests
    await oracle.start()  # crash-only: starting again is the same code path
    await oracle.dispose()
    assert not oracle.running


async def test_a_failing_publish_does_not_stop_the_oracle() -> None:
    harness = Harness()

    async def broken(topic: str, event: dict[str, Any]) -> None:
        raise ConnectionError("bus down")

    oracle = SportsOracle(
        list(harness.clients.values()), harness.clock, broken, sleep=harness.sleep
    )
    await oracle.poll_once()
    await oracle.refresh()
    assert oracle.event(FIXTURE_EVENT_ID) is not None


def test_each_provider_once() -> None:
    clock = ManualClock()
    client = ScriptedClient(ProviderName.DRAFTKINGS, [])

    async def publish(topic: str, event: dict[str, Any]) -> None:
        return None

    with pytest.raises(ValueError):
        SportsOracle([client, client], clock, publish)


def test_weights_are_the_seeds() -> None:
    assert dict(PROVIDER_WEIGHTS) == {
        ProviderName.DRAFTKINGS: Fraction(3, 10),
        ProviderName.FANDUEL: Fraction(3, 10),
        ProviderName.BETMGM: Fraction(1, 5),
        ProviderName.CAESARS: Fraction(1, 10),
        ProviderName.POINTSBET: Fraction(1, 10),
    }
