"""The perpetual markets' parameters (the `market` table): read into market configs at
start-up, and written back when an operator's ConfigureMarket has been applied."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

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


async def upsert_market(database: Database, config: MarketConfig) -> None:
    """Insert the market, or overwrite every parameter of the one with its symbol."""
    values: dict[str, Any] = {
        "symbol": config.symbol,
        "base_asset": config.base_asset,
        "quote_asset": config.quote_asset,
        "tick_size": config.tick_size,
        "step_size": config.step_size,
        "min_order_size": config.min_order_size,
        "max_order_size": config.max_order_size,
        "max_leverage": config.max_leverage,
        "maker_fee_bps": config.maker_fee_bps,
        "taker_fee_bps": config.taker_fee_bps,
        "active": config.is_active,
    }
    changed = {name: value for name, value in values.items() if name != "symbol"}
    async with database.transaction() as connection:
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(MARKET).values(values)
        await connection.execute(
            statement.on_conflict_do_update(index_elements=["symbol"], set_=changed)
        )
