"""The sequencer on both databases: journaled before acknowledged, and a restart replays."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from engine.clock import ManualClock
from engine.ledger import Ledger, audit_ledger
from engine.matching import OrderType, Side
from engine.store.database import Database
from engine.store.journal import CommandJournal
from engine.trading import accounts
from engine.trading.commands import Deposit, SubmitOrder, UpdatePrices
from engine.trading.exchange import Exchange
from engine.trading.sequencer import Sequencer
from engine.trading.snapshot import state_hash
from tests.unit.trading.helpers import BTC, SYMBOL, T0, USDT, px, qty


def sequencer_on(database: Database) -> Sequencer:
    clock = ManualClock(T0)
    return Sequencer(Exchange([BTC]), database, Ledger(database, clock), clock)


async def trade_a_little(sequencer: Sequencer) -> None:
    for name in ("alice", "bob"):
        outcome = await sequencer.submit(Deposit(name, 5_000 * USDT, f"d-{name}", T0))
        assert outcome.accepted
    mid = px("60000")
    await sequencer.submit(UpdatePrices(SYMBOL, mid, mid, px("59990"), px("60010"), True, T0))
    # Concurrent submissions are batched into one transaction, in arrival order.
    outcomes = await asyncio.gather(
        sequencer.submit(
            SubmitOrder(
                "alice",
                SYMBOL,
                Side.BUY,
                OrderType.LIMIT,
                qty("0.05"),
                20,
                T0,
                limit_price=px("60000"),
            )
        ),
        sequencer.submit(
            SubmitOrder("bob", SYMBOL, Side.SELL, OrderType.MARKET, qty("0.05"), 20, T0)
        ),
        sequencer.submit(
            SubmitOrder(
                "bob",
                SYMBOL,
                Side.SELL,
                OrderType.LIMIT,
                qty("0.01"),
                20,
                T0,
                limit_price=px("61000"),
            )
        ),
    )
    assert [outcome.accepted for outcome in outcomes] == [True, True, True], [
        (o.code, o.message) for o in outcomes
    ]


async def test_a_restart_replays_to_the_same_state(database: Database) -> None:
    first = sequencer_on(database)
    await first.start()
    await trade_a_little(first)
    await first.stop()
    before = first.exchange

    second = sequencer_on(database)
    assert await second.start() == before.sequence
    after = second.exchange
    await second.stop()

    assert after.sequence == before.sequence
    assert after.positions == before.positions
    assert after.ledger.balances() == before.ledger.balances()
    assert after.books[SYMBOL].state_hash() == before.books[SYMBOL].state_hash()
    assert len(after.open_orders("bob")) == 1


async def test_stored_ledger_matches_the_engine_and_audits_clean(database: Database) -> None:
    sequencer = sequencer_on(database)
    await sequencer.start()
    await trade_a_little(sequencer)
    await sequencer.stop()

    ledger = Ledger(database, ManualClock(T0))
    for key, balance in sequencer.exchange.ledger.balances().items():
        if balance:
            assert await ledger.balance(key) == balance, key
    assert await ledger.balance(accounts.collateral("alice", SYMBOL)) > 0
    report = await audit_ledger(database)
    assert report.differences == 0


async def test_a_restart_from_a_snapshot_replays_only_what_followed(database: Database) -> None:
    clock = ManualClock(T0)
    first = Sequencer(Exchange([BTC]), database, Ledger(database, clock), clock, snapshot_every=3)
    await first.start()
    await trade_a_little(first)
    await first.stop()  # waits for a snapshot being encoded
    # Commands after the last snapshot, from a run that takes none.
    first = Sequencer(Exchange([BTC]), database, Ledger(database, clock), clock)
    await first.start()
    await first.submit(Deposit("carol", 1_000 * USDT, "d-carol", T0))
    await first.stop()
    snapshot = await CommandJournal(database).latest_snapshot("exchange")
    assert snapshot is not None and 0 < snapshot.sequence < first.exchange.sequence

    second = Sequencer(Exchange([BTC]), database, Ledger(database, clock), clock, snapshot_every=3)
    replayed = await second.start()
    await second.stop()
    assert replayed == first.exchange.sequence - snapshot.sequence
    assert state_hash(second.exchange) == state_hash(first.exchange)
    assert second.exchange.positions == first.exchange.positions


async def test_a_caller_cancelled_as_its_reply_lands_is_cancelled(database: Database) -> None:
    """A driver's loop stopped at the moment its command is answered must stop: on Python
    3.11 `asyncio.wait_for` returned the reply instead, and the loop ran on for ever."""
    clock = ManualClock(T0)
    callers: list[asyncio.Task[object]] = []

    class AnswerThenCancel(Sequencer):
        async def _process(self, batch: list[Any]) -> None:
            await super()._process(batch)  # the replies are set; their callers not resumed
            for caller in callers:
                caller.cancel()

    sequencer = AnswerThenCancel(Exchange([BTC]), database, Ledger(database, clock), clock)
    await sequencer.start()
    try:
        deposit = Deposit("dana", 10 * USDT, "d-dana", T0)
        callers.append(asyncio.create_task(sequencer.submit(deposit, queue_timeout=5)))
        with pytest.raises(asyncio.CancelledError):
            await callers[0]
    finally:
        await sequencer.stop()
    assert sequencer.exchange.ledger.balance(accounts.available("dana")) == 10 * USDT
