"""The demo account: a ledger-backed USDT balance a visitor can try the venue with."""

from __future__ import annotations

from engine.errors import DomainError
from engine.ledger import (
    USDT,
    AccountBalance,
    AccountKey,
    AccountPurpose,
    EntryRequest,
    InvalidAmount,
    InvalidEntry,
    JournalEntry,
    Ledger,
    Leg,
    OwnerKind,
)

DEMO_OWNER_ID = "demo"
DEMO_DISPLAY_NAME = "Demo trader"
# Ten thousand USDT to start with, and at most that much per faucet request.
DEMO_OPENING_BALANCE = 10_000 * USDT.unit
DEMO_MAX_DEPOSIT = 10_000 * USDT.unit
MAX_CLIENT_KEY_LENGTH = 64

DEMO_AVAILABLE = AccountKey(OwnerKind.USER, DEMO_OWNER_ID, AccountPurpose.AVAILABLE, USDT.symbol)
DEMO_LOCKED = AccountKey(OwnerKind.USER, DEMO_OWNER_ID, AccountPurpose.LOCKED, USDT.symbol)
OUTSIDE_WORLD = AccountKey(OwnerKind.VENUE, "world", AccountPurpose.EXTERNAL, USDT.symbol)


class DepositLimitExceeded(DomainError):
    code = "DEPOSIT_LIMIT_EXCEEDED"


class DemoAccount:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    async def open(self) -> None:
        """Open the accounts and credit the opening balance, once ever."""
        await self._ledger.open_accounts([DEMO_AVAILABLE, DEMO_LOCKED, OUTSIDE_WORLD])
        await self._ledger.post(
            _transfer(
                "demo:opening-balance",
                "demo_opening",
                OUTSIDE_WORLD,
                DEMO_AVAILABLE,
                DEMO_OPENING_BALANCE,
            )
        )

    async def balances(self) -> list[AccountBalance]:
        return await self._ledger.balances_of(OwnerKind.USER, DEMO_OWNER_ID)

    async def deposit(self, units: int, idempotency_key: str) -> JournalEntry:
        _require_positive(units)
        _require_client_key(idempotency_key)
        if units > DEMO_MAX_DEPOSIT:
            raise DepositLimitExceeded(
                f"a demo deposit is at most {DEMO_MAX_DEPOSIT // USDT.unit} {USDT.symbol}"
            )
        return await self._ledger.post(
            _transfer(
                f"demo:deposit:{idempotency_key}",
                "demo_deposit",
                OUTSIDE_WORLD,
                DEMO_AVAILABLE,
                units,
            )
        )

    async def withdraw(self, units: int, idempotency_key: str) -> JournalEntry:
        _require_positive(units)
        _require_client_key(idempotency_key)
        return await self._ledger.post(
            _transfer(
                f"demo:withdraw:{idempotency_key}",
                "demo_withdraw",
                DEMO_AVAILABLE,
                OUTSIDE_WORLD,
                units,
            )
        )


def _require_client_key(key: str) -> None:
    if not key or len(key) > MAX_CLIENT_KEY_LENGTH:
        raise InvalidEntry(f"idempotency key must be 1 to {MAX_CLIENT_KEY_LENGTH} characters")


def _require_positive(units: int) -> None:
    if units <= 0:
        raise InvalidAmount("the amount must be greater than zero")


def _transfer(
    key: str, kind: str, source: AccountKey, destination: AccountKey, units: int
) -> EntryRequest:
    return EntryRequest(
        idempotency_key=key,
        kind=kind,
        legs=(Leg(source, -units), Leg(destination, units)),
    )
