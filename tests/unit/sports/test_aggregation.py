"""Quorum, freshness and the weighted average, against numbers worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

from engine.oracle.sports.aggregation import aggregate_event
from engine.oracle.sports.model import (
    PPM,
    PROVIDER_WEIGHTS,
    Outcome,
    ProviderEventSnapshot,
    ProviderName,
    Score,
    UnavailableReason,
)
from tests.unit.sports.helpers import basketball_snapshot, two_way

NOW = datetime(2026, 1, 1, 12, 0, 10, tzinfo=UTC)
DK, FD, MGM, CZR, PB = (
    ProviderName.DRAFTKINGS,
    ProviderName.FANDUEL,
    ProviderName.BETMGM,
    ProviderName.CAESARS,
    ProviderName.POINTSBET,
)


def quotes(
    home: dict[ProviderName, Fraction], age: dict[ProviderName, timedelta] | None = None
) -> list[ProviderEventSnapshot]:
    ages = age or {}
    return [
        basketball_snapshot(provider, NOW - ages.get(provider, timedelta(0)), (two_way(p),))
        for provider, p in home.items()
    ]


def home_ppm(snapshots: list[ProviderEventSnapshot]) -> int:
    market = aggregate_event(snapshots, NOW, PROVIDER_WEIGHTS).market("MATCH_WINNER")
    assert market is not None and market.available
    return market.outcomes[0].probability_ppm


def test_two_fresh_providers_are_no_quorum() -> None:
    event = aggregate_event(quotes({DK: Fraction(1, 2), FD: Fraction(3, 5)}), NOW, PROVIDER_WEIGHTS)
    (market,) = event.markets
    assert not market.available
    assert market.unavailable_reason is UnavailableReason.QUORUM_NOT_MET
    assert market.outcomes == ()
    assert market.providers == (DK, FD)


def test_three_fresh_providers_are_averaged_with_renormalised_weights() -> None:
    # Weights 0.3, 0.3, 0.2 over the three present -> 3/8, 3/8, 2/8.
    # HOME = 3/8 * 1/2 + 3/8 * 3/5 + 2/8 * 2/5 = 15/80 + 18/80 + 8/80 = 41/80 = 0.5125.
    snapshots = quotes({DK: Fraction(1, 2), FD: Fraction(3, 5), MGM: Fraction(2, 5)})
    event = aggregate_event(snapshots, NOW, PROVIDER_WEIGHTS)
    (market,) = event.markets
    assert market.available and market.unavailable_reason is None
    assert [(o.outcome, o.probability_ppm) for o in market.outcomes] == [
        (Outcome.HOME, 512_500),
        (Outcome.AWAY, 487_500),
    ]
    assert market.outcomes[0].probability == Fraction(41, 80)
    assert market.providers == (MGM, DK, FD)


def test_all_five_providers_use_the_seed_weights() -> None:
    # 0.3*0.5 + 0.3*0.6 + 0.2*0.4 + 0.1*0.7 + 0.1*0.3 = .15 + .18 + .08 + .07 + .03 = 0.51
    home = {
        DK: Fraction(1, 2),
        FD: Fraction(3, 5),
        MGM: Fraction(2, 5),
        CZR: Fraction(7, 10),
        PB: Fraction(3, 10),
    }
    assert home_ppm(quotes(home)) == 510_000


def test_a_stale_provider_does_not_count() -> None:
    home = {DK: Fraction(1, 2), FD: Fraction(3, 5), MGM: Fraction(2, 5), CZR: Fraction(9, 10)}
    # Caesars' data is 10.000001 s old: stale; the other three average to 41/80 as above.
    stale = {CZR: timedelta(seconds=10, microseconds=1)}
    assert home_ppm(quotes(home, stale)) == 512_500
    event = aggregate_event(quotes(home, stale), NOW, PROVIDER_WEIGHTS)
    assert event.fresh_providers == (MGM, DK, FD)
    assert event.stale_providers == (CZR,)
    assert not event.stale


def test_exactly_ten_seconds_old_is_still_fresh() -> None:
    home = {DK: Fraction(1, 2), FD: Fraction(3, 5), CZR: Fraction(9, 10)}
    # 0.3, 0.3, 0.1 -> 3/7, 3/7, 1/7: 3/14 + 9/35 + 9/70 = (15 + 18 + 9)/70 = 3/5.
    assert home_ppm(quotes(home, {CZR: timedelta(seconds=10)})) == 600_000


def test_staleness_that_breaks_the_quorum_marks_the_market_unavailable() -> None:
    snapshots = quotes(
        {DK: Fraction(1, 2), FD: Fraction(3, 5), MGM: Fraction(2, 5)}, {MGM: timedelta(seconds=11)}
    )
    (market,) = aggregate_event(snapshots, NOW, PROVIDER_WEIGHTS).markets
    assert market.unavailable_reason is UnavailableReason.QUORUM_NOT_MET


def test_an_event_nobody_updated_recently_is_flagged_stale() -> None:
    old = timedelta(seconds=30)
    snapshots = quotes(
        {DK: Fraction(1, 2), FD: Fraction(3, 5), MGM: Fraction(2, 5)},
        dict.fromkeys((DK, FD, MGM), old),
    )
    event = aggregate_event(snapshots, NOW, PROVIDER_WEIGHTS)
    assert event.stale
    assert event.fresh_providers == ()
    assert not event.markets[0].available


def test_suspended_quotes_do_not_count_and_say_so() -> None:
    snapshots = [
        basketball_snapshot(DK, NOW, (two_way(Fraction(1, 2)),)),
        basketball_snapshot(FD, NOW, (two_way(Fraction(1, 2), suspended=True),)),
        basketball_snapshot(MGM, NOW, (two_way(Fraction(1, 2), suspended=True),)),
    ]
    (market,) = aggregate_event(snapshots, NOW, PROVIDER_WEIGHTS).markets
    assert market.unavailable_reason is UnavailableReason.SUSPENDED
    assert market.providers == (DK,)


def test_rounding_to_ppm_keeps_the_sum_exactly_one() -> None:
    # 3/8 * 1/3 + 3/8 * 1/7 + 2/8 * 1/11: not a whole number of ppm.
    home = {DK: Fraction(1, 3), FD: Fraction(1, 7), MGM: Fraction(1, 11)}
    event = aggregate_event(quotes(home), NOW, PROVIDER_WEIGHTS)
    (market,) = event.markets
    exact = (
        Fraction(3, 8) * Fraction(1, 3)
        + Fraction(3, 8) * Fraction(1, 7)
        + Fraction(1, 4) * Fraction(1, 11)
    )
    assert sum(o.probability_ppm for o in market.outcomes) == PPM
    assert abs(market.outcomes[0].probability_ppm - exact * PPM) < 1


def test_status_clock_and_score_come_from_the_newest_fresh_snapshot() -> None:
    snapshots = [
        basketball_snapshot(DK, NOW - timedelta(seconds=2), (), Score(50, 48)),
        basketball_snapshot(PB, NOW - timedelta(seconds=1), (), Score(52, 48)),
        basketball_snapshot(FD, NOW - timedelta(seconds=20), (), Score(40, 40)),
    ]
    event = aggregate_event(snapshots, NOW, PROVIDER_WEIGHTS)
    assert event.score == Score(52, 48)
    assert event.updated_at == NOW - timedelta(seconds=1)


def test_the_aggregate_market_has_a_universal_id() -> None:
    snapshots = quotes({DK: Fraction(1, 2), FD: Fraction(3, 5), MGM: Fraction(2, 5)})
    (market,) = aggregate_event(snapshots, NOW, PROVIDER_WEIGHTS).markets
    event_id = snapshots[0].event_id
    assert (
        market.universal_id == f"GODARK:BASKETBALL:{event_id}:MATCH_WINNER:{int(NOW.timestamp())}"
    )
