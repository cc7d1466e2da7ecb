"""Ledger values: typed accounts, balanced journal entries and the refusals they can meet."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from engine.errors import DomainError
from engine.ledger.assets import ASSETS, format_units
from engine.records import record

# An entry with more legs than this is a bug or an attack, not a trade.
MAX_LEGS_PER_ENTRY = 64
MAX_IDEMPOTENCY_KEY_LENGTH = 128
# Balances live in a signed 64-bit column; keeping every balance and every net movement
# within 2**62 means no sum the database computes can overflow it.
MAX_BALANCE_UNITS = 2**62


class OwnerKind(StrEnum):
    USER = "USER"
    VENUE = "VENUE"
    MARKET = "MARKET"


class AccountPurpose(StrEnum):
    AVAILABLE = "AVAILABLE"
    LOCKED = "LOCKED"
    POSITION_COLLATERAL = "POSITION_COLLATERAL"
    FEES = "FEES"
    INSURANCE_FUND = "INSURANCE_FUND"
    POOL = "POOL"
    CHAIN_VAULT = "CHAIN_VAULT"
    EXTERNAL = "EXTERNAL"
    SETTLEMENT = "SETTLEMENT"


# Only two kinds of account may be owed money. The world outside the venue: its balance
# is the negative of everything that has come in. A market's settlement account: it pays
# a closing winner before the losers on the other side have closed, so it is negative by
# at most the unrealised losses of the open positions, and back to zero (plus rounding)
# when the market has no open interest. Every other account holds what it holds.
PURPOSES_ALLOWED_NEGATIVE = frozenset({AccountPurpose.EXTERNAL, AccountPurpose.SETTLEMENT})


@dataclass(frozen=True, slots=True, order=True)
class AccountKey:
    owner_kind: OwnerKind
    owner_id: str
    purpose: AccountPurpose
    asset: str
    # Keys are dictionary keys on every ledger step: hash them once, not at each lookup.
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_hash", hash((self.owner_kind, self.owner_id, self.purpose, self.asset))
        )

    def __hash__(self) -> int:
        return self._hash

    def __str__(self) -> str:
        return f"{self.owner_kind}:{self.owner_id}:{self.purpose}:{self.asset}"

    @property
    def allows_negative(self) -> bool:
        return self.purpose in PURPOSES_ALLOWED_NEGATIVE


@record
class Leg:
    """One side of an entry: a positive amount credits the account, a negative debits it."""

    account: AccountKey
    amount: int


@record
class EntryRequest:
    idempotency_key: str
    kind: str
    legs: tuple[Leg, ...]
    memo: str | None = None

    def fingerprint(self) -> str:
        """Identifies the request's content, to tell a replay from a reused key."""
        body = {
            "kind": self.kind,
            "memo": self.memo,
            "legs": sorted((str(leg.account), leg.amount) for leg in self.legs),
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


@record
class Posting:
    account: AccountKey
    amount: int
    balance_after: int


@record
class JournalEntry:
    entry_id: int
    idempotency_key: str
    kind: str
    memo: str | None
    created_at: datetime
    postings: tuple[Posting, ...]
    replayed: bool = False


@record
class AccountBalance:
    account: AccountKey
    balance: int


class UnbalancedEntry(DomainError):
    code = "UNBALANCED_ENTRY"


class InvalidEntry(DomainError):
    code = "INVALID_ENTRY"


class UnknownAccount(DomainError):
    code = "UNKNOWN_ACCOUNT"


class InsufficientFunds(DomainError):
    code = "INSUFFICIENT_FUNDS"

    def __init__(self, account: AccountKey, balance: int, debit: int) -> None:
        asset = ASSETS.get(account.asset)
        if asset is None:
            shown_balance, shown_debit = str(balance), str(debit)
        else:
            shown_balance, shown_debit = format_units(balance, asset), format_units(debit, asset)
        super().__init__(
            f"insufficient {account.asset}: {shown_balance} available, {shown_debit} needed"
        )
        self.account = account
        self.balance = balance
        self.debit = debit


class IdempotencyKeyReused(DomainError):
    code = "IDEMPOTENCY_KEY_REUSED"


def validate_entry(request: EntryRequest) -> dict[AccountKey, int]:
    """Refuse, before touching storage, any entry that could not be a valid journal line.
    Returns each account's net movement (its legs summed), which posting needs next."""
    key = request.idempotency_key
    if not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise InvalidEntry(f"idempotency key must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters")
    if not request.kind:
        raise InvalidEntry("entry kind is required")
    if len(request.legs) < 2:
        raise InvalidEntry("an entry needs at least two legs")
    if len(request.legs) > MAX_LEGS_PER_ENTRY:
        raise InvalidEntry(f"an entry has at most {MAX_LEGS_PER_ENTRY} legs")
    # One pass: every leg checked, summed per asset (must balance) and per account (what
    # posting applies).
    totals: dict[str, int] = {}
    net: dict[AccountKey, int] = {}
    for leg in request.legs:
        amount, account = leg.amount, leg.account
        if type(amount) is not int:
            raise InvalidEntry("leg amounts are integers of the asset's smallest unit")
        if amount == 0 or abs(amount) > MAX_BALANCE_UNITS:
            raise InvalidEntry(f"leg amount {amount} is zero or out of range")
        totals[account.asset] = totals.get(account.asset, 0) + amount
        net[account] = net.get(account, 0) + amount
    if any(abs(movement) > MAX_BALANCE_UNITS for movement in net.values()):
        raise InvalidEntry("an account's net movement is out of range")
    unbalanced = {asset: total for asset, total in totals.items() if total != 0}
    if unbalanced:
        raise UnbalancedEntry(f"entry does not balance: {unbalanced}")
    return net


def net_by_account(legs: tuple[Leg, ...]) -> dict[AccountKey, int]:
    """Several legs on one account move its balance once, by their sum."""
    net: dict[AccountKey, int] = defaultdict(int)
    for leg in legs:
        net[leg.account] += leg.amount
    return dict(net)
