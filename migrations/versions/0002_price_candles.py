"""Price candles of index and mark prices.

Revision ID: 0002_price_candles
Revises: 0001_ledger
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002_price_candles"
down_revision: str | None = "0001_ledger"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "price_candle",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("asset", sqlmodel.AutoString(length=16), nullable=False),
        sa.Column("kind", sqlmodel.AutoString(length=8), nullable=False),
        sa.Column("interval", sqlmodel.AutoString(length=4), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("open", sa.BigInteger(), nullable=False),
        sa.Column("high", sa.BigInteger(), nullable=False),
        sa.Column("low", sa.BigInteger(), nullable=False),
        sa.Column("close", sa.BigInteger(), nullable=False),
        sa.Column("volume", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("asset", "kind", "interval", "start", name="uq_price_candle_bucket"),
    )


def downgrade() -> None:
    op.drop_table("price_candle")
