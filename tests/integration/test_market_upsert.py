"""The `market` table follows an operator's ConfigureMarket: a restart loads the new config."""

from __future__ import annotations

from dataclasses import replace

from engine.perps import MarketConfig
from engine.store.database import Database
from engine.store.markets import load_markets, upsert_market

SOL = MarketConfig(
    symbol="SOLX-USDT-PERP",
    base_asset="SOLX",
    tick_size=1_000_000,
    step_size=1_000_000,
    min_order_size=1_000_000,
    max_order_size=100_000_000_000,
    max_leverage=20,
)


async def test_a_new_market_is_added_and_loaded(database: Database) -> None:
    seeded = await load_markets(database)
    await upsert_market(database, SOL)

    loaded = {market.symbol: market for market in await load_markets(database)}
    assert loaded[SOL.symbol] == SOL
    assert len(loaded) == len(seeded) + 1


async def test_an_existing_market_is_overwritten_not_duplicated(database: Database) -> None:
    [btc] = [m for m in await load_markets(database) if m.symbol == "BTC-USDT-PERP"]
    changed = replace(btc, maker_fee_bps=0, taker_fee_bps=8, max_leverage=50, is_active=False)
    await upsert_market(database, changed)
    await upsert_market(database, changed)  # the API retrying is harmless

    loaded = await load_markets(database)
    assert [m for m in loaded if m.symbol == btc.symbol] == [changed]
    assert all(m.is_active for m in loaded if m.symbol != btc.symbol)  # only BTC changed
