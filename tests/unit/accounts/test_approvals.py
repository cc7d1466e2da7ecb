"""M-of-N approvals with a timelock for critical admin operations."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from engine.accounts.approvals import (
    AlreadyApproved,
    ApprovalPolicy,
    AuditAction,
    CriticalOperation,
    NotApproved,
    Proposal,
    ProposalClosed,
    ProposalStatus,
    TimelockActive,
    approve,
    cancel,
    execute,
    expire,
    propose,
    status_at,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
POLICY = ApprovalPolicy()  # 3 of 5, 48 h timelock, 7 days expiry


def new_proposal() -> Proposal:
    return propose(
        "p-1",
        CriticalOperation.CHANGE_FEES,
        {"symbol": "BTC-PERP", "taker_fee_bps": "5"},
        "alice",
        T0,
        POLICY,
    )


def approved_proposal() -> Proposal:
    proposal = approve(new_proposal(), "bob", T0 + timedelta(hours=1), POLICY)
    return approve(proposal, "carol", T0 + timedelta(hours=2), POLICY)


def test_three_of_five_is_approved_only_on_the_third_distinct_admin() -> None:
    proposal = new_proposal()
    assert proposal.status is ProposalStatus.PENDING
    assert proposal.approvers == ("alice",)

    proposal = approve(proposal, "bob", T0 + timedelta(hours=1), POLICY)
    assert proposal.status is ProposalStatus.PENDING
    assert proposal.approved_at is None
    assert proposal.executable_at is None

    third_at = T0 + timedelta(hours=2)
    proposal = approve(proposal, "carol", third_at, POLICY)
    assert proposal.status is ProposalStatus.APPROVED
    assert proposal.approvers == ("alice", "bob", "carol")
    assert proposal.approved_at == third_at
    assert proposal.executable_at == third_at + timedelta(hours=48)


def test_transitions_leave_the_given_proposal_untouched() -> None:
    original = new_proposal()
    approve(original, "bob", T0 + timedelta(hours=1), POLICY)
    assert original.approvers == ("alice",)
    assert len(original.audit) == 2


def test_second_approval_by_the_same_admin_is_refused() -> None:
    proposal = approve(new_proposal(), "bob", T0 + timedelta(hours=1), POLICY)
    with pytest.raises(AlreadyApproved) as refused:
        approve(proposal, "bob", T0 + timedelta(hours=2), POLICY)
    assert refused.value.code == "ALREADY_APPROVED"
    # The proposer's own approval already counts.
    with pytest.raises(AlreadyApproved):
        approve(proposal, "alice", T0 + timedelta(hours=2), POLICY)


def test_approving_past_the_threshold_is_refused_as_closed() -> None:
    with pytest.raises(ProposalClosed) as refused:
        approve(approved_proposal(), "dave", T0 + timedelta(hours=3), POLICY)
    assert refused.value.code == "PROPOSAL_CLOSED"


def test_execution_refused_before_approval() -> None:
    proposal = approve(new_proposal(), "bob", T0 + timedelta(hours=1), POLICY)
    with pytest.raises(NotApproved) as refused:
        execute(proposal, "alice", T0 + timedelta(days=3), POLICY)
    assert refused.value.code == "NOT_APPROVED"
    assert "2 of 3" in refused.value.message


def test_execution_refused_during_timelock_and_says_when() -> None:
    proposal = approved_proposal()
    assert proposal.executable_at is not None
    one_second_early = proposal.executable_at - timedelta(seconds=1)
    with pytest.raises(TimelockActive) as refused:
        execute(proposal, "dave", one_second_early, POLICY)
    assert refused.value.code == "TIMELOCK_ACTIVE"
    assert refused.value.executable_at == proposal.executable_at
    assert proposal.executable_at.isoformat() in refused.value.message


def test_execution_allowed_exactly_at_executable_at() -> None:
    proposal = approved_proposal()
    assert proposal.executable_at is not None
    executed = execute(proposal, "dave", proposal.executable_at, POLICY)
    assert executed.status is ProposalStatus.EXECUTED
    assert executed.executed_at == proposal.executable_at
    assert executed.executed_by == "dave"
    # Executing twice is refused.
    with pytest.raises(ProposalClosed):
        execute(executed, "dave", proposal.executable_at + timedelta(hours=1), POLICY)


def test_pending_proposal_expires_after_expiry_but_not_at_it() -> None:
    proposal = approve(new_proposal(), "bob", T0 + timedelta(hours=1), POLICY)
    deadline = T0 + timedelta(days=7)
    assert status_at(proposal, deadline, POLICY) is ProposalStatus.PENDING
    approve(proposal, "carol", deadline, POLICY)  # still accepted at the deadline

    late = deadline + timedelta(seconds=1)
    assert status_at(proposal, late, POLICY) is ProposalStatus.EXPIRED
    with pytest.raises(ProposalClosed) as refused:
        approve(proposal, "carol", late, POLICY)
    assert "expired" in refused.value.message


def test_approved_but_unexecuted_proposal_expires() -> None:
    proposal = approved_proposal()
    late = T0 + timedelta(days=7, seconds=1)
    assert status_at(proposal, late, POLICY) is ProposalStatus.EXPIRED
    with pytest.raises(ProposalClosed):
        execute(proposal, "dave", late, POLICY)


def test_executed_proposal_never_expires() -> None:
    proposal = approved_proposal()
    assert proposal.executable_at is not None
    executed = execute(proposal, "dave", proposal.executable_at, POLICY)
    assert status_at(executed, T0 + timedelta(days=30), POLICY) is ProposalStatus.EXECUTED


def test_expire_stores_the_expiry_with_an_audit_entry() -> None:
    proposal = new_proposal()
    assert expire(proposal, T0 + timedelta(days=7), POLICY) is proposal
    expired = expire(proposal, T0 + timedelta(days=8), POLICY)
    assert expired.status is ProposalStatus.EXPIRED
    assert expired.audit[-1].action is AuditAction.EXPIRED
    assert expired.audit[-1].admin is None


def test_cancel_during_timelock_vetoes_execution() -> None:
    proposal = approved_proposal()
    cancelled = cancel(proposal, "erin", T0 + timedelta(hours=3), POLICY, reason="fee typo")
    assert cancelled.status is ProposalStatus.CANCELLED
    assert cancelled.cancelled_by == "erin"
    assert "fee typo" in cancelled.audit[-1].detail
    assert proposal.executable_at is not None
    with pytest.raises(ProposalClosed):
        execute(cancelled, "dave", proposal.executable_at, POLICY)
    with pytest.raises(ProposalClosed):
        approve(cancelled, "dave", T0 + timedelta(hours=4), POLICY)
    with pytest.raises(ProposalClosed):
        cancel(cancelled, "dave", T0 + timedelta(hours=4), POLICY)


def test_audit_records_every_transition_in_order() -> None:
    proposal = approved_proposal()
    assert proposal.executable_at is not None
    executed = execute(proposal, "dave", proposal.executable_at, POLICY)
    assert [(entry.admin, entry.action) for entry in executed.audit] == [
        ("alice", AuditAction.PROPOSED),
        ("alice", AuditAction.APPROVED),
        ("bob", AuditAction.APPROVED),
        ("carol", AuditAction.APPROVED),
        ("carol", AuditAction.THRESHOLD_REACHED),
        ("dave", AuditAction.EXECUTED),
    ]


def test_single_signer_policy_is_approved_on_proposal() -> None:
    policy = ApprovalPolicy(threshold=1, signers=1)
    proposal = propose("p-2", CriticalOperation.ADD_MARKET, {}, "alice", T0, policy)
    assert proposal.status is ProposalStatus.APPROVED
    assert proposal.executable_at == T0 + policy.timelock


@pytest.mark.parametrize(("threshold", "signers"), [(0, 5), (6, 5), (-1, 0)])
def test_policy_threshold_must_be_within_signers(threshold: int, signers: int) -> None:
    with pytest.raises(ValueError, match="threshold"):
        ApprovalPolicy(threshold=threshold, signers=signers)


def test_policy_expiry_must_outlast_timelock() -> None:
    with pytest.raises(ValueError, match="expiry"):
        ApprovalPolicy(timelock=timedelta(days=7), expiry=timedelta(days=7))


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        approve(new_proposal(), "bob", datetime(2026, 11, 2, 10, 0), POLICY)  # noqa: DTZ001


def test_json_round_trip_preserves_everything() -> None:
    proposal = approved_proposal()
    assert proposal.executable_at is not None
    executed = execute(proposal, "dave", proposal.executable_at, POLICY)
    for original in (new_proposal(), proposal, executed):
        restored = Proposal.from_dict(json.loads(json.dumps(original.to_dict())))
        assert restored == original


def test_restored_proposal_keeps_working() -> None:
    stored = json.dumps(approve(new_proposal(), "bob", T0 + timedelta(hours=1), POLICY).to_dict())
    restored = Proposal.from_dict(json.loads(stored))
    with pytest.raises(AlreadyApproved):
        approve(restored, "bob", T0 + timedelta(hours=2), POLICY)
    assert approve(restored, "carol", T0 + timedelta(hours=2), POLICY).status is (
        ProposalStatus.APPROVED
    )
