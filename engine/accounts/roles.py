"""Who may do what: roles of seed 004, the actions they grant, and the principal of a request.

A principal comes from a session (a person in the browser: every action of their roles)
or from an API key (a bot: only the key's permissions, and never account management).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from engine.errors import DomainError


class Role(StrEnum):
    USER = "USER"
    LIQUIDATOR = "LIQUIDATOR"
    RELAYER = "RELAYER"
    ORACLE_UPDATER = "ORACLE_UPDATER"
    ADMIN = "ADMIN"
    EMERGENCY = "EMERGENCY"


class Action(StrEnum):
    READ = "READ"  # one's own orders, positions, balances, history
    TRADE = "TRADE"  # place, cancel and amend orders; manage positions
    WITHDRAW = "WITHDRAW"  # move money out
    MANAGE_ACCOUNT = "MANAGE_ACCOUNT"  # password, 2FA, wallets, API keys, deletion
    LIQUIDATE = "LIQUIDATE"
    VIEW_UNDERWATER_POSITIONS = "VIEW_UNDERWATER_POSITIONS"
    SUBMIT_SETTLEMENT = "SUBMIT_SETTLEMENT"
    UPDATE_ORACLE = "UPDATE_ORACLE"
    ADMINISTER = "ADMINISTER"  # approvals queue, AML flags, roles, mail outbox
    EMERGENCY_PAUSE = "EMERGENCY_PAUSE"


ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.USER: frozenset({Action.READ, Action.TRADE, Action.WITHDRAW, Action.MANAGE_ACCOUNT}),
    Role.LIQUIDATOR: frozenset({Action.LIQUIDATE, Action.VIEW_UNDERWATER_POSITIONS}),
    Role.RELAYER: frozenset({Action.SUBMIT_SETTLEMENT}),
    Role.ORACLE_UPDATER: frozenset({Action.UPDATE_ORACLE}),
    Role.ADMIN: frozenset({Action.ADMINISTER, Action.READ}),
    Role.EMERGENCY: frozenset({Action.EMERGENCY_PAUSE}),
}

# What each API-key permission lets a bot do; everything else needs a person's session.
KEY_PERMISSION_ACTIONS: dict[str, frozenset[Action]] = {
    "READ": frozenset({Action.READ}),
    "TRADE": frozenset({Action.READ, Action.TRADE}),
    "WITHDRAW": frozenset({Action.READ, Action.WITHDRAW}),
}


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    code = "FORBIDDEN"


def parse_roles(stored: str) -> frozenset[Role]:
    return frozenset(Role(name) for name in stored.split(",") if name)


def format_roles(roles: Iterable[Role]) -> str:
    return ",".join(sorted(role.value for role in roles))


@dataclass(frozen=True, slots=True)
class Principal:
    account_id: str
    roles: frozenset[Role]
    tier: str
    session_id: str | None = None
    api_key_id: str | None = None
    # The key's permissions; None for a session, which has every action of its roles.
    key_permissions: frozenset[str] | None = None
    # The Terms of Service version the account accepted (trading needs the current one).
    terms_version: str = ""

    @property
    def actions(self) -> frozenset[Action]:
        granted: frozenset[Action] = frozenset().union(*(ROLE_ACTIONS[r] for r in self.roles))
        if self.key_permissions is None:
            return granted
        allowed: frozenset[Action] = frozenset().union(
            *(KEY_PERMISSION_ACTIONS[p] for p in self.key_permissions)
        )
        return granted & allowed

    def can(self, action: Action) -> bool:
        return action in self.actions

    def require(self, action: Action) -> None:
        if not self.can(action):
            via = "this API key" if self.api_key_id is not None else "your account"
            raise Forbidden(f"{via} may not {action.value.lower().replace('_', ' ')}")
