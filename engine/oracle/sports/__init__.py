"""Live sports: provider adapters -> quorum-aggregated live events and attested final outcomes."""

from __future__ import annotations

from engine.oracle.sports.attestation import (
    AttestationBook,
    FinalOutcome,
    OutcomeAttestation,
    OutcomeDispute,
    attestation_message,
    sign_attestation,
)
from engine.oracle.sports.client import FeedResponse, HttpProviderClient, ProviderClient
from engine.oracle.sports.model import (
    EventStatus,
    GameClock,
    LiveEvent,
    LiveMarket,
    LiveOutcome,
    MarketKind,
    Outcome,
    ProviderName,
    Score,
    Sport,
    UniversalId,
)
from engine.oracle.sports.poller import PollResult, ProviderHealth
from engine.oracle.sports.service import Publish, SportsOracle, SportsOracleConfig

__all__ = [
    "AttestationBook",
    "EventStatus",
    "FeedResponse",
    "FinalOutcome",
    "GameClock",
    "HttpProviderClient",
    "LiveEvent",
    "LiveMarket",
    "LiveOutcome",
    "MarketKind",
    "Outcome",
    "OutcomeAttestation",
    "OutcomeDispute",
    "PollResult",
    "ProviderClient",
    "ProviderHealth",
    "ProviderName",
    "Publish",
    "Score",
    "Sport",
    "SportsOracle",
    "SportsOracleConfig",
    "UniversalId",
    "attestation_message",
    "sign_attestation",
]
