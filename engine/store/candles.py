"""Stores closed candles and answers chart queries; prunes what is past retention."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, select

from engine.oracle.candles import CANDLE_RETENTION, Candle, CandleInterval, PriceKind
from engine.store.database import Database, as_utc, insert_ignoring_duplicates
from engine.store.tables import PriceCandleRow, table_of

CANDLE = table_of(PriceCandleRow)


class CandleRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def save(self, candles: Sequence[Candle]) -> None:
        """One transaction for a batch; a candle stored twice (after a restart) is kept once."""
        if not candles:
            return
        async with self._database.transaction() as connection:
            await connection.execute(
                insert_ignoring_duplicates(
                    connection, CANDLE, ["asset", "kind", "interval", "start"]
                ),
                [_row(candle) for candle in candles],
            )

    async def between(
        self,
        asset: str,
        kind: PriceKind,
        interval: CandleInterval,
        start: datetime,
        end: datetime,
        limit: int,
    ) -> list[Candle]:
        query = (
            select(CANDLE)
            .where(
                CANDLE.c.asset == asset,
                CANDLE.c.kind == kind.value,
                CANDLE.c.interval == interval.value,
                CANDLE.c.start >= start,
                CANDLE.c.start < end,
            )
            .order_by(CANDLE.c.start.desc())
            .limit(limit)
        )
        async with self._database.engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [
            Candle(
                asset=row.asset,
                kind=PriceKind(row.kind),
                interval=CandleInterval(row.interval),
                start=as_utc(row.start),
                open=row.open,
                high=row.high,
                low=row.low,
                close=row.close,
                volume=row.volume,
            )
            for row in reversed(rows)
        ]

    async def prune(self, now: datetime) -> int:
        removed = 0
        async with self._database.transaction() as connection:
            for interval, keep in CANDLE_RETENTION.items():
                result = await connection.execute(
                    delete(CANDLE).where(
                        and_(CANDLE.c.interval == interval.value, CANDLE.c.start < now - keep)
                    )
                )
                removed += result.rowcount or 0
        return removed


def _row(candle: Candle) -> dict[str, object]:
    return {
        "asset": candle.asset,
        "kind": candle.kind.value,
        "interval": candle.interval.value,
        "start": candle.start,
        "open": candle.open,
        "high": candle.high,
        "low": candle.low,
        "close": candle.close,
        "volume": candle.volume,
    }
