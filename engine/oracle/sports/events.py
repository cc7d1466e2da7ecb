"""The JSON the sports oracle publishes: probabilities as exact ppm integers and decimal strings."""

from __future__ import annotations

import base64
from typing import Any

from engine.oracle.sports.attestation import FinalOutcome, OutcomeAttestation, OutcomeDispute
from engine.oracle.sports.model import PPM, GameClock, LiveEvent, LiveMarket, Score

LIVE_EVENT_TOPIC_PREFIX = "live_event."
OUTCOME_FINAL_TOPIC = "outcome.final"
OUTCOME_DISPUTE_TOPIC = "outcome.dispute"


def live_event_topic(event_id: str) -> str:
    return f"{LIVE_EVENT_TOPIC_PREFIX}{event_id}"


def probability_text(ppm: int) -> str:
    """512500 -> "0.5125": exact, because a ppm has six decimals."""
    whole, fraction = divmod(ppm, PPM)
    digits = f"{fraction:06d}".rstrip("0") or "0"
    return f"{whole}.{digits}"


def live_event_json(event: LiveEvent) -> dict[str, Any]:
    return {
        "eventId": event.event_id,
        "sport": event.sport.value,
        "home": event.home,
        "away": event.away,
        "startTime": event.start_time.isoformat(),
        "status": event.status.value,
        "clock": _clock_json(event.clock),
        "score": _score_json(event.score),
        "markets": [_market_json(market) for market in event.markets],
        "updatedAt": event.updated_at.isoformat(),
        "stale": event.stale,
        "freshProviders": [provider.value for provider in event.fresh_providers],
        "staleProviders": [provider.value for provider in event.stale_providers],
    }


def _clock_json(clock: GameClock) -> dict[str, Any]:
    return {
        "period": clock.period,
        "elapsedSeconds": clock.elapsed_seconds,
        "remainingSeconds": clock.remaining_seconds,
        "running": clock.running,
    }


def _score_json(score: Score) -> dict[str, Any]:
    return {
        "home": score.home,
        "away": score.away,
        "details": [
            {"name": detail.name, "home": detail.home, "away": detail.away}
            for detail in score.details
        ],
    }


def _market_json(market: LiveMarket) -> dict[str, Any]:
    reason = market.unavailable_reason
    return {
        "market": market.market,
        "universalId": market.universal_id,
        "available": market.available,
        "unavailableReason": None if reason is None else reason.value,
        "providers": [provider.value for provider in market.providers],
        "outcomes": [
            {
                "outcome": outcome.outcome.value,
                "probabilityPpm": outcome.probability_ppm,
                "probability": probability_text(outcome.probability_ppm),
            }
            for outcome in market.outcomes
        ],
    }


def final_outcome_json(final: FinalOutcome) -> dict[str, Any]:
    return {
        "eventId": final.event_id,
        "sport": final.sport.value,
        "market": final.market,
        "outcome": final.outcome.value,
        "providers": [provider.value for provider in final.providers],
        "attestations": [_attestation_json(a) for a in final.attestations],
        "finalisedAt": final.finalised_at.isoformat(),
    }


def _attestation_json(attestation: OutcomeAttestation) -> dict[str, Any]:
    return {
        "provider": attestation.provider.value,
        "universalId": str(attestation.universal_id),
        "outcome": attestation.outcome.value,
        "timestamp": attestation.timestamp,
        "signature": base64.b64encode(attestation.signature).decode("ascii"),
    }


def dispute_json(dispute: OutcomeDispute) -> dict[str, Any]:
    final = dispute.final_outcome
    equivocating = dispute.equivocating_provider
    return {
        "eventId": dispute.event_id,
        "sport": dispute.sport.value,
        "market": dispute.market,
        "reason": dispute.reason.value,
        "votes": [
            {"outcome": outcome.value, "providers": [provider.value for provider in providers]}
            for outcome, providers in dispute.votes
        ],
        "finalOutcome": None if final is None else final.value,
        "equivocatingProvider": None if equivocating is None else equivocating.value,
        "raisedAt": dispute.raised_at.isoformat(),
    }
