"""M-of-N approval with a timelock for critical admin operations (seed 004, section 5,
"Multisig Configuration": 5 signers, 3 required; "Emergency Procedures": changes by multisig).

A proposal goes PENDING -> APPROVED (threshold reached; the timelock runs) -> EXECUTED, and
may be CANCELLED while open or become EXPIRED when it is not executed in time. Every function
here is pure: it takes a proposal and returns a new one, never touching the one it was given,
so a caller persists the result (``to_dict``) and replays deterministically. Time is always
passed in as a timezone-aware datetime.

What this module does not decide: whether a principal is an admin at all, and whether that
admin is one of the configured signers. The caller (resolver) checks that before calling; here
an "admin" is an opaque account id, and distinct ids count as distinct signers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from engine.errors import DomainError

# Seed 004, "Multisig Configuration": 3 of 5 signers.
DEFAULT_THRESHOLD = 3
DEFAULT_SIGNERS = 5
# Time for anyone to notice and cancel an approved change before it takes effect.
DEFAULT_TIMELOCK = timedelta(hours=48)
# A proposal nobody finishes within a week is stale; it must be proposed again.
DEFAULT_EXPIRY = timedelta(days=7)


class CriticalOperation(StrEnum):
    ADD_MARKET = "ADD_MARKET"
    CHANGE_FEES = "CHANGE_FEES"
    CHANGE_RISK_PARAMETERS = "CHANGE_RISK_PARAMETERS"
    WITHDRAW_INSURANCE_FUND = "WITHDRAW_INSURANCE_FUND"


class ProposalStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"  # threshold reached, waiting out the timelock
    EXECUTED = "EXECUTED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


class AuditAction(StrEnum):
    PROPOSED = "PROPOSED"
    APPROVED = "APPROVED"  # one admin's approval
    THRESHOLD_REACHED = "THRESHOLD_REACHED"
    EXECUTED = "EXECUTED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


class AlreadyApproved(DomainError):
    code = "ALREADY_APPROVED"


class ProposalClosed(DomainError):
    """Approving or executing a proposal that is executed, cancelled or expired (or, for
    approval, already past its threshold)."""

    code = "PROPOSAL_CLOSED"


class NotApproved(DomainError):
    code = "NOT_APPROVED"


class TimelockActive(DomainError):
    code = "TIMELOCK_ACTIVE"

    def __init__(self, message: str, executable_at: datetime) -> None:
        super().__init__(message)
        self.executable_at = executable_at


@dataclass(frozen=True)
class ApprovalPolicy:
    threshold: int = DEFAULT_THRESHOLD
    signers: int = DEFAULT_SIGNERS
    timelock: timedelta = DEFAULT_TIMELOCK
    expiry: timedelta = DEFAULT_EXPIRY

    def __post_init__(self) -> None:
        if not 1 <= self.threshold <= self.signers:
            raise ValueError(
                f"threshold must be between 1 and signers ({self.signers}), got {self.threshold}"
            )
        if self.timelock < timedelta(0):
            raise ValueError(f"timelock must not be negative, got {self.timelock}")
        # Otherwise an approved proposal would always expire before it could be executed.
        if self.expiry <= self.timelock:
            raise ValueError(
                f"expiry ({self.expiry}) must be longer than the timelock ({self.timelock})"
            )


DEFAULT_POLICY = ApprovalPolicy()


class Approval(NamedTuple):
    admin: str
    at: datetime


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    admin: str | None  # None when the clock, not an admin, closed the proposal (expiry)
    action: AuditAction
    detail: str


@dataclass
class Proposal:
    id: str
    operation: CriticalOperation
    parameters: dict[str, str]
    proposed_by: str
    proposed_at: datetime
    approvals: tuple[Approval, ...]
    status: ProposalStatus = ProposalStatus.PENDING
    approved_at: datetime | None = None
    executable_at: datetime | None = None
    executed_at: datetime | None = None
    executed_by: str | None = None
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    audit: list[AuditEntry] = field(default_factory=list)

    @property
    def approvers(self) -> tuple[str, ...]:
        return tuple(approval.admin for approval in self.approvals)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values; datetimes as ISO 8601 strings with their offset."""
        return {
            "id": self.id,
            "operation": self.operation.value,
            "parameters": dict(self.parameters),
            "proposed_by": self.proposed_by,
            "proposed_at": self.proposed_at.isoformat(),
            "approvals": [
                {"admin": approval.admin, "at": approval.at.isoformat()}
                for approval in self.approvals
            ],
            "status": self.status.value,
            "approved_at": _iso_or_none(self.approved_at),
            "executable_at": _iso_or_none(self.executable_at),
            "executed_at": _iso_or_none(self.executed_at),
            "executed_by": self.executed_by,
            "cancelled_at": _iso_or_none(self.cancelled_at),
            "cancelled_by": self.cancelled_by,
            "audit": [
                {
                    "at": entry.at.isoformat(),
                    "admin": entry.admin,
                    "action": entry.action.value,
                    "detail": entry.detail,
                }
                for entry in self.audit
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Proposal:
        parameters = data["parameters"]
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in parameters.items()):
            raise ValueError("proposal parameters must map strings to strings")
        return cls(
            id=str(data["id"]),
            operation=CriticalOperation(data["operation"]),
            parameters=dict(parameters),
            proposed_by=str(data["proposed_by"]),
            proposed_at=_parse_time(data["proposed_at"]),
            approvals=tuple(
                Approval(admin=str(item["admin"]), at=_parse_time(item["at"]))
                for item in data["approvals"]
            ),
            status=ProposalStatus(data["status"]),
            approved_at=_parse_time_or_none(data.get("approved_at")),
            executable_at=_parse_time_or_none(data.get("executable_at")),
            executed_at=_parse_time_or_none(data.get("executed_at")),
            executed_by=data.get("executed_by"),
            cancelled_at=_parse_time_or_none(data.get("cancelled_at")),
            cancelled_by=data.get("cancelled_by"),
            audit=[
                AuditEntry(
                    at=_parse_time(item["at"]),
                    admin=item["admin"],
                    action=AuditAction(item["action"]),
                    detail=str(item["detail"]),
                )
                for item in data["audit"]
            ],
        )


def expires_at(proposal: Proposal, policy: ApprovalPolicy = DEFAULT_POLICY) -> datetime:
    """The last instant at which the proposal may still be approved or executed."""
    return proposal.proposed_at + policy.expiry


def status_at(
    proposal: Proposal, at: datetime, policy: ApprovalPolicy = DEFAULT_POLICY
) -> ProposalStatus:
    """The stored status, except that an open proposal past its expiry reads as EXPIRED.

    An APPROVED proposal expires too: the timelock does not extend the expiry, so with the
    defaults the threshold must be reached within 5 days to leave time to execute.
    """
    _require_aware(at)
    if proposal.status in (ProposalStatus.PENDING, ProposalStatus.APPROVED) and at > expires_at(
        proposal, policy
    ):
        return ProposalStatus.EXPIRED
    return proposal.status


def propose(
    id: str,
    operation: CriticalOperation,
    parameters: Mapping[str, str],
    admin: str,
    at: datetime,
    policy: ApprovalPolicy = DEFAULT_POLICY,
) -> Proposal:
    """A new proposal; the proposer's approval counts as the first."""
    _require_aware(at)
    if not id:
        raise ValueError("proposal id must not be empty")
    proposal = Proposal(
        id=id,
        operation=CriticalOperation(operation),
        parameters=dict(parameters),
        proposed_by=admin,
        proposed_at=at,
        approvals=(),
        audit=[
            AuditEntry(
                at=at,
                admin=admin,
                action=AuditAction.PROPOSED,
                detail=f"{operation} proposed; expires at {(at + policy.expiry).isoformat()}",
            )
        ],
    )
    return _add_approval(proposal, admin, at, policy)


def approve(
    proposal: Proposal, admin: str, at: datetime, policy: ApprovalPolicy = DEFAULT_POLICY
) -> Proposal:
    """Add one admin's approval; the one that reaches the threshold starts the timelock."""
    _require_aware(at)
    status = status_at(proposal, at, policy)
    if status is not ProposalStatus.PENDING:
        raise ProposalClosed(
            f"proposal {proposal.id} is {_describe_closed(proposal, status, policy)}; "
            "it takes no more approvals"
        )
    if admin in proposal.approvers:
        raise AlreadyApproved(f"{admin} has already approved proposal {proposal.id}")
    return _add_approval(proposal, admin, at, policy)


def execute(
    proposal: Proposal, admin: str, at: datetime, policy: ApprovalPolicy = DEFAULT_POLICY
) -> Proposal:
    """Mark the proposal executed; allowed from executable_at (inclusive) until expiry.

    Any admin may execute, not only an approver: the approvals and the timelock are the
    safeguard. The caller applies the operation itself after this returns.
    """
    _require_aware(at)
    status = status_at(proposal, at, policy)
    if status is ProposalStatus.PENDING:
        raise NotApproved(
            f"proposal {proposal.id} has {len(proposal.approvals)} of {policy.threshold} "
            "required approvals"
        )
    if status is not ProposalStatus.APPROVED:
        raise ProposalClosed(
            f"proposal {proposal.id} is {_describe_closed(proposal, status, policy)}; "
            "it cannot be executed"
        )
    executable_at = proposal.executable_at
    if executable_at is None:  # an APPROVED proposal always has it; guards a corrupt record
        raise NotApproved(f"proposal {proposal.id} has no executable time")
    if at < executable_at:
        raise TimelockActive(
            f"proposal {proposal.id} is timelocked until {executable_at.isoformat()} "
            f"({_describe_duration(executable_at - at)} from now)",
            executable_at=executable_at,
        )
    return replace(
        proposal,
        status=ProposalStatus.EXECUTED,
        executed_at=at,
        executed_by=admin,
        audit=[
            *proposal.audit,
            AuditEntry(at, admin, AuditAction.EXECUTED, f"{proposal.operation} executed"),
        ],
    )


def cancel(
    proposal: Proposal,
    admin: str,
    at: datetime,
    policy: ApprovalPolicy = DEFAULT_POLICY,
    reason: str = "",
) -> Proposal:
    """Withdraw a pending proposal or veto an approved one during its timelock."""
    _require_aware(at)
    status = status_at(proposal, at, policy)
    if status not in (ProposalStatus.PENDING, ProposalStatus.APPROVED):
        raise ProposalClosed(
            f"proposal {proposal.id} is {_describe_closed(proposal, status, policy)}; "
            "there is nothing to cancel"
        )
    detail = f"cancelled while {status.value.lower()}"
    if reason:
        detail = f"{detail}: {reason}"
    return replace(
        proposal,
        status=ProposalStatus.CANCELLED,
        cancelled_at=at,
        cancelled_by=admin,
        audit=[*proposal.audit, AuditEntry(at, admin, AuditAction.CANCELLED, detail)],
    )


def expire(proposal: Proposal, at: datetime, policy: ApprovalPolicy = DEFAULT_POLICY) -> Proposal:
    """Store the lazily computed expiry (with an audit entry); unchanged if not expired.

    Optional: ``status_at`` already reads an expired proposal as EXPIRED; this lets a sweep
    make the stored record say so too.
    """
    if proposal.status is ProposalStatus.EXPIRED:
        return proposal
    if status_at(proposal, at, policy) is not ProposalStatus.EXPIRED:
        return proposal
    deadline = expires_at(proposal, policy)
    return replace(
        proposal,
        status=ProposalStatus.EXPIRED,
        audit=[
            *proposal.audit,
            AuditEntry(
                at,
                None,
                AuditAction.EXPIRED,
                f"not executed by {deadline.isoformat()} "
                f"({len(proposal.approvals)} of {policy.threshold} approvals)",
            ),
        ],
    )


def _add_approval(proposal: Proposal, admin: str, at: datetime, policy: ApprovalPolicy) -> Proposal:
    approvals = (*proposal.approvals, Approval(admin, at))
    count = len(approvals)
    audit = [
        *proposal.audit,
        AuditEntry(at, admin, AuditAction.APPROVED, f"approval {count} of {policy.threshold}"),
    ]
    if count < policy.threshold:
        return replace(proposal, approvals=approvals, audit=audit)
    executable_at = at + policy.timelock
    audit.append(
        AuditEntry(
            at,
            admin,
            AuditAction.THRESHOLD_REACHED,
            f"{count} of {policy.signers} signers approved; "
            f"executable from {executable_at.isoformat()}",
        )
    )
    return replace(
        proposal,
        approvals=approvals,
        status=ProposalStatus.APPROVED,
        approved_at=at,
        executable_at=executable_at,
        audit=audit,
    )


def _describe_closed(proposal: Proposal, status: ProposalStatus, policy: ApprovalPolicy) -> str:
    if status is ProposalStatus.EXPIRED:
        return f"expired (at {expires_at(proposal, policy).isoformat()})"
    if status is ProposalStatus.APPROVED:
        return "already approved and waiting out its timelock"
    return status.value.lower()


def _describe_duration(duration: timedelta) -> str:
    total_minutes = -(-int(duration.total_seconds()) // 60)  # round up: never say "0 minutes"
    hours, minutes = divmod(total_minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"time must be timezone-aware, got naive {at.isoformat()}")


def _iso_or_none(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    _require_aware(parsed)
    return parsed


def _parse_time_or_none(value: str | None) -> datetime | None:
    return None if value is None else _parse_time(value)
