"""Operators: critical operations behind approvals, roles, AML flags, outbox, emergency pause."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from strawberry.scalars import JSON

from engine.accounts.approvals import Proposal
from engine.accounts.roles import Action
from engine.accounts.roles import Role as EngineRole
from engine.accounts.store import moment
from engine.errors import DomainError
from engine.store.tables import MailOutboxRow
from engine.trading import commands
from resolvers.accounts import error_of, mail_message
from resolvers.context import Info
from schema import accounts as schema
from schema.errors import UserError


async def proposals(info: Info) -> list[schema.Proposal]:
    info.context.require(Action.ADMINISTER)
    administration = info.context.venue.administration
    return [_proposal(info, p) for p in await administration.proposals()]


async def propose_operation(info: Info, operation: str, parameters: JSON) -> schema.ProposalResult:
    principal = info.context.require(Action.ADMINISTER)
    if not isinstance(parameters, dict):
        return schema.ValidationError(
            code="INVALID_PROPOSAL", message="parameters must be a JSON object"
        )
    return await _proposal_result(  # type: ignore[no-any-return]
        info,
        info.context.venue.administration.propose(principal.account_id, operation, parameters),
    )


async def approve_proposal(info: Info, id: str) -> schema.ProposalResult:
    principal = info.context.require(Action.ADMINISTER)
    return await _proposal_result(  # type: ignore[no-any-return]
        info, info.context.venue.administration.approve(principal.account_id, id)
    )


async def execute_proposal(info: Info, id: str) -> schema.ProposalResult:
    principal = info.context.require(Action.ADMINISTER)
    return await _proposal_result(  # type: ignore[no-any-return]
        info, info.context.venue.administration.execute(principal.account_id, id)
    )


async def cancel_proposal(info: Info, id: str) -> schema.ProposalResult:
    principal = info.context.require(Action.ADMINISTER)
    return await _proposal_result(  # type: ignore[no-any-return]
        info, info.context.venue.administration.cancel(principal.account_id, id)
    )


async def set_account_roles(
    info: Info, account_id: str, roles: list[schema.Role]
) -> schema.AcceptedResult:
    principal = info.context.require(Action.ADMINISTER)
    try:
        await info.context.venue.administration.set_roles(
            principal.account_id,
            account_id,
            [EngineRole(r.value) for r in roles],
            info.context.meta,
        )
    except DomainError as refusal:
        return error_of(refusal)  # type: ignore[return-value]
    info.context.venue.keys.forget_account(account_id)
    return schema.Accepted(message="roles changed; the account must sign in again")


async def set_account_tiers(
    info: Info,
    account_id: str,
    tier: schema.RateTier | None = None,
    kyc_tier: schema.KycTier | None = None,
) -> schema.AcceptedResult:
    principal = info.context.require(Action.ADMINISTER)
    try:
        await info.context.venue.administration.set_tiers(
            principal.account_id,
            account_id,
            None if tier is None else tier.value,
            None if kyc_tier is None else kyc_tier.value,
            info.context.meta,
        )
    except DomainError as refusal:
        return error_of(refusal)  # type: ignore[return-value]
    info.context.venue.keys.forget_account(account_id)
    return schema.Accepted(message="tiers changed; the account must sign in again")


async def aml_flags(info: Info) -> list[schema.AmlFlag]:
    info.context.require(Action.ADMINISTER)
    return [
        schema.AmlFlag(
            id=str(row.id),
            account_id=row.account_id,
            rule=row.rule,
            detail=row.detail,
            raised_at=moment(row.raised_at) or info.context.venue.clock.now(),
            resolved_at=moment(row.resolved_at),
        )
        for row in await info.context.venue.funds.open_flags()
    ]


async def resolve_aml_flag(info: Info, id: str) -> schema.AcceptedResult:
    principal = info.context.require(Action.ADMINISTER)
    if not id.isdigit() or not await info.context.venue.funds.resolve_flag(
        int(id), principal.account_id
    ):
        return schema.NotFoundError(code="NOT_FOUND", message="no open flag with that id")
    return schema.Accepted(message="flag resolved")


async def mail_outbox(info: Info, limit: int = 50) -> list[schema.MailMessage]:
    info.context.require(Action.ADMINISTER)
    rows = await info.context.venue.accounts.store.many(
        MailOutboxRow, newest_first="id", limit=max(1, min(limit, 200))
    )
    return [mail_message(row) for row in rows]


async def set_emergency_pause(info: Info, level: int, reason: str) -> schema.AcceptedResult:
    """The Emergency role pauses at once (seed 004); lifting (level 0) is theirs too."""
    principal = info.context.require(Action.EMERGENCY_PAUSE)
    venue = info.context.venue
    note = f"{reason[:200]} (by {principal.account_id})"
    outcome = await venue.submit(commands.SetEmergencyPause(level, note, venue.clock.now()))
    if not outcome.accepted:
        return schema.ValidationError(
            code=outcome.code or "REFUSED", message=outcome.message or "refused"
        )
    return schema.Accepted(message=f"the venue is at pause level {level}")


async def _proposal_result(info: Info, action: Awaitable[Proposal]) -> Any:
    try:
        proposal = await action
    except DomainError as refusal:
        error: UserError = error_of(refusal)
        return error
    return _proposal(info, proposal)


def _proposal(info: Info, proposal: Proposal) -> schema.Proposal:
    administration = info.context.venue.administration
    return schema.Proposal(
        id=proposal.id,
        operation=proposal.operation.value,
        parameters=dict(proposal.parameters),  # type: ignore[arg-type]
        status=administration.status(proposal),
        proposed_by=proposal.proposed_by,
        proposed_at=proposal.proposed_at,
        approvals=[schema.ProposalApproval(admin=a.admin, at=a.at) for a in proposal.approvals],
        approvals_needed=administration.policy.threshold,
        executable_at=proposal.executable_at,
        executed_at=proposal.executed_at,
        audit=[
            schema.AuditEntry(at=e.at, admin=e.admin, action=e.action.value, detail=e.detail)
            for e in proposal.audit
        ],
    )
