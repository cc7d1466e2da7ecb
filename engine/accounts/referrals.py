"""Referrals (seed 004 §9, "Referrals System"): rewards paid to referrers and the statistics
of their referees.

The seed names the figures (sign-ups, trading volume, rewards) but no rule; ours, as most
venues do it: a referrer earns REFERRAL_FEE_SHARE_BPS of the trading fees each referee pays
on perpetual fills during the referee's first REFERRAL_PERIOD. Flash and micro bets earn
nothing, so no one is rewarded for a friend's betting losses.

Rewards are computed from the stored ledger (the fees actually charged, waivers and rebates
included) per referrer and UTC day, and paid once the day is over through the trading
engine, as a journaled `PayReferralReward` from the venue's fee revenue: the engine's
in-memory ledger, not the database, holds the live balances, so a payment written straight
to the database would be overwritten by the engine's view. The reference `referral:<referrer>:
<day>` makes a day payable once only: the engine remembers it (snapshot and journal) and the
stored ledger refuses the same idempotency key twice.

Volume and trade counts come from the settlement batches (every trade, with its two accounts)
read incrementally into `referral_activity`; they are statistics only and never pay anything.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import structlog
from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from engine.clock import Clock
from engine.errors import DomainError
from engine.ledger import AccountPurpose, OwnerKind
from engine.perps.units import BPS, NOTIONAL_DIVISOR
from engine.settlement.trades import SettledTrade, decode_trade
from engine.store.database import Database, as_utc, insert_ignoring_duplicates
from engine.store.tables import (
    AccountRow,
    LedgerAccountRow,
    LedgerEntryRow,
    LedgerPostingRow,
    ReferralActivityRow,
    ReferralScanRow,
    SettlementBatchRow,
    SettlementLeafRow,
    table_of,
)
from engine.trading import accounts as ledger_accounts
from engine.trading.commands import Command, PayReferralReward
from engine.trading.exchange import Outcome

# The programme's terms (our choice where seed 004 is silent; docs/api.md "Referrals").
REFERRAL_FEE_SHARE_BPS = 2_000  # 20 % of the fees a referee pays
REFERRAL_PERIOD = timedelta(days=90)  # from the referee's sign-up
# A day is paid this long after it ends: the engine writes its last fills to the database
# within a batch, well under a second; the margin covers a slow write.
PAYOUT_DELAY = timedelta(minutes=5)
# Days still payable (a payment refused, say while the venue is paused, is retried for a
# week); older unpaid days are not paid.
PAYOUT_LOOKBACK_DAYS = 7
# How often the engine process pays due days and reads new settlement batches.
REFERRAL_TASK_SECONDS = 10.0
SCAN_BATCHES = 500  # settlement batches read per transaction
SCAN_SOURCE = "settlement"
REWARD_KIND = "referral_reward"
FILL_KIND = "fill"
REFERENCE_PREFIX = "referral"

ACCOUNT = table_of(AccountRow)
LEDGER_ACCOUNT = table_of(LedgerAccountRow)
ENTRY = table_of(LedgerEntryRow)
POSTING = table_of(LedgerPostingRow)
ACTIVITY = table_of(ReferralActivityRow)
SCAN = table_of(ReferralScanRow)
BATCH = table_of(SettlementBatchRow)
LEAF = table_of(SettlementLeafRow)

log = structlog.get_logger("godark.referrals")


class ScanRaced(DomainError):
    """Another process read the same settlement batches first: this transaction yields."""

    code = "SCAN_RACED"


@dataclass(frozen=True, slots=True)
class ReferralSummary:
    """What a referrer sees of its programme: counts and sums, no referee identities."""

    referral_code: str
    sign_ups: int
    active_referees: int  # referees with at least one trade
    referee_volume: int  # micro-USDT notional traded by referees
    referee_trades: int
    rewards_paid: int  # micro-USDT
    rewards_pending: int  # earned on days not paid yet (today included)


@dataclass(frozen=True, slots=True)
class RewardDue:
    referrer: str
    day: date
    amount: int  # micro-USDT

    @property
    def reference(self) -> str:
        return reward_reference(self.referrer, self.day)


def reward_for(fees: int) -> int:
    """The referrer's share of one day's fees, rounded down (the venue never overpays)."""
    return max(fees, 0) * REFERRAL_FEE_SHARE_BPS // BPS


def reward_reference(referrer: str, day: date) -> str:
    return f"{REFERENCE_PREFIX}:{referrer}:{day.isoformat()}"


def day_of(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def last_payable_day(now: datetime) -> date:
    """The latest day that is over, with its last fills surely stored."""
    return day_of(now - PAYOUT_DELAY) - timedelta(days=1)


def daily_rewards(fees: dict[tuple[str, date], int]) -> dict[tuple[str, date], int]:
    """(referrer, day) -> reward, for the days that earned anything."""
    rewards = {key: reward_for(amount) for key, amount in fees.items()}
    return {key: amount for key, amount in rewards.items() if amount > 0}


def trade_volume(trade: SettledTrade) -> int:
    return trade.price * trade.size // NOTIONAL_DIVISOR


class ReferralProgram:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        submit: Callable[[Command], Awaitable[Outcome]] | None = None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._submit = submit
        self._task: asyncio.Task[None] | None = None
        # Every day up to this one is paid or had nothing to pay: the task skips the ledger
        # queries until another day closes.
        self._paid_through: date | None = None

    # --- lifecycle (the engine process only: it pays through the sequencer) ---------------

    def start(self, submit: Callable[[Command], Awaitable[Outcome]]) -> None:
        self._submit = submit
        self._task = asyncio.create_task(self._run(), name="referrals")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.record_activity()
                if last_payable_day(self._clock.now()) != self._paid_through:
                    await self.pay_rewards()
            except Exception:
                log.exception("referral_task_failed")
            await asyncio.sleep(REFERRAL_TASK_SECONDS)

    # --- what a referrer sees -------------------------------------------------------------

    async def summary(self, account_id: str, referral_code: str) -> ReferralSummary:
        now = self._clock.now()
        async with self._database.engine.connect() as connection:
            sign_ups = await connection.scalar(
                select(func.count()).select_from(ACCOUNT).where(ACCOUNT.c.referred_by == account_id)
            )
            activity = (
                await connection.execute(
                    select(
                        func.count(func.distinct(ACTIVITY.c.referee_id)),
                        func.coalesce(func.sum(ACTIVITY.c.volume), 0),
                        func.coalesce(func.sum(ACTIVITY.c.trades), 0),
                    ).where(ACTIVITY.c.referrer_id == account_id, ACTIVITY.c.trades > 0)
                )
            ).one()
            paid = await _rewards_paid(connection, account_id)
            since = day_start(day_of(now) - timedelta(days=PAYOUT_LOOKBACK_DAYS))
            earned = daily_rewards(await _daily_fees(connection, since, account_id))
        paid_days = {day for day, _ in paid}
        # The same window the payer looks back over: what shows as pending is still payable.
        pending = sum(amount for (_, day), amount in earned.items() if day not in paid_days)
        return ReferralSummary(
            referral_code=referral_code,
            sign_ups=int(sign_ups or 0),
            active_referees=int(activity[0]),
            referee_volume=int(activity[1]),
            referee_trades=int(activity[2]),
            rewards_paid=sum(amount for _, amount in paid),
            rewards_pending=pending,
        )

    # --- paying -----------------------------------------------------------------------------

    async def rewards_due(self) -> list[RewardDue]:
        """Closed days of the lookback window whose reward is not in the ledger yet."""
        now = self._clock.now()
        last = last_payable_day(now)
        since = day_start(last - timedelta(days=PAYOUT_LOOKBACK_DAYS - 1))
        async with self._database.engine.connect() as connection:
            earned = daily_rewards(await _daily_fees(connection, since, None))
            paid = await _references_paid_since(connection, since)
        due = [
            RewardDue(referrer, day, amount)
            for (referrer, day), amount in sorted(earned.items())
            if day <= last and reward_reference(referrer, day) not in paid
        ]
        return due

    async def pay_rewards(self) -> int:
        """Submit every due day to the engine; returns how many it accepted."""
        if self._submit is None:
            raise RuntimeError("referral rewards are paid by the engine process")
        last = last_payable_day(self._clock.now())
        accepted = 0
        refused = 0
        for due in await self.rewards_due():
            outcome = await self._submit(
                PayReferralReward(due.referrer, due.amount, due.reference, self._clock.now())
            )
            if outcome.accepted:
                accepted += 1
                log.info(
                    "referral_reward_paid",
                    referrer=due.referrer,
                    day=due.day.isoformat(),
                    amount=due.amount,
                    replay=outcome.replay_of is not None,
                )
            else:
                refused += 1
                log.warning(
                    "referral_reward_refused",
                    referrer=due.referrer,
                    day=due.day.isoformat(),
                    code=outcome.code,
                )
        if refused == 0:
            self._paid_through = last
        return accepted

    # --- statistics from settlement batches -----------------------------------------------

    async def record_activity(self) -> int:
        """Read settlement batches not read yet into the referees' daily activity; returns
        how many referee trades were counted. Safe to run from several processes: the
        scan position is claimed first, and a process that loses the race adds nothing."""
        total = 0
        while True:
            try:
                counted, more = await self._record_some()
            except (ScanRaced, IntegrityError):
                return total
            total += counted
            if not more:
                return total

    async def _record_some(self) -> tuple[int, bool]:
        async with self._database.transaction() as connection:
            position = await _scan_position(connection)
            batches = (
                await connection.execute(
                    select(BATCH.c.id, BATCH.c.sequence)
                    .where(BATCH.c.sequence > position)
                    .order_by(BATCH.c.sequence)
                    .limit(SCAN_BATCHES)
                )
            ).all()
            if not batches:
                return 0, False
            await _claim_scan(connection, position, int(batches[-1].sequence))
            trades = await _settled_trades(connection, [row.id for row in batches])
            counted = await _add_activity(connection, trades)
        return counted, len(batches) == SCAN_BATCHES


# --- queries ----------------------------------------------------------------------------


async def _daily_fees(
    connection: AsyncConnection, since: datetime, referrer: str | None
) -> dict[tuple[str, date], int]:
    """(referrer, day) -> fees its referees paid on fills stored since `since`, within each
    referee's reward period. A fill entry moves one trader's money: its fee-account leg is
    that trader's fee (negative for a maker rebate, which earns nothing)."""
    referee = ACCOUNT.alias("referee")
    trader = LEDGER_ACCOUNT.alias("trader")
    trader_posting = POSTING.alias("trader_posting")
    fills = (
        select(
            ENTRY.c.id.label("entry_id"),
            ENTRY.c.created_at.label("stored_at"),
            referee.c.referred_by.label("referrer"),
            referee.c.created_at.label("joined_at"),
        )
        .select_from(referee)
        .join(
            trader,
            and_(
                trader.c.owner_kind == OwnerKind.USER.value,
                # The trader's available balance, or its per-market accounts ("<id>/<symbol>").
                or_(trader.c.owner_id == referee.c.id, trader.c.owner_id.like(referee.c.id + "/%")),
            ),
        )
        .join(trader_posting, trader_posting.c.account_id == trader.c.id)
        .join(ENTRY, ENTRY.c.id == trader_posting.c.entry_id)
        .where(
            referee.c.referred_by.is_not(None),
            ENTRY.c.kind == FILL_KIND,
            ENTRY.c.created_at >= since,
        )
        .distinct()
    )
    if referrer is not None:
        fills = fills.where(referee.c.referred_by == referrer)
    fill = fills.subquery()
    fee_key = ledger_accounts.FEES
    query = (
        select(fill.c.referrer, fill.c.stored_at, fill.c.joined_at, POSTING.c.amount)
        .join(POSTING, POSTING.c.entry_id == fill.c.entry_id)
        .join(LEDGER_ACCOUNT, LEDGER_ACCOUNT.c.id == POSTING.c.account_id)
        .where(
            LEDGER_ACCOUNT.c.owner_kind == fee_key.owner_kind.value,
            LEDGER_ACCOUNT.c.owner_id == fee_key.owner_id,
            LEDGER_ACCOUNT.c.purpose == fee_key.purpose.value,
            LEDGER_ACCOUNT.c.asset == fee_key.asset,
        )
    )
    fees: dict[tuple[str, date], int] = defaultdict(int)
    for row in (await connection.execute(query)).all():
        stored_at = as_utc(row.stored_at)
        if stored_at < as_utc(row.joined_at) + REFERRAL_PERIOD and int(row.amount) > 0:
            fees[(str(row.referrer), day_of(stored_at))] += int(row.amount)
    return dict(fees)


async def _rewards_paid(connection: AsyncConnection, referrer: str) -> list[tuple[date, int]]:
    """(day, amount) of every reward the stored ledger credited to `referrer`."""
    available = ledger_accounts.available(referrer)
    query = (
        select(ENTRY.c.idempotency_key, POSTING.c.amount)
        .join(POSTING, POSTING.c.entry_id == ENTRY.c.id)
        .join(LEDGER_ACCOUNT, LEDGER_ACCOUNT.c.id == POSTING.c.account_id)
        .where(
            ENTRY.c.kind == REWARD_KIND,
            LEDGER_ACCOUNT.c.owner_kind == OwnerKind.USER.value,
            LEDGER_ACCOUNT.c.owner_id == referrer,
            LEDGER_ACCOUNT.c.purpose == AccountPurpose.AVAILABLE.value,
            LEDGER_ACCOUNT.c.asset == available.asset,
        )
    )
    rows = (await connection.execute(query)).all()
    return [(_reference_day(str(row.idempotency_key)), int(row.amount)) for row in rows]


async def _references_paid_since(connection: AsyncConnection, since: datetime) -> set[str]:
    # A day's reward is stored after the day ends, so it is never older than the day.
    query = select(ENTRY.c.idempotency_key).where(
        ENTRY.c.kind == REWARD_KIND, ENTRY.c.created_at >= since
    )
    return {str(key) for key in (await connection.scalars(query)).all()}


def _reference_day(reference: str) -> date:
    return date.fromisoformat(reference.rsplit(":", 1)[1])


async def _scan_position(connection: AsyncConnection) -> int:
    position = await connection.scalar(select(SCAN.c.position).where(SCAN.c.source == SCAN_SOURCE))
    if position is not None:
        return int(position)
    await connection.execute(
        insert_ignoring_duplicates(connection, SCAN, ["source"]).values(
            source=SCAN_SOURCE, position=0
        )
    )
    return 0


async def _claim_scan(connection: AsyncConnection, position: int, new_position: int) -> None:
    """Move the scan position first, guarded by its old value: a second reader of the same
    batches waits on this row, then finds it moved and gives up."""
    moved = await connection.execute(
        update(SCAN)
        .where(SCAN.c.source == SCAN_SOURCE, SCAN.c.position == position)
        .values(position=new_position)
    )
    if moved.rowcount != 1:
        raise ScanRaced("the settlement batches were read by another process")


async def _settled_trades(connection: AsyncConnection, batch_ids: list[str]) -> list[SettledTrade]:
    rows = (
        await connection.execute(select(LEAF.c.data).where(LEAF.c.batch_id.in_(batch_ids)))
    ).all()
    return [decode_trade(bytes(row.data))[1] for row in rows]


async def _add_activity(connection: AsyncConnection, trades: list[SettledTrade]) -> int:
    referrers = await _referrers_of(connection, {p for t in trades for p in (t.buyer, t.seller)})
    added: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0])
    for trade in trades:
        day = day_of(datetime.fromtimestamp(trade.executed_at_ms / 1000, tz=UTC))
        # A referee trading with itself (both sides) still made one trade of that volume.
        for referee in {trade.buyer, trade.seller} & referrers.keys():
            totals = added[(referee, day)]
            totals[0] += trade_volume(trade)
            totals[1] += 1
    for (referee, day), (volume, count) in added.items():
        await _add_day(connection, referee, referrers[referee], day, volume, count)
    return sum(count for _, count in added.values())


async def _referrers_of(connection: AsyncConnection, parties: Iterable[str]) -> dict[str, str]:
    ids = sorted(parties)
    if not ids:
        return {}
    rows = (
        await connection.execute(
            select(ACCOUNT.c.id, ACCOUNT.c.referred_by).where(
                ACCOUNT.c.id.in_(ids), ACCOUNT.c.referred_by.is_not(None)
            )
        )
    ).all()
    return {str(row.id): str(row.referred_by) for row in rows}


async def _add_day(
    connection: AsyncConnection, referee: str, referrer: str, day: date, volume: int, count: int
) -> None:
    key = and_(ACTIVITY.c.referee_id == referee, ACTIVITY.c.day == day)
    changed = await connection.execute(
        update(ACTIVITY)
        .where(key)
        .values(volume=ACTIVITY.c.volume + volume, trades=ACTIVITY.c.trades + count)
    )
    if changed.rowcount == 0:
        await connection.execute(
            insert(ACTIVITY).values(
                referee_id=referee, day=day, referrer_id=referrer, volume=volume, trades=count
            )
        )
