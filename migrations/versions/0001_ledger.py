"""Ledger: accounts, journal entries and postings.

Revision ID: 0001_ledger
Revises:
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0001_ledger"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_account",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner_kind", sqlmodel.AutoString(length=16), nullable=False),
        sa.Column("owner_id", sqlmodel.AutoString(length=64), nullable=False),
        sa.Column("purpose", sqlmodel.AutoString(length=32), nullable=False),
        sa.Column("asset", sqlmodel.AutoString(length=16), nullable=False),
        sa.Column("allow_negative", sa.Boolean(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("owner_kind", "owner_id", "purpose", "asset", name="uq_ledger_account_key"),
    )
    op.create_table(
        "ledger_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("idempotency_key", sqlmodel.AutoString(length=128), nullable=False),
        sa.Column("fingerprint", sqlmodel.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.AutoString(length=64), nullable=False),
        sa.Column("memo", sqlmodel.AutoString(length=256), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ledger_entry_idempotency_key", "ledger_entry", ["idempotency_key"], unique=True)
    op.create_table(
        "ledger_posting",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("ledger_entry.id"), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("ledger_account.id"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_ledger_posting_entry_id", "ledger_posting", ["entry_id"])
    op.create_index("ix_ledger_posting_account_id", "ledger_posting", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_ledger_posting_account_id", table_name="ledger_posting")
    op.drop_index("ix_ledger_posting_entry_id", table_name="ledger_posting")
    op.drop_table("ledger_posting")
    op.drop_index("ix_ledger_entry_idempotency_key", table_name="ledger_entry")
    op.drop_table("ledger_entry")
    op.drop_table("ledger_account")
