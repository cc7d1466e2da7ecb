"""Saves and loads the daily statistics and the engine's runs (tables `stats_day` and
`stats_run`). A save writes the changed days, the run's last sign of life and the last
command counted in one transaction, so what is loaded is always a consistent prefix of
the journal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, func, insert, or_, select, update

from engine.stats.execution import COUNTERS, BucketKey, Totals
from engine.stats.uptime import Run
from engine.store.database import Database, as_utc
from engine.store.tables import StatsDayRow, StatsRunRow, table_of

STATS_DAY = table_of(StatsDayRow)
STATS_RUN = table_of(StatsRunRow)


@dataclass(frozen=True, slots=True)
class SavedStats:
    days: dict[BucketKey, Totals]
    runs: list[Run]
    through_sequence: int  # the last command the saved days count (0: none)


class StatsStore:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def load(self) -> SavedStats:
        async with self._database.engine.connect() as connection:
            day_rows = (await connection.execute(select(STATS_DAY))).all()
            run_rows = (
                await connection.execute(select(STATS_RUN).order_by(STATS_RUN.c.started_at))
            ).all()
            through = await connection.scalar(select(func.max(STATS_RUN.c.through_sequence)))
        days = {
            (row.symbol, row.day): Totals(**{name: int(getattr(row, name)) for name in COUNTERS})
            for row in day_rows
        }
        runs = [Run(as_utc(row.started_at), as_utc(row.last_seen_at)) for row in run_rows]
        return SavedStats(days, runs, int(through or 0))

    async def begin_run(self, run_id: str, started_at: datetime, through_sequence: int) -> None:
        async with self._database.transaction() as connection:
            await connection.execute(
                insert(STATS_RUN).values(
                    id=run_id,
                    started_at=started_at,
                    last_seen_at=started_at,
                    through_sequence=through_sequence,
                )
            )

    async def save(
        self,
        days: dict[BucketKey, Totals],
        run_id: str,
        seen_at: datetime,
        through_sequence: int,
    ) -> None:
        """The days hold their full sums (loaded at start, then added to), so each one
        replaces its row: a portable upsert on SQLite and PostgreSQL alike."""
        async with self._database.transaction() as connection:
            if days:
                await connection.execute(
                    delete(STATS_DAY).where(
                        or_(
                            *(
                                and_(STATS_DAY.c.symbol == symbol, STATS_DAY.c.day == day)
                                for symbol, day in days
                            )
                        )
                    )
                )
                await connection.execute(
                    insert(STATS_DAY),
                    [
                        {"symbol": symbol, "day": day}
                        | {name: getattr(totals, name) for name in COUNTERS}
                        for (symbol, day), totals in days.items()
                    ],
                )
            await connection.execute(
                update(STATS_RUN)
                .where(STATS_RUN.c.id == run_id)
                .values(last_seen_at=seen_at, through_sequence=through_sequence)
            )
