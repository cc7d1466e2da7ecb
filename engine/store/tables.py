"""SQLModel tables. Migrations in migrations/ create them; this module only declares them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    Table,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel


class LedgerAccountRow(SQLModel, table=True):
    __tablename__ = "ledger_account"
    __table_args__ = (
        UniqueConstraint(
            "owner_kind", "owner_id", "purpose", "asset", name="uq_ledger_account_key"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_kind: str = Field(max_length=16)
    owner_id: str = Field(max_length=64)
    purpose: str = Field(max_length=32)
    asset: str = Field(max_length=16)
    allow_negative: bool = Field(default=False)
    # A cache of the sum of this account's postings, kept in the same transaction that
    # writes them; `godark audit` proves the two agree.
    balance: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class LedgerEntryRow(SQLModel, table=True):
    __tablename__ = "ledger_entry"
    __table_args__ = (Index("ix_ledger_entry_idempotency_key", "idempotency_key", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=128)
    fingerprint: str = Field(max_length=64)
    kind: str = Field(max_length=64)
    memo: str | None = Field(default=None, max_length=256)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class LedgerPostingRow(SQLModel, table=True):
    __tablename__ = "ledger_posting"
    __table_args__ = (Index("ix_ledger_posting_account_id", "account_id"),)

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(
        sa_column=Column(ForeignKey("ledger_entry.id"), nullable=False, index=True)
    )
    account_id: int = Field(sa_column=Column(ForeignKey("ledger_account.id"), nullable=False))
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))
    balance_after: int = Field(sa_column=Column(BigInteger, nullable=False))


class PriceCandleRow(SQLModel, table=True):
    __tablename__ = "price_candle"
    __table_args__ = (
        UniqueConstraint("asset", "kind", "interval", "start", name="uq_price_candle_bucket"),
    )

    id: int | None = Field(default=None, primary_key=True)
    asset: str = Field(max_length=16)
    kind: str = Field(max_length=8)
    interval: str = Field(max_length=4)
    start: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    open: int = Field(sa_column=Column(BigInteger, nullable=False))
    high: int = Field(sa_column=Column(BigInteger, nullable=False))
    low: int = Field(sa_column=Column(BigInteger, nullable=False))
    close: int = Field(sa_column=Column(BigInteger, nullable=False))
    volume: int = Field(sa_column=Column(BigInteger, nullable=False))


class MarketRow(SQLModel, table=True):
    """A perpetual market's parameters: data, changed by migration or operator, not code."""

    __tablename__ = "market"

    symbol: str = Field(primary_key=True, max_length=32)
    base_asset: str = Field(max_length=16)
    quote_asset: str = Field(max_length=16)
    # In oracle units: prices 1e-10 USDT, sizes 1e-8 of the base asset.
    tick_size: int = Field(sa_column=Column(BigInteger, nullable=False))
    step_size: int = Field(sa_column=Column(BigInteger, nullable=False))
    min_order_size: int = Field(sa_column=Column(BigInteger, nullable=False))
    max_order_size: int = Field(sa_column=Column(BigInteger, nullable=False))
    max_leverage: int
    maker_fee_bps: int
    taker_fee_bps: int
    active: bool = Field(default=True)


class JournalCommandRow(SQLModel, table=True):
    """One accepted command of a sequencer, written before it is acknowledged."""

    __tablename__ = "command_journal"

    stream: str = Field(primary_key=True, max_length=48)
    sequence: int = Field(sa_column=Column(BigInteger, primary_key=True))
    kind: str = Field(max_length=48)
    payload: str
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class JournalSnapshotRow(SQLModel, table=True):
    """A stream's state as of a sequence number: restart = latest snapshot + later commands."""

    __tablename__ = "journal_snapshot"

    stream: str = Field(primary_key=True, max_length=48)
    sequence: int = Field(sa_column=Column(BigInteger, primary_key=True))
    state: str
    state_hash: str = Field(max_length=64)
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


def _moment(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(
        default=None if nullable else ...,
        sa_column=Column(DateTime(timezone=True), nullable=nullable, index=index),
    )


class AccountRow(SQLModel, table=True):
    """A person's (or an operator's) account. Personal fields are blanked on erasure."""

    __tablename__ = "account"

    id: str = Field(primary_key=True, max_length=32)
    # Normalised (NFKC, lower case, ASCII only); "erased:<id>" after erasure.
    email: str = Field(max_length=254, unique=True)
    password_hash: str = Field(max_length=256)
    status: str = Field(max_length=24)  # ACTIVE, DELETION_PENDING, ERASED
    roles: str = Field(max_length=128)  # comma-separated Role names
    tier: str = Field(max_length=16)  # rate-limit tier
    kyc_tier: str = Field(max_length=8)
    terms_version: str = Field(max_length=16)
    referral_code: str = Field(max_length=16, unique=True)
    referred_by: str | None = Field(default=None, max_length=32, index=True)
    email_verified_at: datetime | None = _moment(nullable=True)
    totp_secret: str | None = Field(default=None, max_length=256)  # sealed with AES-GCM
    totp_enabled: bool = Field(default=False)
    totp_last_step: int | None = Field(default=None, sa_column=Column(BigInteger))
    backup_codes: str = Field(default="")  # comma-separated HMACs; a used one becomes ""
    wallet_address: str | None = Field(default=None, max_length=64, unique=True)
    wallet_linked_at: datetime | None = _moment(nullable=True)
    deletion_requested_at: datetime | None = _moment(nullable=True)
    erase_after: datetime | None = _moment(nullable=True)
    created_at: datetime = _moment()


class AuthSessionRow(SQLModel, table=True):
    """A login on one device: the family of its refresh tokens."""

    __tablename__ = "auth_session"

    id: str = Field(primary_key=True, max_length=32)
    account_id: str = Field(foreign_key="account.id", max_length=32, index=True)
    device: str = Field(max_length=256)
    ip: str = Field(max_length=64)
    created_at: datetime = _moment()
    last_used_at: datetime = _moment()
    expires_at: datetime = _moment()
    revoked_at: datetime | None = _moment(nullable=True, index=True)
    revoked_reason: str | None = Field(default=None, max_length=32)


class RefreshTokenRow(SQLModel, table=True):
    """One refresh token of a session; used once, then replaced by the next."""

    __tablename__ = "refresh_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    session_id: str = Field(foreign_key="auth_session.id", max_length=32, index=True)
    issued_at: datetime = _moment()
    used_at: datetime | None = _moment(nullable=True)


class AccountTokenRow(SQLModel, table=True):
    """A single-use emailed token: email verification (24 h) or password reset (1 h)."""

    __tablename__ = "account_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    account_id: str = Field(foreign_key="account.id", max_length=32, index=True)
    purpose: str = Field(max_length=16)
    expires_at: datetime = _moment()
    used_at: datetime | None = _moment(nullable=True)


class MailOutboxRow(SQLModel, table=True):
    """Mail waiting for (or done with) the sender; the demo shows it in the admin panel."""

    __tablename__ = "mail_outbox"

    id: int | None = Field(default=None, primary_key=True)
    recipient: str = Field(max_length=254, index=True)
    subject: str = Field(max_length=200)
    body: str
    created_at: datetime = _moment()
    sent_at: datetime | None = _moment(nullable=True)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=500)


class ActivityRow(SQLModel, table=True):
    """What happened to an account: logins, failures, security events. Shown to its owner."""

    __tablename__ = "account_activity"

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(foreign_key="account.id", max_length=32, index=True)
    kind: str = Field(max_length=32)
    ip: str = Field(max_length=64)
    user_agent: str = Field(max_length=256)
    detail: str = Field(default="", max_length=500)
    at: datetime = _moment()


class ApiKeyRow(SQLModel, table=True):
    __tablename__ = "api_key"

    id: str = Field(primary_key=True, max_length=40)
    account_id: str = Field(foreign_key="account.id", max_length=32, index=True)
    name: str = Field(max_length=64)
    permissions: str = Field(max_length=64)  # comma-separated
    allow_list: str = Field(default="", max_length=2000)  # comma-separated IPs and CIDRs
    secret: str = Field(max_length=256)  # sealed with AES-GCM, bound to the key id
    created_at: datetime = _moment()
    expires_at: datetime | None = _moment(nullable=True)
    last_used_at: datetime | None = _moment(nullable=True)
    revoked_at: datetime | None = _moment(nullable=True)


class WalletNonceRow(SQLModel, table=True):
    __tablename__ = "wallet_nonce"

    nonce: str = Field(primary_key=True, max_length=64)
    account_id: str = Field(foreign_key="account.id", max_length=32, index=True)
    address: str = Field(max_length=64)
    message: str = Field(max_length=500)
    expires_at: datetime = _moment()
    used_at: datetime | None = _moment(nullable=True)


class AdminProposalRow(SQLModel, table=True):
    """A critical operation waiting for M of N admins and its timelock; state as JSON."""

    __tablename__ = "admin_proposal"

    id: str = Field(primary_key=True, max_length=32)
    operation: str = Field(max_length=32)
    status: str = Field(max_length=16)
    state: str
    created_at: datetime = _moment()


class AmlFlagRow(SQLModel, table=True):
    __tablename__ = "aml_flag"

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(foreign_key="account.id", max_length=32, index=True)
    rule: str = Field(max_length=32)
    detail: str = Field(max_length=500)
    raised_at: datetime = _moment()
    resolved_at: datetime | None = _moment(nullable=True)
    resolved_by: str | None = Field(default=None, max_length=32)


class FundsMovementRow(SQLModel, table=True):
    """Deposits and withdrawals per account: what KYC limits and AML rules look at."""

    __tablename__ = "funds_movement"

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(foreign_key="account.id", max_length=32, index=True)
    kind: str = Field(max_length=16)
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))
    at: datetime = _moment()


class SettlementBatchRow(SQLModel, table=True):
    """A settlement batch: its Merkle root and where it is on its way to the chain."""

    __tablename__ = "settlement_batch"

    id: str = Field(primary_key=True, max_length=32)
    sequence: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    status: str = Field(max_length=16, index=True)  # MATCHED, PENDING, CONFIRMED, FAILED
    merkle_root: str = Field(max_length=64)  # hex
    trade_count: int
    tx_signature: str | None = Field(default=None, max_length=128)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=500)
    opened_at: datetime = _moment()
    created_at: datetime = _moment()
    submitted_at: datetime | None = _moment(nullable=True)
    confirmed_at: datetime | None = _moment(nullable=True)
    next_attempt_at: datetime | None = _moment(nullable=True)


class SettlementLeafRow(SQLModel, table=True):
    """One trade of a batch: its leaf index and canonical encoding (the leaf data)."""

    __tablename__ = "settlement_leaf"

    batch_id: str = Field(foreign_key="settlement_batch.id", primary_key=True, max_length=32)
    leaf_index: int = Field(primary_key=True)
    trade_id: str = Field(max_length=64, unique=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class ChainAccountRow(SQLModel, table=True):
    """An account of the embedded chain (LiteSVM lives in memory): restored at start."""

    __tablename__ = "chain_account"

    address: str = Field(primary_key=True, max_length=44)
    lamports: int = Field(sa_column=Column(BigInteger, nullable=False))
    owner: str = Field(max_length=44)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    executable: bool = Field(default=False)


class ChainTransactionRow(SQLModel, table=True):
    """A transaction the embedded chain executed: what find_batch and /solana read."""

    __tablename__ = "chain_transaction"

    signature: str = Field(primary_key=True, max_length=128)
    position: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    slot: int = Field(sa_column=Column(BigInteger, nullable=False))
    block_time: int = Field(sa_column=Column(BigInteger, nullable=False))
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    error: str | None = Field(default=None, max_length=500)
    fee: int = Field(sa_column=Column(BigInteger, nullable=False))
    compute_units: int = Field(sa_column=Column(BigInteger, nullable=False))
    detail: str  # JSON: logs, memos, pre and post balances


class WalletRow(SQLModel, table=True):
    """An account's wallet: an ephemeral keypair the venue holds sealed, or a linked one."""

    __tablename__ = "wallet"

    account_id: str = Field(primary_key=True, max_length=32)
    address: str = Field(max_length=44, unique=True)
    kind: str = Field(max_length=16)  # EPHEMERAL or LINKED
    sealed_key: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = _moment()


class VaultRow(SQLModel, table=True):
    """What an account authorised to the venue and moved through the vault, micro-USDT."""

    __tablename__ = "vault"

    account_id: str = Field(primary_key=True, max_length=32)
    approved: int = Field(sa_column=Column(BigInteger, nullable=False))
    used: int = Field(sa_column=Column(BigInteger, nullable=False))
    withdrawn: int = Field(sa_column=Column(BigInteger, nullable=False))
    active: bool = Field(default=True)
    updated_at: datetime = _moment()


class VaultMovementRow(SQLModel, table=True):
    """A token movement across the vault boundary and the ledger command that mirrors it."""

    __tablename__ = "vault_movement"

    reference: str = Field(primary_key=True, max_length=128)
    account_id: str = Field(max_length=32, index=True)
    kind: str = Field(max_length=16)  # DEPOSIT, WITHDRAWAL, FEE_SWEEP
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))  # signed for FEE_SWEEP
    status: str = Field(max_length=16, index=True)  # PLANNED, ON_CHAIN, DONE
    signature: str | None = Field(default=None, max_length=128)
    ledger_sequence: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = _moment()


class ReferralActivityRow(SQLModel, table=True):
    """A referred account's trading on one UTC day, for its referrer's statistics
    (engine/accounts/referrals.py); rewards come from the ledger, not from here."""

    __tablename__ = "referral_activity"

    referee_id: str = Field(primary_key=True, max_length=32)
    day: date = Field(sa_column=Column(Date, primary_key=True))
    referrer_id: str = Field(max_length=32, index=True)
    volume: int = Field(sa_column=Column(BigInteger, nullable=False))  # micro-USDT notional
    trades: int = Field(sa_column=Column(BigInteger, nullable=False))


class ReferralScanRow(SQLModel, table=True):
    """How far the referral statistics have read a source (the settlement batches)."""

    __tablename__ = "referral_scan"

    source: str = Field(primary_key=True, max_length=32)
    position: int = Field(sa_column=Column(BigInteger, nullable=False))


def _counter() -> Any:
    return Field(default=0, sa_column=Column(BigInteger, nullable=False))


class StatsDayRow(SQLModel, table=True):
    """A market's public statistics for one UTC day (engine/stats): sums of its trades,
    orders and fill times; market `*` holds the venue-wide settlement figures. Aggregates
    only: nothing here names an account or an order."""

    __tablename__ = "stats_day"

    symbol: str = Field(primary_key=True, max_length=32)
    day: date = Field(sa_column=Column(Date, primary_key=True))
    trades: int = _counter()
    volume: int = _counter()
    buy_volume: int = _counter()
    sell_volume: int = _counter()
    fees: int = _counter()
    compared_trades: int = _counter()
    compared_volume: int = _counter()
    savings: int = _counter()
    inside_spread: int = _counter()
    orders: int = _counter()
    liquidity: int = _counter()
    first_fills: int = _counter()
    first_fill_ms: int = _counter()
    complete_fills: int = _counter()
    complete_fill_ms: int = _counter()
    settled_batches: int = _counter()
    settlement_ms: int = _counter()
    failed_settlements: int = _counter()


class StatsRunRow(SQLModel, table=True):
    """One run of the engine: when it started, when the stats last saw it alive (downtime
    is the gap to the next run) and the last command its saved statistics count."""

    __tablename__ = "stats_run"

    id: str = Field(primary_key=True, max_length=32)
    started_at: datetime = _moment(index=True)
    last_seen_at: datetime = _moment()
    through_sequence: int = Field(sa_column=Column(BigInteger, nullable=False))


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a model, for set-based statements the ORM would slow down."""
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table
