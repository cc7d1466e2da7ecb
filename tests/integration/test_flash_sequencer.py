"""Flash markets on the real sequencer, on SQLite and PostgreSQL: bets are journaled before they
are acknowledged, a restart (from the journal or a snapshot) restores open bets exactly, and the
stored ledger pays winners and audits clean."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from engine.clock import ManualClock
from engine.flash.markets import MarketStatus, slot_of, slot_start
from engine.ledger import Ledger, audit_ledger
from engine.store.database import Database
from engine.trading import accounts
from engine.trading.commands import (
    Deposit,
    FlashTick,
    FundFlashLiquidity,
    OpenFlashMarket,
    PlaceFlashBet,
    ResolveFlashMarket,
)
from engine.trading.events import FlashBetPlaced, FlashMarketOpened, MarketCollapsed
from engine.trading.exchange import Exchange
from engine.trading.sequencer import Sequencer
from engine.trading.snapshot import state_hash
from tests.unit.trading.helpers import BTC, USDT
from tests.unit.trading.helpers import T0 as NOON

T0 = slot_start(slot_of(NOON))


def sequencer_on(database: Database, snapshot_every: int = 20_000) -> Sequencer:
    clock = ManualClock(T0)
    return Sequencer(
        Exchange([BTC]), database, Ledger(database, clock), clock, snapshot_every=snapshot_every
    )


async def open_and_bet(sequencer: Sequencer) -> tuple[str, dict[str, int]]:
    funded = await sequencer.submit(FundFlashLiquidity(10_000 * USDT, "lp-1", T0))
    assert funded.accepted
    for name in ("alice", "bob", "carol"):
        assert (await sequencer.submit(Deposit(name, 100 * USDT, f"d-{name}", T0))).accepted
    opened = await sequencer.submit(
        OpenFlashMarket(
            "SOCCER",
            "game-1",
            "Northport United v Eastham Rovers",
            2,
            "GOAL_IN_60S",
            "Goal in the next 60 s?",
            ("NO", "YES"),
            (800_000, 200_000),
            T0 + timedelta(seconds=60),
            T0,
        )
    )
    event = opened.events[0]
    assert isinstance(event, FlashMarketOpened)
    market_id = event.market_id
    # Concurrent bets share one batch and one transaction, in arrival order.
    outcomes = await asyncio.gather(
        *(
            sequencer.submit(
                PlaceFlashBet(
                    name,
                    market_id,
                    side,
                    stake * USDT,
                    T0 + timedelta(seconds=1),
                    client_bet_id=f"{name}-1",
                )
            )
            for name, side, stake in (("alice", "YES", 10), ("bob", "NO", 20), ("carol", "YES", 5))
        )
    )
    shares = {}
    for outcome in outcomes:
        assert outcome.accepted, outcome.message
        placed = next(e for e in outcome.events if isinstance(e, FlashBetPlaced))
        shares[placed.account] = placed.shares
    await sequencer.submit(FlashTick(T0 + timedelta(seconds=2)))
    return market_id, shares


async def test_open_bets_survive_a_restart_and_pay_out_through_the_stored_ledger(
    database: Database,
) -> None:
    first = sequencer_on(database)
    await first.start()
    market_id, shares = await open_and_bet(first)
    await first.stop()

    second = sequencer_on(database)
    assert await second.start() == first.exchange.sequence
    assert state_hash(second.exchange) == state_hash(first.exchange)
    book = second.exchange.flash
    assert [b.shares for b in reversed(book.bets_of("alice"))] == [shares["alice"]]
    # A retried bet after the restart is recognised, not placed twice.
    retry = await second.submit(
        PlaceFlashBet(
            "alice",
            market_id,
            "YES",
            10 * USDT,
            T0 + timedelta(seconds=3),
            client_bet_id="alice-1",
        )
    )
    assert retry.accepted and retry.events == []

    resolved = await second.submit(
        ResolveFlashMarket(market_id, "YES", "quorum-1", T0 + timedelta(seconds=30))
    )
    collapsed = next(e for e in resolved.events if isinstance(e, MarketCollapsed))
    assert collapsed.total_payout == shares["alice"] + shares["carol"]
    assert book.markets[market_id].status is MarketStatus.COLLAPSED
    await second.stop()

    ledger = Ledger(database, ManualClock(T0))
    assert await ledger.balance(accounts.available("alice")) == 90 * USDT + shares["alice"]
    assert await ledger.balance(accounts.available("bob")) == 80 * USDT
    assert await ledger.balance(accounts.flash_escrow(market_id)) == 0
    for key, balance in second.exchange.ledger.balances().items():
        if balance:  # accounts never posted to are not stored
            assert await ledger.balance(key) == balance, key
    report = await audit_ledger(database)
    assert report.differences == 0


async def test_a_snapshot_with_open_bets_restores_exactly(database: Database) -> None:
    first = sequencer_on(database, snapshot_every=4)
    await first.start()
    market_id, _ = await open_and_bet(first)
    await first.submit(PlaceFlashBet("bob", market_id, "YES", 3 * USDT, T0 + timedelta(seconds=4)))
    await first.stop()

    second = sequencer_on(database, snapshot_every=4)
    replayed = await second.start()
    await second.stop()
    assert replayed < first.exchange.sequence  # restored from a snapshot, then replayed
    assert state_hash(second.exchange) == state_hash(first.exchange)
    assert second.exchange.ledger.balances() == first.exchange.ledger.balances()
    assert second.exchange.flash.markets[market_id].liability == (
        first.exchange.flash.markets[market_id].liability
    )


async def test_a_micro_session_end_to_end_through_the_stored_ledger(database: Database) -> None:
    from engine.flash.micro import offers
    from engine.flash.sessions import open_market_command
    from engine.sim.street import StreetModel
    from engine.trading.commands import (
        CloseMicroSession,
        FundMicroHouse,
        OpenMicroSession,
        PlaceMicroBet,
        SetProtectionLimit,
        SettleMicroMarket,
    )
    from engine.trading.events import MicroBetSettled, MicroSessionClosed

    observers = ("observer-1", "observer-2", "observer-3")
    first = sequencer_on(database, snapshot_every=5)
    await first.start()
    assert (await first.submit(FundMicroHouse(1_000 * USDT, "house-1", T0))).accepted
    assert (await first.submit(Deposit("alice", 100 * USDT, "d-alice", T0))).accepted
    assert (await first.submit(SetProtectionLimit("alice", "loss", "day", 50 * USDT, T0))).accepted
    opened = await first.submit(OpenMicroSession("alice", 50 * USDT, T0, "alice-1"))
    assert opened.accepted, opened.message
    market = next(m for m in offers(T0, StreetModel()) if "bus-60s" in m.market_id)
    assert (await first.submit(open_market_command(market, T0))).accepted
    bets = await asyncio.gather(
        first.submit(PlaceMicroBet("alice", "alice-1", market.market_id, "NO", 4 * USDT, T0)),
        first.submit(
            PlaceMicroBet(
                "alice", "alice-1", market.market_id, "YES", 2 * USDT, T0 + timedelta(seconds=2)
            )
        ),
    )
    assert all(b.accepted for b in bets), [b.message for b in bets]
    await first.stop()

    # A restart (snapshot + journal) restores the session and protection state exactly.
    second = sequencer_on(database, snapshot_every=5)
    await second.start()
    assert state_hash(second.exchange) == state_hash(first.exchange)
    settled = await second.submit(
        SettleMicroMarket(market.market_id, observers, ("NO", "NO", "YES"), market.closes_at)
    )
    results = {e.outcome: e for e in settled.events if isinstance(e, MicroBetSettled)}
    odds_no = market.odds_of("NO")
    assert odds_no is not None
    assert results["NO"].returned == 4 * USDT * odds_no // 100
    assert results["YES"].returned == 0
    closed = await second.submit(
        CloseMicroSession("alice", "alice-1", market.closes_at + timedelta(seconds=1))
    )
    event = next(e for e in closed.events if isinstance(e, MicroSessionClosed))
    assert event.reserve_returned == 5 * USDT
    await second.stop()

    ledger = Ledger(database, ManualClock(T0))
    won = 4 * USDT * odds_no // 100 - 4 * USDT
    assert await ledger.balance(accounts.available("alice")) == 100 * USDT + won - 2 * USDT
    assert await ledger.balance(accounts.MICRO_HOUSE) == 1_000 * USDT - won + 2 * USDT
    for key in accounts.micro_session_accounts("alice-1"):
        assert await ledger.balance(key) == 0  # the stored rows remain, empty
    status = second.exchange.protection_status("alice", market.closes_at)
    assert status.open_stakes == 0
    report = await audit_ledger(database)
    assert report.differences == 0
