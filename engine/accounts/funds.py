"""Money in and out per account: the demo faucet's daily cap, KYC limits and AML flags.

The ledger moves the money; this keeps the per-account history of deposits and
withdrawals that the limits and the AML rules look at.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func, select

from engine.accounts.compliance import KycTier, Movement, check_kyc_limit, evaluate_aml
from engine.accounts.store import AccountStore, moment
from engine.clock import Clock
from engine.errors import DomainError
from engine.ledger.assets import USDT
from engine.store.database import Database, StoredRow
from engine.store.tables import AmlFlagRow, FundsMovementRow, table_of

FAUCET_DAILY_CAP = 10_000 * USDT.unit
AML_LOOKBACK = timedelta(hours=48)
DAY = timedelta(days=1)


class FaucetLimitReached(DomainError):
    code = "DEPOSIT_LIMIT_EXCEEDED"


class Funds:
    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock
        self.store = AccountStore(database)

    async def check_faucet(self, account_id: str, amount: int) -> None:
        taken = await self.total_since(account_id, "FAUCET", self._clock.now() - DAY)
        if taken + amount > FAUCET_DAILY_CAP:
            left = max(0, FAUCET_DAILY_CAP - taken) // USDT.unit
            raise FaucetLimitReached(
                f"the faucet gives at most {FAUCET_DAILY_CAP // USDT.unit} USDT a day; "
                f"{left} USDT left today"
            )

    async def check_withdrawal(self, account_id: str, kyc_tier: str, amount: int) -> None:
        already = await self.total_since(account_id, "WITHDRAWAL", self._clock.now() - DAY)
        check_kyc_limit(_tier(kyc_tier), "withdrawal", amount, already)

    async def record(self, account_id: str, kind: str, amount: int) -> None:
        async with self._database.transaction() as connection:
            await AccountStore.insert(
                connection,
                FundsMovementRow,
                account_id=account_id,
                kind=kind,
                amount=amount,
                at=self._clock.now(),
            )

    async def total_since(self, account_id: str, kind: str, since: datetime) -> int:
        table = table_of(FundsMovementRow)
        async with self._database.engine.connect() as connection:
            total = await connection.scalar(
                select(func.coalesce(func.sum(table.c.amount), 0)).where(
                    table.c.account_id == account_id,
                    table.c.kind == kind,
                    table.c.at > since,
                )
            )
        return int(total or 0)

    async def screen(self, account_id: str, trades: Sequence[datetime]) -> int:
        """Run the AML rules over the recent history; store new flags; return how many."""
        now = self._clock.now()
        since = now - AML_LOOKBACK
        rows = await self.store.many(FundsMovementRow, account_id=account_id, limit=10_000)
        movements = [
            Movement(kind=_movement_kind(row.kind), amount=int(row.amount), at=_at(row.at))
            for row in rows
            if _at(row.at) > since
        ]
        # A trade only counts by its existence here; Movement wants a positive amount.
        movements += [Movement(kind="trade", amount=1, at=t) for t in trades if t > since]
        flags = evaluate_aml(sorted(movements, key=lambda m: m.at), now)
        known = {
            (row.rule, _at(row.raised_at))
            for row in await self.store.many(AmlFlagRow, account_id=account_id, limit=1_000)
        }
        new = [f for f in flags if (f.rule, f.at) not in known]
        if new:
            async with self._database.transaction() as connection:
                for flag in new:
                    await AccountStore.insert(
                        connection,
                        AmlFlagRow,
                        account_id=account_id,
                        rule=flag.rule,
                        detail=flag.detail[:500],
                        raised_at=flag.at,
                    )
        return len(new)

    async def open_flags(self) -> Sequence[StoredRow]:
        table = table_of(AmlFlagRow)
        async with self._database.engine.connect() as connection:
            return (
                await connection.execute(
                    select(table).where(table.c.resolved_at.is_(None)).order_by(table.c.id.desc())
                )
            ).all()

    async def resolve_flag(self, flag_id: int, admin: str) -> bool:
        async with self._database.transaction() as connection:
            changed = await AccountStore.update(
                connection,
                AmlFlagRow,
                {"id": flag_id},
                only_if_null="resolved_at",
                resolved_at=self._clock.now(),
                resolved_by=admin,
            )
        return changed > 0


def _movement_kind(kind: str) -> Literal["deposit", "withdrawal"]:
    # The faucet is a deposit of test money; the rules treat it as any deposit.
    return "withdrawal" if kind == "WITHDRAWAL" else "deposit"


def _tier(name: str) -> KycTier:
    try:
        return KycTier(name)
    except ValueError:
        return KycTier.NONE


def _at(value: object) -> datetime:
    at = moment(value)
    assert at is not None
    return at
