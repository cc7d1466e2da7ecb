"""Recomputes every balance from the journal and reports where the stored ones disagree."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from engine.store.database import Database
from engine.store.tables import LedgerAccountRow, LedgerEntryRow, LedgerPostingRow, table_of

ACCOUNT = table_of(LedgerAccountRow)
ENTRY = table_of(LedgerEntryRow)
POSTING = table_of(LedgerPostingRow)


@dataclass(frozen=True, slots=True)
class BalanceDifference:
    account_id: int
    account: str
    stored: int
    journal: int


@dataclass(frozen=True, slots=True)
class AuditReport:
    accounts: int
    entries: int
    postings: int
    balance_differences: list[BalanceDifference] = field(default_factory=list)
    # Entries whose legs do not sum to zero per asset: must never exist.
    unbalanced_entries: list[int] = field(default_factory=list)
    # Non-negative accounts found below zero: must never exist.
    negative_accounts: list[str] = field(default_factory=list)
    # Sum of every balance per asset: zero when nothing was created or destroyed.
    asset_totals: dict[str, int] = field(default_factory=dict)

    @property
    def differences(self) -> int:
        return (
            len(self.balance_differences)
            + len(self.unbalanced_entries)
            + len(self.negative_accounts)
            + sum(1 for total in self.asset_totals.values() if total != 0)
        )


async def audit_ledger(database: Database) -> AuditReport:
    async with database.engine.connect() as connection:
        journal_sums = dict(
            (
                await connection.execute(
                    select(POSTING.c.account_id, func.sum(POSTING.c.amount)).group_by(
                        POSTING.c.account_id
                    )
                )
            ).all()
        )
        accounts = (await connection.execute(select(ACCOUNT).order_by(ACCOUNT.c.id))).all()
        unbalanced = (
            await connection.execute(
                select(POSTING.c.entry_id)
                .join(ACCOUNT, ACCOUNT.c.id == POSTING.c.account_id)
                .group_by(POSTING.c.entry_id, ACCOUNT.c.asset)
                .having(func.sum(POSTING.c.amount) != 0)
            )
        ).scalars()
        unbalanced_entries = sorted(set(unbalanced))
        entries = (await connection.execute(select(func.count()).select_from(ENTRY))).scalar_one()
        postings = (
            await connection.execute(select(func.count()).select_from(POSTING))
        ).scalar_one()

    differences: list[BalanceDifference] = []
    negative: list[str] = []
    totals: dict[str, int] = {}
    for account in accounts:
        name = f"{account.owner_kind}:{account.owner_id}:{account.purpose}:{account.asset}"
        journal = int(journal_sums.get(account.id, 0))
        if journal != int(account.balance):
            differences.append(BalanceDifference(account.id, name, int(account.balance), journal))
        if journal < 0 and not account.allow_negative:
            negative.append(name)
        totals[account.asset] = totals.get(account.asset, 0) + journal
    return AuditReport(
        accounts=len(accounts),
        entries=int(entries),
        postings=int(postings),
        balance_differences=differences,
        unbalanced_entries=unbalanced_entries,
        negative_accounts=negative,
        asset_totals=totals,
    )
