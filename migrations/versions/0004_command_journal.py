"""Command journal and snapshots of the sequencers.

Revision ID: 0004_command_journal
Revises: 0003_markets
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004_command_journal"
down_revision: str | None = "0003_markets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "command_journal",
        sa.Column("stream", sqlmodel.AutoString(length=48), primary_key=True),
        sa.Column("sequence", sa.BigInteger(), primary_key=True),
        sa.Column("kind", sqlmodel.AutoString(length=48), nullable=False),
        sa.Column("payload", sqlmodel.AutoString(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "journal_snapshot",
        sa.Column("stream", sqlmodel.AutoString(length=48), primary_key=True),
        sa.Column("sequence", sa.BigInteger(), primary_key=True),
        sa.Column("state", sqlmodel.AutoString(), nullable=False),
        sa.Column("state_hash", sqlmodel.AutoString(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("journal_snapshot")
    op.drop_table("command_journal")
