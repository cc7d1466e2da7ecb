"""Flash-market speed, engine only (`godark bench flash`; issue 7, "Speed"): a quote, a bet
through `Exchange.apply` (player protection, pricing, clamp, LP limits, ledger postings and
events included), a micro bet, the resolution of one market holding 10,000 bets, and a
simulated day of auto-created markets driven by a ManualClock.

No database and no network: what one core does with the state machine. The sequencer's
journal and storage are measured end to end by `godark bench orders`.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.clock import ManualClock
from engine.flash.book import FlashLimits
from engine.flash.creator import FlashCreator
from engine.flash.markets import RESOLUTION_WINDOW, slot_of, slot_start
from engine.flash.micro import offers
from engine.flash.sessions import open_market_command
from engine.oracle.sports.model import Sport
from engine.sim.games import GameSchedule
from engine.sim.schedule_feed import ScheduleFeed
from engine.sim.street import StreetModel
from engine.trading.commands import (
    Command,
    Deposit,
    FlashTick,
    FundFlashLiquidity,
    FundMicroHouse,
    OpenFlashMarket,
    OpenMicroSession,
    PlaceFlashBet,
    PlaceMicroBet,
    ResolveFlashMarket,
)
from engine.trading.events import FlashMarketOpened, FlashMarketVoided, MarketCollapsed
from engine.trading.exchange import Exchange
from engine.trading.exchange import Outcome as EngineOutcome

USDT = 1_000_000
START = slot_start(slot_of(datetime(2026, 6, 1, 12, 0, tzinfo=UTC)))
TICK = timedelta(milliseconds=400)
BIG_LIMITS = FlashLimits(market_loss_limit=10**7 * USDT, daily_loss_limit=10**8 * USDT)
# Issue 7, "Speed".
TARGETS = {
    "quote_us": 50,
    "place_bet_ms_p99": 5,
    "resolution_10k_bets_ms": 1_000,
    "day_markets": 1_000,
    "day_resolved_on_time": 0.99,
}


def run_flash_bench(
    quotes: int = 20_000, bets: int = 5_000, resolution_bets: int = 10_000, day: bool = True
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "benchmark": "flash",
        "quote_us": _summary(_quote_latencies(quotes), 1e6),
        "place_flash_bet_ms": _summary(_flash_bet_latencies(bets), 1e3),
        "place_micro_bet_ms": _summary(_micro_bet_latencies(), 1e3),
        "resolution": _resolution(resolution_bets),
    }
    if day:
        result["simulated_day"] = simulate_day()
    result["targets"] = TARGETS
    return result


def _summary(seconds: list[float], scale: float) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "p50": round(statistics.median(ordered) * scale, 3),
        "p99": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * scale, 3),
        "max": round(ordered[-1] * scale, 3),
        "samples": len(ordered),
    }


class _Engine:
    def __init__(self) -> None:
        self.exchange = Exchange([], BIG_LIMITS)

    def do(self, command: Command) -> EngineOutcome:
        outcome = self.exchange.apply(self.exchange.sequence + 1, command)
        self.exchange.ledger.drain()  # the sequencer hands these to storage
        return outcome


def _market(engine: _Engine, at: datetime, seconds: int = 60) -> str:
    outcome = engine.do(
        OpenFlashMarket(
            "SOCCER",
            "bench-game",
            "Bench United v Latency Rovers",
            1,
            f"GOAL_IN_60S_{engine.exchange.sequence}",
            "Goal in the next 60 s?",
            ("NO", "YES"),
            (500_000, 500_000),
            at + timedelta(seconds=seconds),
            at,
            liquidity=1_000_000,
        )
    )
    opened = outcome.events[0]
    assert isinstance(opened, FlashMarketOpened), outcome.message
    return opened.market_id


def _funded(accounts: int) -> _Engine:
    engine = _Engine()
    engine.do(FundFlashLiquidity(10**9 * USDT, "bench-lp", START))
    for index in range(accounts):
        engine.do(Deposit(f"bettor-{index}", 10_000 * USDT, f"bench-{index}", START))
    return engine


def _quote_latencies(count: int) -> list[float]:
    engine = _funded(0)
    market_id = _market(engine, START)
    book = engine.exchange.flash
    samples = []
    for index in range(count):
        at = START + timedelta(milliseconds=index % 50_000)
        side = "YES" if index % 2 else "NO"
        before = time.perf_counter()
        book.quote(market_id, side, 5 * USDT, at)
        samples.append(time.perf_counter() - before)
    return samples


def _flash_bet_latencies(count: int) -> list[float]:
    """Bets from 100 bettors spread over 50 s of one market, both sides."""
    engine = _funded(100)
    samples = []
    per_market = 5_000
    market_id, opened_at = "", START
    for index in range(count):
        if index % per_market == 0:
            opened_at = START + timedelta(minutes=index // per_market)
            market_id = _market(engine, opened_at)
        at = opened_at + timedelta(milliseconds=10 * (index % per_market))
        command = PlaceFlashBet(
            f"bettor-{index % 100}", market_id, "YES" if index % 2 else "NO", USDT, at
        )
        before = time.perf_counter()
        outcome = engine.exchange.apply(engine.exchange.sequence + 1, command)
        samples.append(time.perf_counter() - before)
        engine.exchange.ledger.drain()
        assert outcome.accepted, (outcome.code, outcome.message)
    return samples


def _micro_bet_latencies() -> list[float]:
    """One bet per session per offer: 200 sessions on the street's offers at one instant."""
    engine = _funded(200)
    engine.do(FundMicroHouse(10**7 * USDT, "bench-house", START))
    markets = offers(START, StreetModel())
    for market in markets:
        engine.do(open_market_command(market, START))
    samples = []
    for index in range(200):
        opened = engine.do(OpenMicroSession(f"bettor-{index}", 1_000 * USDT, START))
        session_id = opened.order_id
        assert session_id is not None
        for number, market in enumerate(markets[:3]):  # the session's burst of three
            command = PlaceMicroBet(
                f"bettor-{index}",
                session_id,
                market.market_id,
                market.outcomes[0].label,
                USDT,
                START + timedelta(seconds=number + 1),
            )
            before = time.perf_counter()
            outcome = engine.exchange.apply(engine.exchange.sequence + 1, command)
            samples.append(time.perf_counter() - before)
            engine.exchange.ledger.drain()
            assert outcome.accepted, (outcome.code, outcome.message)
    return samples


def _resolution(bets: int) -> dict[str, Any]:
    """One market with `bets` bets from as many bettors, resolved in one command."""
    engine = _funded(bets)
    market_id = _market(engine, START)
    for index in range(bets):
        at = START + timedelta(microseconds=int(50_000_000 * index / bets))
        side = "YES" if index % 2 else "NO"
        placed = engine.do(PlaceFlashBet(f"bettor-{index}", market_id, side, USDT, at))
        assert placed.accepted, (placed.code, placed.message)
    command = ResolveFlashMarket(market_id, "YES", "bench-quorum", START + timedelta(seconds=55))
    before = time.perf_counter()
    outcome = engine.exchange.apply(engine.exchange.sequence + 1, command)
    elapsed = time.perf_counter() - before
    entries = len(engine.exchange.ledger.drain())
    assert outcome.accepted, (outcome.code, outcome.message)
    return {"bets": bets, "ms": round(elapsed * 1e3, 1), "ledger_entries": entries}


# --- a simulated day ------------------------------------------------------------------------


def simulate_day(seed: int = 7) -> dict[str, Any]:
    """24 h of the demo's games (one of each sport at a time) through the creator, a tick
    every slot: markets created, and the share decided by the quorum by their settle slot
    (the deadline plus the 10 s resolution window)."""
    clock = ManualClock(START)
    one_of_each = {Sport.SOCCER: 1, Sport.BASKETBALL: 1, Sport.TENNIS: 1}
    feed = ScheduleFeed(GameSchedule(seed, START, slots=one_of_each), clock)
    engine = _Engine()
    creator = FlashCreator(feed, lambda: engine.exchange.flash)
    deadlines: dict[str, datetime] = {}
    collapsed: list[MarketCollapsed] = []
    voided = 0
    refused = 0
    end = START + timedelta(days=1)
    step = 0
    started = time.perf_counter()
    while clock.now() < end:
        clock.advance(TICK)
        step += 1
        now = clock.now()
        if step % 3 == 0:  # the creator looks every 1.2 s
            for command in creator.step(now):
                outcome = engine.do(command)
                refused += not outcome.accepted
                if isinstance(command, OpenFlashMarket) and outcome.accepted:
                    opened = outcome.events[0]
                    assert isinstance(opened, FlashMarketOpened)
                    deadlines[opened.market_id] = command.deadline
                collapsed += [e for e in outcome.events if isinstance(e, MarketCollapsed)]
        tick = engine.do(FlashTick(now))
        collapsed += [e for e in tick.events if isinstance(e, MarketCollapsed)]
        voided += sum(isinstance(e, FlashMarketVoided) for e in tick.events)
    wall = time.perf_counter() - started
    on_time = sum(
        e.collapse_type == "SETTLE_SLOT"
        and slot_of(e.timestamp) <= slot_of(deadlines[e.market_id] + RESOLUTION_WINDOW)
        for e in collapsed
    )
    finished = len(collapsed) + voided
    return {
        "markets_created": len(deadlines),
        "markets_finished": finished,
        "resolved_by_deadline": on_time,
        "share_resolved_by_deadline": round(on_time / finished, 5) if finished else 0.0,
        "voided": voided,
        "refused_commands": refused,
        "wall_seconds": round(wall, 1),
        "memory_accounts_at_end": len(engine.exchange.ledger.balances()),
    }
