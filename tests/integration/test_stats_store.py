"""The stats survive restarts, on SQLite and PostgreSQL: saved days are loaded, the journal
replay adds what was not saved before a crash, and nothing is counted twice."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from datetime import timedelta
from itertools import pairwise

from engine.clock import ManualClock
from engine.ledger import Ledger
from engine.stats import StatsRecorder, Totals
from engine.store.database import Database
from engine.trading.exchange import Exchange, Outcome
from engine.trading.sequencer import Sequencer
from tests.integration.test_sequencer import trade_a_little
from tests.unit.trading.helpers import BTC, SYMBOL, T0

DAY = T0.date()


@dataclass
class Engine:
    sequencer: Sequencer
    recorder: StatsRecorder
    progress: asyncio.Event  # set whenever the stats were handed an outcome

    async def published(self) -> None:
        """Until the publisher has handed every committed outcome to the stats."""
        while self.recorder.through_sequence < self.sequencer.exchange.sequence:
            self.progress.clear()
            await asyncio.wait_for(self.progress.wait(), timeout=30)


async def start_engine(database: Database, clock: ManualClock) -> Engine:
    """Wired as the venue wires them: stats loaded, then the replay, then live outcomes."""
    recorder = StatsRecorder(database, clock)
    progress = asyncio.Event()

    async def publish(outcome: Outcome) -> None:
        recorder.observe(outcome)
        progress.set()

    sequencer = Sequencer(Exchange([BTC]), database, Ledger(database, clock), clock, publish)
    await recorder.load()
    sequencer.on_replayed = recorder.observe
    await sequencer.start()
    return Engine(sequencer, recorder, progress)


def today(recorder: StatsRecorder) -> Totals:
    return recorder.stats.totals(DAY, DAY, SYMBOL)


async def test_stats_survive_a_stop_and_a_crash(database: Database) -> None:
    clock = ManualClock(T0)
    engine = await start_engine(database, clock)
    await trade_a_little(engine.sequencer)
    await engine.published()
    await engine.sequencer.stop()
    await engine.recorder.stop()  # a clean stop saves
    before = today(engine.recorder)
    assert before.trades == 1 and before.orders == 3 and before.liquidity > 0

    clock.advance(timedelta(minutes=10))
    engine = await start_engine(database, clock)
    # Loaded, and the replayed commands it already counted are not counted again.
    assert asdict(today(engine.recorder)) == asdict(before)
    await trade_a_little(engine.sequencer)
    await engine.published()
    await engine.sequencer.stop()
    after_crash = today(engine.recorder)  # the process dies here: nothing saved since start
    assert after_crash.trades == 2 and after_crash.orders == 6

    clock.advance(timedelta(minutes=5))
    engine = await start_engine(database, clock)
    await engine.sequencer.stop()
    assert asdict(today(engine.recorder)) == asdict(after_crash)
    # Two restarts: down 10 minutes, then from the crashed run's start (its last sign of
    # life) to this start, 5 minutes.
    runs = engine.recorder.runs
    gaps = [later.started_at - earlier.last_seen_at for earlier, later in pairwise(runs)]
    assert gaps == [timedelta(minutes=10), timedelta(minutes=5)]
    await engine.recorder.stop()
