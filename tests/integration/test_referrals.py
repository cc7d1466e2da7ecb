"""Referral rewards through the real sequencer and ledger, on SQLite and PostgreSQL: a
referee's fees earn its referrer a share once the day is over, paid once whatever
happens, and only referees' trades count."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert

from engine.accounts.referrals import (
    PAYOUT_DELAY,
    REFERRAL_PERIOD,
    ReferralProgram,
    reward_for,
    reward_reference,
)
from engine.clock import ManualClock
from engine.ledger import Ledger, audit_ledger
from engine.matching import OrderType, Side
from engine.settlement.batcher import build_batch
from engine.settlement.trades import trades_from_fills
from engine.store.database import Database
from engine.store.settlement import NewBatch, SettlementRepository
from engine.store.tables import AccountRow, table_of
from engine.trading import accounts
from engine.trading.commands import Deposit, PayReferralReward, SubmitOrder, UpdatePrices
from engine.trading.events import OrderFill
from engine.trading.exchange import Exchange
from engine.trading.sequencer import Sequencer
from tests.unit.trading.helpers import BTC, SYMBOL, T0, USDT, px, qty

# A referrer, its referee, and a trader nobody referred.
REFERRER = "acc_referrer"
REFEREE = "acc_referee"
STRANGER = "acc_stranger"
OTHER = "acc_other"  # trades, but has no account row: no one referred it
NEXT_DAY = T0.replace(hour=0, minute=0) + timedelta(days=1)


async def open_accounts(database: Database, referee_joined: datetime = T0) -> None:
    rows = [(REFERRER, None, T0), (REFEREE, REFERRER, referee_joined), (STRANGER, None, T0)]
    async with database.transaction() as connection:
        for account_id, referred_by, joined in rows:
            await connection.execute(
                insert(table_of(AccountRow)).values(
                    id=account_id,
                    email=f"{account_id}@example.com",
                    password_hash="!",
                    status="ACTIVE",
                    roles="USER",
                    tier="FREE",
                    kyc_tier="NONE",
                    terms_version="t",
                    referral_code=account_id[-8:].upper(),
                    referred_by=referred_by,
                    totp_enabled=False,
                    backup_codes="",
                    created_at=joined,
                )
            )


async def trade(sequencer: Sequencer, taker: str, maker: str, at: datetime) -> list[OrderFill]:
    """`maker` rests a sell, `taker` buys it at market: returns both fills."""
    for name in (taker, maker):
        await sequencer.submit(Deposit(name, 5_000 * USDT, f"d-{name}-{at.isoformat()}", at))
    mid = px("60000")
    await sequencer.submit(UpdatePrices(SYMBOL, mid, mid, px("59990"), px("60010"), True, at))
    resting = SubmitOrder(
        maker, SYMBOL, Side.SELL, OrderType.LIMIT, qty("0.05"), 10, at, limit_price=mid
    )
    assert (await sequencer.submit(resting)).accepted
    taking = await sequencer.submit(
        SubmitOrder(taker, SYMBOL, Side.BUY, OrderType.MARKET, qty("0.05"), 10, at)
    )
    assert taking.accepted, taking.message
    return [event for event in taking.events if isinstance(event, OrderFill)]


def sequencer_on(database: Database, clock: ManualClock) -> Sequencer:
    return Sequencer(Exchange([BTC]), database, Ledger(database, clock), clock)


def fee_of(fills: list[OrderFill], account: str) -> int:
    return sum(fill.fee for fill in fills if fill.account == account)


async def test_a_referees_fees_earn_the_referrer_its_share_once_the_day_is_over(
    database: Database,
) -> None:
    await open_accounts(database)
    clock = ManualClock(T0)
    sequencer = sequencer_on(database, clock)
    await sequencer.start()
    program = ReferralProgram(database, clock, sequencer.submit)
    # The referee takes (pays the taker fee); the stranger's own fees earn no one anything.
    fills = await trade(sequencer, REFEREE, STRANGER, T0)
    fills += await trade(sequencer, STRANGER, REFEREE, T0)  # the referee as maker
    fills += await trade(sequencer, STRANGER, OTHER, T0)
    reward = reward_for(sum(max(fill.fee, 0) for fill in fills if fill.account == REFEREE))
    assert reward > 0

    during_the_day = await program.summary(REFERRER, "CODE")
    assert (during_the_day.rewards_pending, during_the_day.rewards_paid) == (reward, 0)
    assert await program.rewards_due() == []
    assert (await program.summary(STRANGER, "CODE")).rewards_pending == 0

    clock.advance(NEXT_DAY + PAYOUT_DELAY - clock.now())
    fees_before = sequencer.exchange.ledger.balance(accounts.FEES)
    assert await program.pay_rewards() == 1
    await sequencer.stop()  # every journaled effect stored

    assert sequencer.exchange.ledger.balance(accounts.available(REFERRER)) == reward
    assert sequencer.exchange.ledger.balance(accounts.FEES) == fees_before - reward
    stored = Ledger(database, clock)
    assert await stored.balance(accounts.available(REFERRER)) == reward
    entry = await stored.entry(reward_reference(REFERRER, T0.date()))
    assert entry is not None and entry.entry.kind == "referral_reward"
    after = await program.summary(REFERRER, "CODE")
    assert (after.rewards_pending, after.rewards_paid) == (0, reward)
    assert (await audit_ledger(database)).differences == 0


async def test_a_day_is_paid_once_through_replays_and_restarts(database: Database) -> None:
    await open_accounts(database)
    clock = ManualClock(T0)
    sequencer = sequencer_on(database, clock)
    await sequencer.start()
    reward = reward_for(fee_of(await trade(sequencer, REFEREE, STRANGER, T0), REFEREE))
    clock.advance(NEXT_DAY + PAYOUT_DELAY - clock.now())
    assert await ReferralProgram(database, clock, sequencer.submit).pay_rewards() == 1
    # The same day submitted again (a retry, a second process): the engine answers with
    # the first payment and moves nothing; another amount under the same day is refused.
    again = PayReferralReward(REFERRER, reward, reward_reference(REFERRER, T0.date()), T0)
    replayed = await sequencer.submit(again)
    assert replayed.accepted and replayed.replay_of is not None
    different = await sequencer.submit(
        PayReferralReward(REFERRER, reward + 1, again.reference, NEXT_DAY)
    )
    assert not different.accepted and different.code == "IDEMPOTENCY_KEY_REUSED"
    await sequencer.stop()

    # After a restart (journal replayed) the payer finds the day in the ledger: nothing due.
    restarted = sequencer_on(database, clock)
    await restarted.start()
    program = ReferralProgram(database, clock, restarted.submit)
    assert await program.rewards_due() == []
    assert await program.pay_rewards() == 0
    await restarted.stop()
    assert restarted.exchange.ledger.balance(accounts.available(REFERRER)) == reward
    assert await Ledger(database, clock).balance(accounts.available(REFERRER)) == reward
    assert (await audit_ledger(database)).differences == 0


async def test_fees_after_the_reward_period_earn_nothing(database: Database) -> None:
    await open_accounts(database, referee_joined=T0 - REFERRAL_PERIOD)
    clock = ManualClock(T0)
    sequencer = sequencer_on(database, clock)
    await sequencer.start()
    await trade(sequencer, REFEREE, STRANGER, T0)
    clock.advance(NEXT_DAY + PAYOUT_DELAY - clock.now())
    program = ReferralProgram(database, clock, sequencer.submit)
    assert await program.rewards_due() == []
    await sequencer.stop()


async def test_settled_trades_count_as_referee_volume_once(database: Database) -> None:
    await open_accounts(database)
    clock = ManualClock(T0)
    sequencer = sequencer_on(database, clock)
    await sequencer.start()
    fills = await trade(sequencer, REFEREE, STRANGER, T0)
    fills += await trade(sequencer, STRANGER, OTHER, T0)  # no referee in it
    await sequencer.stop()
    trades = trades_from_fills(fills)
    batches = SettlementRepository(database)
    for sequence, batch_trades in enumerate(([trades[0]], trades[1:]), start=1):
        batch = build_batch(sequence, batch_trades, T0, T0)
        await batches.insert_batch(
            NewBatch(
                batch.batch_id,
                sequence,
                batch.root.hex(),
                T0,
                [t.trade_id for t in batch.trades],
                batch.leaves,
            ),
            "MATCHED",
            T0,
        )
    program = ReferralProgram(database, clock)

    assert await program.record_activity() == 1
    assert await program.record_activity() == 0  # read already: nothing counted twice
    summary = await program.summary(REFERRER, "CODE")
    assert summary.sign_ups == 1
    assert summary.active_referees == 1
    assert summary.referee_trades == 1
    assert summary.referee_volume == 60_000 * USDT * 5 // 100  # 0.05 BTC at 60,000
    nobody = await program.summary(STRANGER, "CODE")
    assert (nobody.sign_ups, nobody.referee_trades, nobody.referee_volume) == (0, 0, 0)
