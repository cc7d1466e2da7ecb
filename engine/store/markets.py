"""The perpetual markets' parameters (the `market` table): read into market configs at
start-up, and written back when an operator's ConfigureMarket has been applied."""

from __future__ import annotations

from sqlalchemy import select

from engine.perps import MarketConfig
from engine.store.database import Database
from engine.store.tables import MarketRow, table_of

MARKET = table_of(MarketRow)


async def load_markets(database: Database) -> list[MarketConfig]:
    async with database.engine.connect() as connection:
        rows = (await connection.execute(select(MARKET).order_by(MARKET.c.symbol))).all()
    return [
        MarketConfig(
            symbol=row.symbol,
            base_asset=row.base_asset,
            tick_size=row.tick_size,
            step_size=row.step_size,
            min_order_size=row.min_order_size,
            max_order_size=row.max_order_size,
            max_leverage=row.max_leverage,
            maker_fee_bps=row.maker_fee_bps,
            taker_fee_bps=row.taker_fee_bps,
            is_active=row.active,
        )
        for row in rows
    ]
