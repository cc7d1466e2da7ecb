"""Perpetual markets and their parameters (seed 004, Instrument Support and Market Configuration).

Revision ID: 0003_markets
Revises: 0002_price_candles
Create Date: 2026-11-21
"""

from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003_markets"
down_revision: str | None = "0002_price_candles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRICE_SCALE = 10**10
SIZE_SCALE = 10**8
MAX_LEVERAGE = 1000
MAKER_FEE_BPS = -2  # -0.02 %: a rebate
TAKER_FEE_BPS = 5  # 0.05 %

# base asset: (tick size in USDT, step size in base units, largest order in base units)
MARKETS = {
    "BTC": ("0.1", "0.001", "100"),
    "ETH": ("0.01", "0.01", "2000"),
    "SOL": ("0.001", "0.1", "50000"),
    "BNB": ("0.01", "0.01", "10000"),
    "XRP": ("0.0001", "1", "5000000"),
    "DOGE": ("0.00001", "10", "20000000"),
    "ADA": ("0.0001", "1", "5000000"),
    "AVAX": ("0.001", "0.1", "200000"),
    "LINK": ("0.001", "0.1", "300000"),
    "LTC": ("0.01", "0.01", "50000"),
    "EUR": ("0.00001", "100", "10000000"),
    "GBP": ("0.00001", "100", "10000000"),
    "JPY": ("0.0000001", "10000", "1000000000"),
    "CHF": ("0.00001", "100", "10000000"),
    "AUD": ("0.00001", "100", "10000000"),
}


def upgrade() -> None:
    market = op.create_table(
        "market",
        sa.Column("symbol", sqlmodel.AutoString(length=32), primary_key=True),
        sa.Column("base_asset", sqlmodel.AutoString(length=16), nullable=False),
        sa.Column("quote_asset", sqlmodel.AutoString(length=16), nullable=False),
        sa.Column("tick_size", sa.BigInteger(), nullable=False),
        sa.Column("step_size", sa.BigInteger(), nullable=False),
        sa.Column("min_order_size", sa.BigInteger(), nullable=False),
        sa.Column("max_order_size", sa.BigInteger(), nullable=False),
        sa.Column("max_leverage", sa.Integer(), nullable=False),
        sa.Column("maker_fee_bps", sa.Integer(), nullable=False),
        sa.Column("taker_fee_bps", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
    )
    op.bulk_insert(
        market,
        [
            {
                "symbol": f"{base}-USDT-PERP",
                "base_asset": base,
                "quote_asset": "USDT",
                "tick_size": int(Decimal(tick) * PRICE_SCALE),
                "step_size": int(Decimal(step) * SIZE_SCALE),
                "min_order_size": int(Decimal(step) * SIZE_SCALE),
                "max_order_size": int(Decimal(largest) * SIZE_SCALE),
                "max_leverage": MAX_LEVERAGE,
                "maker_fee_bps": MAKER_FEE_BPS,
                "taker_fee_bps": TAKER_FEE_BPS,
                "active": True,
            }
            for base, (tick, step, largest) in MARKETS.items()
        ],
    )


def downgrade() -> None:
    op.drop_table("market")
