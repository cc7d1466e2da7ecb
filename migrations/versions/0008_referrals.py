"""Referrals: referred accounts' daily trading, and how far it has been read.

Revision ID: 0008_referrals
Revises: 0007_vaults
Create Date: 2026-11-24 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008_referrals"
down_revision: str | None = "0007_vaults"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "referral_activity",
        sa.Column("referee_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("referrer_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("volume", sa.BigInteger(), nullable=False),
        sa.Column("trades", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("referee_id", "day"),
    )
    with op.batch_alter_table("referral_activity", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_activity_referrer_id"), ["referrer_id"], unique=False
        )
    op.create_table(
        "referral_scan",
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("source"),
    )
    # Referrers are looked up by their referees' column on every statistics read.
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index("ix_account_referred_by", ["referred_by"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index("ix_account_referred_by")
    op.drop_table("referral_scan")
    with op.batch_alter_table("referral_activity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_activity_referrer_id"))
    op.drop_table("referral_activity")
