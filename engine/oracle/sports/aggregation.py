"""Provider snapshots -> one LiveEvent: freshness, quorum (3), and the weighted average of odds.

Seed 000, Provider Priority & Aggregation; weights are renormalised over the providers present.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from fractions import Fraction

from engine.oracle.sports.model import (
    AGGREGATE_SOURCE,
    LiveEvent,
    LiveMarket,
    LiveOutcome,
    Outcome,
    ProviderEventSnapshot,
    ProviderMarket,
    ProviderName,
    UnavailableReason,
    market_outcomes,
    parse_market_id,
    universal_id,
)
from engine.oracle.sports.odds import to_ppm

# Seed 000, Provider Priority & Aggregation: fewer than three providers is no quorum.
PROVIDER_QUORUM = 3
# In-play odds older than this describe a game that has moved on; they do not count.
FRESHNESS_LIMIT = timedelta(seconds=10)


def is_fresh(snapshot: ProviderEventSnapshot, now: datetime, limit: timedelta) -> bool:
    """Age is measured from the provider's own timestamp: a lagging feed is stale too."""
    return now - snapshot.updated_at <= limit


def aggregate_event(
    snapshots: Sequence[ProviderEventSnapshot],
    now: datetime,
    weights: Mapping[ProviderName, Fraction],
    quorum: int = PROVIDER_QUORUM,
    freshness: timedelta = FRESHNESS_LIMIT,
) -> LiveEvent:
    """One event from every provider's latest snapshot of it (at least one snapshot)."""
    counted = [s for s in snapshots if weights.get(s.provider, Fraction(0)) > 0]
    fresh = [s for s in counted if is_fresh(s, now, freshness)]
    stale = [s for s in counted if not is_fresh(s, now, freshness)]
    header = _latest(fresh if fresh else list(snapshots), weights)
    market_ids = sorted({market.market for s in snapshots for market in s.markets})
    markets = tuple(
        aggregate_market(header, market, fresh, weights, quorum) for market in market_ids
    )
    return LiveEvent(
        event_id=header.event_id,
        sport=header.sport,
        home=header.home,
        away=header.away,
        start_time=header.start_time,
        status=header.status,
        clock=header.clock,
        score=header.score,
        markets=markets,
        updated_at=header.updated_at,
        fresh_providers=_providers(fresh),
        stale_providers=_providers(stale),
    )


def aggregate_market(
    header: ProviderEventSnapshot,
    market: str,
    fresh: Sequence[ProviderEventSnapshot],
    weights: Mapping[ProviderName, Fraction],
    quorum: int = PROVIDER_QUORUM,
) -> LiveMarket:
    uid = str(
        universal_id(AGGREGATE_SOURCE, header.sport, header.event_id, market, header.updated_at)
    )
    listed = [(s.provider, q) for s in fresh if (q := s.market(market)) is not None]
    open_quotes = [(provider, quote) for provider, quote in listed if not quote.suspended]
    if len(open_quotes) < quorum:
        reason = (
            UnavailableReason.SUSPENDED
            if len(listed) >= quorum
            else UnavailableReason.QUORUM_NOT_MET
        )
        providers = tuple(sorted(provider for provider, _ in open_quotes))
        return LiveMarket(market, uid, False, reason, (), providers)
    kind, _ = parse_market_id(market)
    outcomes = market_outcomes(header.sport, kind)
    probabilities = weighted_probabilities(open_quotes, outcomes, weights)
    live_outcomes = tuple(
        LiveOutcome(outcome, ppm)
        for outcome, ppm in zip(outcomes, to_ppm(probabilities), strict=True)
    )
    providers = tuple(sorted(provider for provider, _ in open_quotes))
    return LiveMarket(market, uid, True, None, live_outcomes, providers)


def weighted_probabilities(
    quotes: Sequence[tuple[ProviderName, ProviderMarket]],
    outcomes: Sequence[Outcome],
    weights: Mapping[ProviderName, Fraction],
) -> tuple[Fraction, ...]:
    """p_o = sum_i w_i * p_i,o / sum_i w_i over the providers quoting: exact, sums to 1."""
    total_weight = sum((weights[provider] for provider, _ in quotes), Fraction(0))
    return tuple(
        sum((weights[provider] * quote.fair(outcome) for provider, quote in quotes), Fraction(0))
        / total_weight
        for outcome in outcomes
    )


def _latest(
    snapshots: Sequence[ProviderEventSnapshot], weights: Mapping[ProviderName, Fraction]
) -> ProviderEventSnapshot:
    """The newest snapshot; on a tie the heavier provider, then the name, decides."""
    return max(
        snapshots,
        key=lambda s: (s.updated_at, weights.get(s.provider, Fraction(0)), s.provider.value),
    )


def _providers(snapshots: Sequence[ProviderEventSnapshot]) -> tuple[ProviderName, ...]:
    return tuple(sorted(s.provider for s in snapshots))
