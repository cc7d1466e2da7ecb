"""Signed outcome attestations: the exact message, signatures, quorum, disputes, replays."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from engine.oracle.sports.attestation import (
    AttestationBook,
    AttestationVerdict,
    DisputeReason,
    OutcomeAttestation,
    attestation_message,
    sign_attestation,
)
from engine.oracle.sports.model import (
    InvalidAttestation,
    Outcome,
    ProviderName,
    Sport,
    UniversalId,
)

NOW = datetime(2026, 1, 1, 14, tzinfo=UTC)
EVENT = "20260101T120000Z-northport-united-v-eastham-rovers"
SETTLED_AT = 1767276000
KEYS = {provider: Ed25519PrivateKey.generate() for provider in ProviderName}
DK, FD, MGM, CZR, PB = (
    ProviderName.DRAFTKINGS,
    ProviderName.FANDUEL,
    ProviderName.BETMGM,
    ProviderName.CAESARS,
    ProviderName.POINTSBET,
)


def attest(
    provider: ProviderName, outcome: Outcome, market: str = "MATCH_WINNER"
) -> OutcomeAttestation:
    return sign_attestation(
        KEYS[provider], provider, Sport.SOCCER, EVENT, market, outcome, SETTLED_AT
    )


def book() -> AttestationBook:
    return AttestationBook({provider: key.public_key() for provider, key in KEYS.items()})


def test_the_signed_message_is_length_prefixed_fields_and_a_timestamp() -> None:
    message = attestation_message(
        "DRAFTKINGS:SOCCER:e1:MATCH_WINNER:1767276000", "MATCH_WINNER", "HOME", 1767276000
    )
    assert message == (
        b"\x00\x00\x00\x18godark.sports.outcome.v1"
        b"\x00\x00\x00\x2cDRAFTKINGS:SOCCER:e1:MATCH_WINNER:1767276000"
        b"\x00\x00\x00\x0cMATCH_WINNER"
        b"\x00\x00\x00\x04HOME"
        b"\x00\x00\x00\x00\x69\x56\x7d\xe0"
    )


def test_a_signature_verifies_only_with_the_signers_key_and_message() -> None:
    attestation = attest(DK, Outcome.HOME)
    assert str(attestation.universal_id) == f"DRAFTKINGS:SOCCER:{EVENT}:MATCH_WINNER:{SETTLED_AT}"
    assert attestation.verify(KEYS[DK].public_key())
    assert not attestation.verify(KEYS[FD].public_key())
    assert not replace(attestation, outcome=Outcome.AWAY).verify(KEYS[DK].public_key())


def test_three_agreeing_signatures_make_an_outcome_final() -> None:
    attestations = book()
    first = attestations.submit(attest(DK, Outcome.HOME), NOW)
    second = attestations.submit(attest(FD, Outcome.HOME), NOW)
    assert (first.final, second.final) == (None, None)
    assert attestations.final_outcome(EVENT, "MATCH_WINNER") is None
    third = attestations.submit(attest(CZR, Outcome.HOME), NOW)
    assert third.verdict is AttestationVerdict.ACCEPTED
    assert third.final is not None
    assert third.final.outcome is Outcome.HOME
    assert third.final.providers == (CZR, DK, FD)
    assert attestations.final_outcome(EVENT, "MATCH_WINNER") == third.final
    # A fourth agreeing provider changes nothing: final is announced once.
    assert attestations.submit(attest(PB, Outcome.HOME), NOW).final is None


def test_two_agreeing_signatures_are_not_final() -> None:
    attestations = book()
    attestations.submit(attest(DK, Outcome.HOME), NOW)
    attestations.submit(attest(FD, Outcome.HOME), NOW)
    assert attestations.final_outcome(EVENT, "MATCH_WINNER") is None


def test_a_forged_signature_is_rejected_and_counted() -> None:
    attestations = book()
    forged_by_other_key = sign_attestation(
        KEYS[PB], DK, Sport.SOCCER, EVENT, "MATCH_WINNER", Outcome.HOME, SETTLED_AT
    )
    tampered = replace(attest(FD, Outcome.HOME), signature=bytes(64))
    for forged in (forged_by_other_key, tampered):
        assert attestations.submit(forged, NOW).verdict is AttestationVerdict.INVALID_SIGNATURE
    assert attestations.rejected_signatures == 2
    # The forgeries did not vote: two real signatures are still not a quorum.
    attestations.submit(attest(MGM, Outcome.HOME), NOW)
    attestations.submit(attest(CZR, Outcome.HOME), NOW)
    assert attestations.final_outcome(EVENT, "MATCH_WINNER") is None


def test_a_provider_without_a_key_cannot_vote() -> None:
    attestations = AttestationBook({DK: KEYS[DK].public_key()})
    assert attestations.submit(attest(FD, Outcome.HOME), NOW).verdict is (
        AttestationVerdict.UNKNOWN_PROVIDER
    )


def test_disagreement_raises_a_dispute_for_the_admin_queue() -> None:
    attestations = book()
    attestations.submit(attest(DK, Outcome.HOME), NOW)
    decision = attestations.submit(attest(FD, Outcome.AWAY), NOW)
    assert decision.verdict is AttestationVerdict.ACCEPTED
    assert decision.dispute is not None
    assert decision.dispute.reason is DisputeReason.PROVIDERS_DISAGREE
    assert decision.dispute.votes == ((Outcome.AWAY, (FD,)), (Outcome.HOME, (DK,)))
    assert decision.dispute.final_outcome is None
    assert attestations.disputes == [decision.dispute]


def test_a_dissent_after_finality_is_still_reported() -> None:
    attestations = book()
    for provider in (DK, FD, MGM):
        attestations.submit(attest(provider, Outcome.HOME), NOW)
    decision = attestations.submit(attest(PB, Outcome.DRAW), NOW)
    assert decision.dispute is not None
    assert decision.dispute.final_outcome is Outcome.HOME
    final = attestations.final_outcome(EVENT, "MATCH_WINNER")
    assert final is not None and final.outcome is Outcome.HOME


def test_replaying_an_attestation_is_idempotent() -> None:
    attestations = book()
    home = attest(DK, Outcome.HOME)
    for _ in range(3):
        attestations.submit(home, NOW)
    assert attestations.duplicates == 2
    attestations.submit(attest(FD, Outcome.HOME), NOW)
    assert attestations.final_outcome(EVENT, "MATCH_WINNER") is None  # DK counted once
    decision = attestations.submit(attest(MGM, Outcome.HOME), NOW)
    assert decision.final is not None
    assert attestations.submit(home, NOW).verdict is AttestationVerdict.DUPLICATE


def test_a_provider_signing_two_outcomes_is_flagged_once_and_its_first_stands() -> None:
    attestations = book()
    attestations.submit(attest(DK, Outcome.HOME), NOW)
    flip = attest(DK, Outcome.AWAY)
    decision = attestations.submit(flip, NOW)
    assert decision.verdict is AttestationVerdict.EQUIVOCATION
    assert decision.dispute is not None
    assert decision.dispute.equivocating_provider is DK
    assert attestations.submit(flip, NOW).verdict is AttestationVerdict.DUPLICATE
    assert len(attestations.disputes) == 1
    attestations.submit(attest(FD, Outcome.HOME), NOW)
    assert attestations.submit(attest(MGM, Outcome.HOME), NOW).final is not None


def test_markets_are_finalised_independently() -> None:
    attestations = book()
    for provider in (DK, FD, MGM):
        attestations.submit(attest(provider, Outcome.UNDER, "TOTAL_GOALS_2.5"), NOW)
    assert attestations.final_outcome(EVENT, "TOTAL_GOALS_2.5") is not None
    assert attestations.final_outcome(EVENT, "MATCH_WINNER") is None


@pytest.mark.parametrize(
    "change",
    [
        {"market": "NEXT_GOAL"},  # disagrees with the universal id
        {"timestamp": SETTLED_AT + 1},
        {"provider": FD},
        {"outcome": Outcome.OVER},  # not an outcome of a match result
        {"signature": b"short"},
    ],
)
def test_inconsistent_attestations_cannot_be_built(change: dict[str, Any]) -> None:
    with pytest.raises(InvalidAttestation):
        replace(attest(DK, Outcome.HOME), **change)


def test_the_universal_id_carries_the_provider_so_a_signature_cannot_be_borrowed() -> None:
    borrowed = attest(DK, Outcome.HOME)
    uid = UniversalId(FD, Sport.SOCCER, EVENT, "MATCH_WINNER", SETTLED_AT)
    as_fanduel = OutcomeAttestation(
        FD, uid, "MATCH_WINNER", Outcome.HOME, SETTLED_AT, borrowed.signature
    )
    assert not as_fanduel.verify(KEYS[FD].public_key())
    assert not as_fanduel.verify(KEYS[DK].public_key())


def test_only_a_new_outcome_raises_a_dispute_more_votes_only_change_the_tally() -> None:
    attestations = book()
    attestations.submit(attest(DK, Outcome.HOME), NOW)
    assert attestations.submit(attest(FD, Outcome.AWAY), NOW).dispute is not None
    assert attestations.submit(attest(MGM, Outcome.HOME), NOW).dispute is None
    third_outcome = attestations.submit(attest(PB, Outcome.DRAW), NOW).dispute
    assert third_outcome is not None
    assert [outcome for outcome, _ in third_outcome.votes] == [
        Outcome.AWAY,
        Outcome.DRAW,
        Outcome.HOME,
    ]
    assert len(attestations.disputes) == 2
