"""Double-entry ledger: the single source of truth for every movement of value."""

from engine.ledger.assets import ASSETS, USDT, Asset, InvalidAmount, format_units, to_units
from engine.ledger.audit import AuditReport, audit_ledger
from engine.ledger.journal import Ledger
from engine.ledger.model import (
    AccountBalance,
    AccountKey,
    AccountPurpose,
    EntryRequest,
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidEntry,
    JournalEntry,
    Leg,
    OwnerKind,
    Posting,
    UnbalancedEntry,
    UnknownAccount,
)

__all__ = [
    "ASSETS",
    "USDT",
    "AccountBalance",
    "AccountKey",
    "AccountPurpose",
    "Asset",
    "AuditReport",
    "EntryRequest",
    "IdempotencyKeyReused",
    "InsufficientFunds",
    "InvalidAmount",
    "InvalidEntry",
    "JournalEntry",
    "Ledger",
    "Leg",
    "OwnerKind",
    "Posting",
    "UnbalancedEntry",
    "UnknownAccount",
    "audit_ledger",
    "format_units",
    "to_units",
]
