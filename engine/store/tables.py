"""SQLModel tables. Migrations in migrations/ create them; this module only declares them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Index, Table, UniqueConstraint
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


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a model, for set-based statements the ORM would slow down."""
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table
