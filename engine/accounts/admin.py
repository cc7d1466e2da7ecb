"""Operators' powers: roles, and critical operations behind M-of-N approval and a timelock.

Every proposal keeps its own audit trail (who proposed, approved, executed or cancelled,
and when); role changes are written to the target account's activity log.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping

from engine.accounts import approvals
from engine.accounts.approvals import ApprovalPolicy, CriticalOperation, Proposal
from engine.accounts.compliance import KycTier
from engine.accounts.emails import normalise_email
from engine.accounts.ratelimit import Tier
from engine.accounts.roles import Role, format_roles
from engine.accounts.service import AccountService, RequestMeta
from engine.accounts.store import AccountStore
from engine.accounts.tokens import new_id
from engine.clock import Clock
from engine.errors import DomainError
from engine.store.database import Database
from engine.store.tables import AccountRow, ActivityRow, AdminProposalRow, AuthSessionRow

MAX_PARAMETERS = 20
MAX_PARAMETER_LENGTH = 200

# Applies an executed operation to the venue; raises a DomainError when it cannot.
Executor = Callable[[CriticalOperation, Mapping[str, str]], Awaitable[None]]


class ProposalNotFound(DomainError):
    code = "NOT_FOUND"


class InvalidProposal(DomainError):
    code = "INVALID_PROPOSAL"


class Administration:
    def __init__(
        self, accounts: AccountService, policy: ApprovalPolicy, executor: Executor
    ) -> None:
        self._accounts = accounts
        self._database = accounts.database
        self._clock = accounts.clock
        self.policy = policy
        self._executor = executor

    async def propose(
        self, admin: str, operation: str, parameters: Mapping[str, object]
    ) -> Proposal:
        try:
            kind = CriticalOperation(operation)
        except ValueError:
            known = ", ".join(o.value for o in CriticalOperation)
            raise InvalidProposal(f"unknown operation {operation[:40]!r}; one of {known}") from None
        proposal = approvals.propose(
            new_id("prp"), kind, _clean(parameters), admin, self._clock.now(), self.policy
        )
        async with self._database.transaction() as connection:
            await AccountStore.insert(
                connection,
                AdminProposalRow,
                id=proposal.id,
                operation=proposal.operation.value,
                status=proposal.status.value,
                state=json.dumps(proposal.to_dict()),
                created_at=proposal.proposed_at,
            )
        return proposal

    async def approve(self, admin: str, proposal_id: str) -> Proposal:
        proposal = await self._load(proposal_id)
        return await self._save(approvals.approve(proposal, admin, self._clock.now(), self.policy))

    async def execute(self, admin: str, proposal_id: str) -> Proposal:
        proposal = await self._load(proposal_id)
        executed = approvals.execute(proposal, admin, self._clock.now(), self.policy)
        # Applied first: a refusal leaves the proposal approved, to fix and retry.
        await self._executor(executed.operation, executed.parameters)
        return await self._save(executed)

    async def cancel(self, admin: str, proposal_id: str) -> Proposal:
        proposal = await self._load(proposal_id)
        return await self._save(approvals.cancel(proposal, admin, self._clock.now(), self.policy))

    async def proposals(self) -> list[Proposal]:
        rows = await self._accounts.store.many(
            AdminProposalRow, newest_first="created_at", limit=200
        )
        return [Proposal.from_dict(json.loads(row.state)) for row in rows]

    def status(self, proposal: Proposal) -> str:
        return approvals.status_at(proposal, self._clock.now(), self.policy).value

    async def set_roles(
        self, admin: str, account_id: str, roles: Iterable[Role], meta: RequestMeta
    ) -> None:
        """Roles take effect at the account's next sign-in; its sessions end now."""
        chosen = set(roles) | {Role.USER}
        await self._accounts.account(account_id)
        async with self._database.transaction() as connection:
            await AccountStore.update(
                connection, AccountRow, {"id": account_id}, roles=format_roles(chosen)
            )
        await self._accounts.log_event(
            account_id, "ROLES_CHANGED", meta, f"{format_roles(chosen)} by {admin}"
        )
        await self._accounts.logout_everywhere(account_id, meta)

    async def set_tiers(
        self,
        admin: str,
        account_id: str,
        tier: str | None,
        kyc_tier: str | None,
        meta: RequestMeta,
    ) -> None:
        """A rate-limit tier (e.g. MARKET_MAKER after an approved application) and a KYC
        tier (after verification by the KYC provider); sessions end so tokens carry it."""
        changes: dict[str, str] = {}
        if tier is not None:
            changes["tier"] = Tier(tier).value
        if kyc_tier is not None:
            changes["kyc_tier"] = KycTier(kyc_tier).value
        if not changes:
            return
        await self._accounts.account(account_id)
        async with self._database.transaction() as connection:
            await AccountStore.update(connection, AccountRow, {"id": account_id}, **changes)
        detail = " ".join(f"{k}={v}" for k, v in sorted(changes.items()))
        await self._accounts.log_event(account_id, "TIERS_CHANGED", meta, f"{detail} by {admin}")
        await self._accounts.logout_everywhere(account_id, meta)

    async def _load(self, proposal_id: str) -> Proposal:
        row = await self._accounts.store.one(AdminProposalRow, id=proposal_id[:32])
        if row is None:
            raise ProposalNotFound("no such proposal")
        return Proposal.from_dict(json.loads(row.state))

    async def _save(self, proposal: Proposal) -> Proposal:
        async with self._database.transaction() as connection:
            await AccountStore.update(
                connection,
                AdminProposalRow,
                {"id": proposal.id},
                status=proposal.status.value,
                state=json.dumps(proposal.to_dict()),
            )
        return proposal


async def grant_roles(database: Database, clock: Clock, email: str, roles: Iterable[Role]) -> str:
    """The operator's shell bootstrap (`godark accounts grant-role`): the first admins cannot
    be approved by admins who do not exist yet. Recorded in the account's activity log."""
    store = AccountStore(database)
    account = await store.one(AccountRow, email=normalise_email(email))
    if account is None:
        raise ProposalNotFound(f"no account with the email {email[:80]!r}")
    chosen = format_roles(set(roles) | {Role.USER})
    now = clock.now()
    async with database.transaction() as connection:
        await AccountStore.update(connection, AccountRow, {"id": account.id}, roles=chosen)
        await AccountStore.insert(
            connection,
            ActivityRow,
            account_id=account.id,
            kind="ROLES_CHANGED",
            ip="",
            user_agent="godark accounts grant-role",
            detail=f"{chosen} by the operator's shell",
            at=now,
        )
        sessions = await store.many(AuthSessionRow, account_id=account.id, limit=10_000)
        for session in sessions:
            await AccountStore.update(
                connection,
                AuthSessionRow,
                {"id": session.id},
                only_if_null="revoked_at",
                revoked_at=now,
                revoked_reason="ROLES_CHANGED",
            )
    return str(account.id)


def _clean(parameters: Mapping[str, object]) -> dict[str, str]:
    if len(parameters) > MAX_PARAMETERS:
        raise InvalidProposal(f"at most {MAX_PARAMETERS} parameters")
    clean = {}
    for key, value in parameters.items():
        text = str(value)
        if len(key) > 40 or len(text) > MAX_PARAMETER_LENGTH:
            raise InvalidProposal("parameter names are at most 40 characters, values 200")
        clean[str(key)] = text
    return clean
