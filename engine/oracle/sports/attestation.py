"""Signed outcome attestations: the canonical message, ed25519 checks, finality and disputes."""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from engine.oracle.sports.model import (
    InvalidAttestation,
    Outcome,
    ProviderName,
    Sport,
    UniversalId,
    market_outcomes,
    parse_market_id,
)

# Domain separation: a signature over this message can never be mistaken for a signature
# over anything else the same key signs.
ATTESTATION_DOMAIN = "godark.sports.outcome.v1"
ED25519_SIGNATURE_BYTES = 64
# Seed 000, Provider Priority & Aggregation: three providers make a quorum.
ATTESTATION_QUORUM = 3


def attestation_message(universal_id: str, market: str, outcome: str, timestamp: int) -> bytes:
    """The exact bytes a provider signs.

    Each text field is UTF-8 preceded by its length as 4 bytes big-endian, in the order
    domain, universal id, market, outcome; then the timestamp (unix seconds) as 8 bytes
    big-endian. Length prefixes make the encoding unambiguous whatever the fields contain.
    """
    parts = [_length_prefixed(text) for text in (ATTESTATION_DOMAIN, universal_id, market, outcome)]
    return b"".join(parts) + struct.pack(">Q", timestamp)


def _length_prefixed(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack(">I", len(data)) + data


@dataclass(frozen=True, slots=True)
class OutcomeAttestation:
    """A provider's signed statement of the final outcome of one event market."""

    provider: ProviderName
    universal_id: UniversalId
    market: str
    outcome: Outcome
    timestamp: int
    signature: bytes

    def __post_init__(self) -> None:
        uid = self.universal_id
        if uid.provider != self.provider or uid.market != self.market:
            raise InvalidAttestation(f"universal id {uid} does not match the attestation")
        if uid.timestamp != self.timestamp:
            raise InvalidAttestation(f"universal id {uid} has another timestamp")
        kind, _ = parse_market_id(self.market)
        if self.outcome not in market_outcomes(uid.sport, kind):
            raise InvalidAttestation(f"{self.outcome} is not an outcome of {self.market}")
        if len(self.signature) != ED25519_SIGNATURE_BYTES:
            raise InvalidAttestation("an ed25519 signature is 64 bytes")

    @property
    def sport(self) -> Sport:
        return self.universal_id.sport

    @property
    def event_id(self) -> str:
        return self.universal_id.event_id

    @property
    def signed_at(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp, UTC)

    def message(self) -> bytes:
        return attestation_message(
            str(self.universal_id), self.market, self.outcome, self.timestamp
        )

    def verify(self, key: Ed25519PublicKey) -> bool:
        try:
            key.verify(self.signature, self.message())
        except InvalidSignature:
            return False
        return True


def sign_attestation(
    key: Ed25519PrivateKey,
    provider: ProviderName,
    sport: Sport,
    event_id: str,
    market: str,
    outcome: Outcome,
    timestamp: int,
) -> OutcomeAttestation:
    uid = UniversalId(provider, sport, event_id, market, timestamp)
    signature = key.sign(attestation_message(str(uid), market, outcome, timestamp))
    return OutcomeAttestation(provider, uid, market, outcome, timestamp, signature)


# -- finality ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FinalOutcome:
    event_id: str
    sport: Sport
    market: str
    outcome: Outcome
    providers: tuple[ProviderName, ...]
    attestations: tuple[OutcomeAttestation, ...]
    finalised_at: datetime


class DisputeReason(StrEnum):
    PROVIDERS_DISAGREE = "PROVIDERS_DISAGREE"
    PROVIDER_EQUIVOCATED = "PROVIDER_EQUIVOCATED"  # one provider signed two outcomes


@dataclass(frozen=True, slots=True)
class OutcomeDispute:
    """For the admin queue: who attested what for an event market."""

    event_id: str
    sport: Sport
    market: str
    reason: DisputeReason
    votes: tuple[tuple[Outcome, tuple[ProviderName, ...]], ...]
    final_outcome: Outcome | None  # an outcome already final despite the dissent
    raised_at: datetime
    equivocating_provider: ProviderName | None = None


class AttestationVerdict(StrEnum):
    ACCEPTED = "ACCEPTED"
    DUPLICATE = "DUPLICATE"  # a replay, or the same provider repeating its outcome
    INVALID_SIGNATURE = "INVALID_SIGNATURE"
    UNKNOWN_PROVIDER = "UNKNOWN_PROVIDER"
    EQUIVOCATION = "EQUIVOCATION"


@dataclass(frozen=True, slots=True)
class AttestationDecision:
    verdict: AttestationVerdict
    final: FinalOutcome | None = None  # set only by the attestation that made it final
    dispute: OutcomeDispute | None = None


@dataclass
class _MarketVotes:
    sport: Sport
    last_vote_at: datetime
    votes: dict[ProviderName, OutcomeAttestation] = field(default_factory=dict)
    equivocations: set[tuple[ProviderName, Outcome]] = field(default_factory=set)
    final: FinalOutcome | None = None


class AttestationBook:
    """Collects verified attestations per (event, market) and decides finality."""

    def __init__(
        self, keys: Mapping[ProviderName, Ed25519PublicKey], quorum: int = ATTESTATION_QUORUM
    ) -> None:
        self._keys = dict(keys)
        self._quorum = quorum
        self._markets: dict[tuple[str, str], _MarketVotes] = {}
        self.rejected_signatures = 0
        self.duplicates = 0
        self.disputes: list[OutcomeDispute] = []

    def final_outcome(self, event_id: str, market: str) -> FinalOutcome | None:
        votes = self._markets.get((event_id, market))
        return None if votes is None else votes.final

    def submit(self, attestation: OutcomeAttestation, now: datetime) -> AttestationDecision:
        key = self._keys.get(attestation.provider)
        if key is None:
            return AttestationDecision(AttestationVerdict.UNKNOWN_PROVIDER)
        # Verify before anything else: a forged copy of a known attestation is a forgery,
        # not a harmless duplicate.
        if not attestation.verify(key):
            self.rejected_signatures += 1
            return AttestationDecision(AttestationVerdict.INVALID_SIGNATURE)
        market = self._market(attestation, now)
        previous = market.votes.get(attestation.provider)
        if previous is not None:
            return self._repeat(attestation, previous, market, now)
        # A dispute is raised when a vote brings an outcome nobody attested before; more
        # votes for outcomes already on the table only change the tally.
        seen = {vote.outcome for vote in market.votes.values()}
        market.votes[attestation.provider] = attestation
        dispute = None
        if seen and attestation.outcome not in seen:
            dispute = self._raise(attestation, market, DisputeReason.PROVIDERS_DISAGREE, now)
        final = self._finalise_if_quorum(attestation, market, now)
        return AttestationDecision(AttestationVerdict.ACCEPTED, final, dispute)

    def _market(self, attestation: OutcomeAttestation, now: datetime) -> _MarketVotes:
        key = (attestation.event_id, attestation.market)
        market = self._markets.get(key)
        if market is None:
            market = self._markets[key] = _MarketVotes(attestation.sport, now)
        market.last_vote_at = now
        return market

    def _repeat(
        self,
        attestation: OutcomeAttestation,
        previous: OutcomeAttestation,
        market: _MarketVotes,
        now: datetime,
    ) -> AttestationDecision:
        contradiction = (attestation.provider, attestation.outcome)
        if previous.outcome is attestation.outcome or contradiction in market.equivocations:
            self.duplicates += 1
            return AttestationDecision(AttestationVerdict.DUPLICATE)
        market.equivocations.add(contradiction)
        # The first signed outcome stands; the contradiction is for a human to look at.
        dispute = self._raise(
            attestation, market, DisputeReason.PROVIDER_EQUIVOCATED, now, attestation.provider
        )
        return AttestationDecision(AttestationVerdict.EQUIVOCATION, dispute=dispute)

    def _finalise_if_quorum(
        self, attestation: OutcomeAttestation, market: _MarketVotes, now: datetime
    ) -> FinalOutcome | None:
        if market.final is not None:
            return None
        agreeing = [v for v in market.votes.values() if v.outcome is attestation.outcome]
        if len(agreeing) < self._quorum:
            return None
        agreeing.sort(key=lambda vote: vote.provider)
        market.final = FinalOutcome(
            event_id=attestation.event_id,
            sport=attestation.sport,
            market=attestation.market,
            outcome=attestation.outcome,
            providers=tuple(vote.provider for vote in agreeing),
            attestations=tuple(agreeing),
            finalised_at=now,
        )
        return market.final

    def _raise(
        self,
        attestation: OutcomeAttestation,
        market: _MarketVotes,
        reason: DisputeReason,
        now: datetime,
        equivocating: ProviderName | None = None,
    ) -> OutcomeDispute:
        tally: dict[Outcome, list[ProviderName]] = {}
        for vote in market.votes.values():
            tally.setdefault(vote.outcome, []).append(vote.provider)
        if equivocating is not None:
            tally.setdefault(attestation.outcome, []).append(equivocating)
        dispute = OutcomeDispute(
            event_id=attestation.event_id,
            sport=attestation.sport,
            market=attestation.market,
            reason=reason,
            votes=tuple(
                (outcome, tuple(sorted(providers))) for outcome, providers in sorted(tally.items())
            ),
            final_outcome=None if market.final is None else market.final.outcome,
            raised_at=now,
            equivocating_provider=equivocating,
        )
        self.disputes.append(dispute)
        return dispute

    def forget_before(self, cutoff: datetime) -> None:
        """Drop markets last attested before `cutoff`, so a long-running venue stays bounded."""
        for key, market in list(self._markets.items()):
            if market.last_vote_at < cutoff:
                del self._markets[key]
        self.disputes = [d for d in self.disputes if d.raised_at >= cutoff]
