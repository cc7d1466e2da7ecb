"""Auto-creation: simulated games produce flash markets that the quorum's observations settle.

Driven with a ManualClock, never in real time: the oracle path for a few minutes of the demo,
and a whole simulated day through a lighter feed built on the same simulated games.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.clock import ManualClock
from engine.flash.creator import FlashCreator
from engine.flash.markets import RESOLUTION_WINDOW, slot_of
from engine.oracle.sports import (
    SportsOracle,
)
from engine.oracle.sports.model import Sport
from engine.sim.games import GameSchedule
from engine.sim.schedule_feed import ScheduleFeed
from engine.sim.sports_providers import InProcessProviderClient, build_demo_providers
from engine.trading.commands import (
    Command,
    Deposit,
    FlashTick,
    FundFlashLiquidity,
    OpenFlashMarket,
    PlaceFlashBet,
)
from engine.trading.events import (
    FlashMarketOpened,
    FlashMarketVoided,
    MarketCollapsed,
)
from engine.trading.exchange import Exchange
from engine.trading.exchange import Outcome as EngineOutcome
from tests.unit.trading.helpers import USDT

START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
TICK = timedelta(milliseconds=400)


class Engine:
    """An exchange fed commands in order, as the sequencer would, collecting events."""

    def __init__(self) -> None:
        self.exchange = Exchange([])
        self.events: list[Any] = []
        self.refused: Counter[str] = Counter()

    def do(self, command: Command) -> EngineOutcome:
        outcome = self.exchange.apply(self.exchange.sequence + 1, command)
        if outcome.accepted:
            self.events += outcome.events
        else:
            self.refused[f"{type(command).__name__}:{outcome.code}"] += 1
        return outcome


async def test_a_simulated_game_produces_markets_that_settle() -> None:
    clock = ManualClock(START)

    async def publish(topic: str, message: dict[str, Any]) -> None:
        return None

    # The demo's five simulated books and the real oracle, over one game of each sport.
    one_of_each = {Sport.SOCCER: 1, Sport.BASKETBALL: 1, Sport.TENNIS: 1}
    books = build_demo_providers(clock, 7, GameSchedule(7, START, slots=one_of_each))
    oracle = SportsOracle([InProcessProviderClient(b) for b in books], clock, publish)
    engine = Engine()
    engine.do(FundFlashLiquidity(100_000 * USDT, "lp", START))
    engine.do(Deposit("alice", 1_000 * USDT, "d-alice", START))
    creator = FlashCreator(oracle, lambda: engine.exchange.flash)
    bets = 0
    for step in range(int(10 * 60 / 0.4)):  # ten minutes, one slot at a time
        clock.advance(TICK)
        now = clock.now()
        if step % 5 == 0:  # the providers are polled every 2 s
            await oracle.poll_once()
        if step % 2 == 0:
            for command in creator.step(now):
                outcome = engine.do(command)
                if isinstance(command, OpenFlashMarket) and outcome.accepted and bets < 20:
                    market_id = outcome.events[0].market_id
                    bet = PlaceFlashBet("alice", market_id, command.outcomes[-1], 2 * USDT, now)
                    bets += engine.do(bet).accepted
        engine.do(FlashTick(now))

    opened = [e for e in engine.events if isinstance(e, FlashMarketOpened)]
    collapsed = [e for e in engine.events if isinstance(e, MarketCollapsed)]
    assert len(opened) >= 10, engine.refused
    assert {e.sport for e in opened} == {"SOCCER", "BASKETBALL", "TENNIS"}, opened
    assert bets >= 10
    decided = [e for e in collapsed if e.collapse_type == "SETTLE_SLOT"]
    settled = len(collapsed) + sum(isinstance(e, FlashMarketVoided) for e in engine.events)
    active = sum(m.is_active for m in engine.exchange.flash.markets.values())
    assert settled + active == len(opened)
    assert len(decided) >= 0.95 * settled
    # Every bet was paid or lost, and every settled escrow is empty.
    balances = engine.exchange.ledger.balances()
    for market in engine.exchange.flash.markets.values():
        if not market.is_active:
            # Emptied and closed: collapsed markets leave no accounts behind in memory.
            assert _escrow(market.market_id) not in balances
    assert sum(balances.values()) == 0
    # Parents: game -> period -> flash.
    some = engine.exchange.flash.markets[opened[0].market_id]
    assert len(engine.exchange.flash.lineage(some.market_id)) == 2


def _escrow(market_id: str) -> Any:
    from engine.trading import accounts

    return accounts.flash_escrow(market_id)


def test_a_simulated_day_creates_and_settles_over_a_thousand_markets() -> None:
    clock = ManualClock(START)
    one_of_each = {Sport.SOCCER: 1, Sport.BASKETBALL: 1, Sport.TENNIS: 1}
    feed = ScheduleFeed(GameSchedule(7, START, slots=one_of_each), clock)
    engine = Engine()
    creator = FlashCreator(feed, lambda: engine.exchange.flash)
    deadlines: dict[str, datetime] = {}
    end = START + timedelta(days=1)
    step = 0
    while clock.now() < end:
        clock.advance(TICK)
        step += 1
        now = clock.now()
        if step % 3 == 0:  # the creator looks every 1.2 s
            for command in creator.step(now):
                outcome = engine.do(command)
                if isinstance(command, OpenFlashMarket) and outcome.accepted:
                    deadlines[outcome.events[0].market_id] = command.deadline
        engine.do(FlashTick(now))

    opened = [e for e in engine.events if isinstance(e, FlashMarketOpened)]
    collapsed = [e for e in engine.events if isinstance(e, MarketCollapsed)]
    voided = [e for e in engine.events if isinstance(e, FlashMarketVoided)]
    assert len(opened) >= 1_000, engine.refused
    assert not engine.refused, engine.refused
    # Decided by the quorum (a signed result or an observed score) no later than the settle
    # slot: the deadline plus the 10 s resolution window.
    on_time = [
        e
        for e in collapsed
        if e.collapse_type == "SETTLE_SLOT"
        and slot_of(e.timestamp) <= slot_of(deadlines[e.market_id] + RESOLUTION_WINDOW)
    ]
    finished = len(collapsed) + len(voided)
    assert finished >= len(opened) - 5  # the last few are still open at midnight
    assert len(on_time) / finished > 0.99, Counter(e.collapse_type for e in collapsed)
    by_type = Counter(e.market_type.rstrip("0123456789") for e in opened)
    assert set(by_type) == {
        "GOAL_IN_60S",
        "LEADER_END_OF_PERIOD_",
        "GAME_WINNER_WINDOW",
        "MATCH_WINNER_FINAL",
    }
