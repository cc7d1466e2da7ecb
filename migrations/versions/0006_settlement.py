"""Settlement: batches of trades on their way to the chain, and each trade's Merkle leaf.

Revision ID: 0006_settlement
Revises: 0005_accounts
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0006_settlement'
down_revision: str | None = '0005_accounts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('settlement_batch',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('sequence', sa.BigInteger(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('merkle_root', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('trade_count', sa.Integer(), nullable=False),
    sa.Column('tx_signature', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sequence')
    )
    with op.batch_alter_table('settlement_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlement_batch_status'), ['status'], unique=False)

    op.create_table('settlement_leaf',
    sa.Column('batch_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('leaf_index', sa.Integer(), nullable=False),
    sa.Column('trade_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['settlement_batch.id'], ),
    sa.PrimaryKeyConstraint('batch_id', 'leaf_index'),
    sa.UniqueConstraint('trade_id')
    )


def downgrade() -> None:
    op.drop_table('settlement_leaf')
    with op.batch_alter_table('settlement_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlement_batch_status'))

    op.drop_table('settlement_batch')
