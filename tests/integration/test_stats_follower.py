"""An API process's statistics (engine/stats/follower.py), on SQLite and PostgreSQL: the
engine's saved days plus the outcomes applied since, equal to the engine's own figures, and
nothing counted twice when the engine saves those outcomes in turn."""

from __future__ import annotations

import asyncio
from dataclasses import asdict

from engine.clock import ManualClock
from engine.ledger import Ledger
from engine.stats import SavedStatsFollower, StatsRecorder, Totals
from engine.store.database import Database
from engine.trading.exchange import Exchange, Outcome
from engine.trading.sequencer import Sequencer
from tests.integration.test_sequencer import trade_a_little
from tests.unit.trading.helpers import BTC, SYMBOL, T0

DAY = T0.date()


def today(stats: StatsRecorder | SavedStatsFollower) -> dict[str, int]:
    totals: Totals = stats.stats.totals(DAY, DAY, SYMBOL)
    return asdict(totals)


async def test_the_follower_counts_what_the_engine_counts_once(database: Database) -> None:
    clock = ManualClock(T0)
    recorder = StatsRecorder(database, clock)
    follower = SavedStatsFollower(database, clock)
    live = False  # the follower sees outcomes only once "its replica" runs
    progress = asyncio.Event()

    async def publish(outcome: Outcome) -> None:
        recorder.observe(outcome)
        if live:
            follower.observe(outcome)  # as the replica's on_applied would
        progress.set()

    async def published() -> None:
        while recorder.through_sequence < sequencer.exchange.sequence:
            progress.clear()
            await asyncio.wait_for(progress.wait(), timeout=30)

    sequencer = Sequencer(Exchange([BTC]), database, Ledger(database, clock), clock, publish)
    await recorder.load()
    await sequencer.start()
    try:
        await trade_a_little(sequencer)
        await published()
        await recorder.flush()

        await follower.load()
        assert follower.through_sequence == sequencer.exchange.sequence
        assert today(follower) == today(recorder) and today(follower)["trades"] == 1
        assert follower.started_at == recorder.started_at

        live = True
        await trade_a_little(sequencer)
        await published()
        # Not saved yet: counted from the outcomes applied here.
        assert today(follower) == today(recorder) and today(follower)["trades"] == 2
        await recorder.flush()
        await follower.load()  # the refresh: saved now, and not added a second time
        assert today(follower) == today(recorder) and today(follower)["trades"] == 2
    finally:
        await sequencer.stop()
        await recorder.stop()
