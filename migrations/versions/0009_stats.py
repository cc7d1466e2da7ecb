"""Stats: daily public statistics per market, and the engine's runs (for downtime).

Revision ID: 0009_stats
Revises: 0008_referrals
Create Date: 2026-11-24 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009_stats"
down_revision: str | None = "0008_referrals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTERS = (
    "trades",
    "volume",
    "buy_volume",
    "sell_volume",
    "fees",
    "compared_trades",
    "compared_volume",
    "savings",
    "inside_spread",
    "orders",
    "liquidity",
    "first_fills",
    "first_fill_ms",
    "complete_fills",
    "complete_fill_ms",
    "settled_batches",
    "settlement_ms",
    "failed_settlements",
)


def upgrade() -> None:
    op.create_table(
        "stats_day",
        sa.Column("symbol", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in COUNTERS),
        sa.PrimaryKeyConstraint("symbol", "day"),
    )
    op.create_table(
        "stats_run",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("through_sequence", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("stats_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stats_run_started_at"), ["started_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stats_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stats_run_started_at"))
    op.drop_table("stats_run")
    op.drop_table("stats_day")
