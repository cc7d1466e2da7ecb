"""Settlement on Solana: batches, trade proofs, the account's wallet and vault."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from schema.errors import (
    DepositLimitExceededError,
    InvalidAmountError,
    InvalidRequestError,
    NotAvailableError,
    UserError,
)
from schema.scalars import Decimal


@strawberry.enum
class BatchStatus(Enum):
    MATCHED = "MATCHED"
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    FAILED = "FAILED"


@strawberry.type(description="Trades of one settlement window, their Merkle root on chain.")
class SettlementBatch:
    id: str
    sequence: int
    status: BatchStatus
    merkle_root: str = strawberry.field(description="Hex SHA-256 (RFC 6962).")
    trade_count: int
    tx_signature: str | None = strawberry.field(
        description="The batch transaction (its memo carries the root), once CONFIRMED."
    )
    attempts: int
    opened_at: datetime
    created_at: datetime
    submitted_at: datetime | None
    confirmed_at: datetime | None
    trade_ids: list[str] | None = strawberry.field(
        default=None, description="The batch's trades in leaf order (batch(id) only)."
    )


@strawberry.type(description="RFC 6962 inclusion proof of a trade in its batch.")
class TradeProof:
    trade_id: str
    batch_id: str
    status: BatchStatus
    leaf_index: int
    tree_size: int
    path: list[str] = strawberry.field(description="Hex sibling hashes from the leaf up.")
    merkle_root: str
    leaf_data: str = strawberry.field(description="Hex of the trade's canonical encoding.")
    tx_signature: str | None


@strawberry.type(description="Settlement health, public: lag and batches by status.")
class SettlementStatus:
    lag_seconds: float = strawberry.field(
        description="How long the oldest trade not yet confirmed on chain has waited."
    )
    matched: int
    pending: int
    confirmed: int
    failed: int
    withdrawals_halted: bool
    chain: str = strawberry.field(description="LITESVM (embedded) or RPC.")
    mint: str
    authority: str
    vault_token_account: str


@strawberry.type(description="Admin: the vault compared with the ledger's vault movements.")
class VaultReconciliation:
    vault_token_account: str
    on_chain: Decimal
    expected: Decimal
    difference: Decimal
    unmirrored: Decimal = strawberry.field(description="On chain, ledger mirror pending.")
    matches: bool
    withdrawals_halted: bool
    checked_at: datetime


@strawberry.type(description="Your wallet on Solana and what it holds.")
class Wallet:
    address: str
    kind: str = strawberry.field(description="EPHEMERAL (held by the venue) or LINKED.")
    token_account: str
    mint: str
    balance: Decimal = strawberry.field(description="USDT in the wallet's token account.")
    delegated: Decimal = strawberry.field(
        description="USDT the venue may still pull (SPL allowance to the settlement authority)."
    )


@strawberry.type(description="What you authorised to the venue and moved through its vault.")
class Vault:
    approved: Decimal
    used: Decimal = strawberry.field(description="Deposited into the vault.")
    withdrawn: Decimal
    available: Decimal = strawberry.field(description="Authorised and not used yet.")
    active: bool


@strawberry.type
class VaultError(UserError):
    """Vault refusals: VAULT_INACTIVE, POSITIONS_OPEN, ORDERS_OPEN, WITHDRAWALS_HALTED,
    LINKED_WALLET, and the chain's INSUFFICIENT_ALLOWANCE / INSUFFICIENT_TOKEN_BALANCE /
    CHAIN_UNAVAILABLE / CHAIN_REJECTED."""


@strawberry.type
class VaultUpdated:
    vault: Vault
    wallet: Wallet


@strawberry.type
class WalletFunded:
    signature: str
    wallet: Wallet


VaultResult = Annotated[
    VaultUpdated | InvalidAmountError | VaultError | NotAvailableError,
    strawberry.union("VaultResult"),
]

ChainFaucetResult = Annotated[
    WalletFunded
    | InvalidAmountError
    | DepositLimitExceededError
    | InvalidRequestError
    | VaultError
    | NotAvailableError,
    strawberry.union("ChainFaucetResult"),
]
