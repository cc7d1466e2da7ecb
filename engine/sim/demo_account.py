"""The demo account: a funded trader a visitor can try the venue with, before accounts exist.

Its money moves through the trading engine like anyone's (journaled deposit and
withdrawal commands), so its balance is the one its orders and positions use.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from engine.clock import Clock
from engine.errors import DomainError
from engine.ledger import USDT, AccountKey, InvalidAmount, InvalidEntry
from engine.trading import accounts
from engine.trading.commands import Command, Deposit, Withdraw
from engine.trading.exchange import CommandRefused, Exchange, Outcome

DEMO_OWNER_ID = "demo"
DEMO_DISPLAY_NAME = "Demo trader"
# Ten thousand USDT to start with, and at most that much per faucet request.
DEMO_OPENING_BALANCE = 10_000 * USDT.unit
DEMO_MAX_DEPOSIT = 10_000 * USDT.unit
MAX_CLIENT_KEY_LENGTH = 48


class DepositLimitExceeded(DomainError):
    code = "DEPOSIT_LIMIT_EXCEEDED"


@dataclass(frozen=True, slots=True)
class DemoBalance:
    asset: str
    available: int
    locked: int  # held for open orders and as position collateral


@dataclass(frozen=True, slots=True)
class DemoTransfer:
    sequence: int
    replayed: bool


class DemoAccount:
    def __init__(
        self,
        exchange: Exchange,
        submit: Callable[[Command], Awaitable[Outcome]],
        clock: Clock,
        account: str = DEMO_OWNER_ID,
    ) -> None:
        self._exchange = exchange
        self._submit = submit
        self._clock = clock
        self.account = account

    async def open(self) -> None:
        """Credit the opening balance, once ever (the reference makes a restart a replay)."""
        await self._move(Deposit, DEMO_OPENING_BALANCE, f"{self.account}:opening-balance")

    def balances(self) -> list[DemoBalance]:
        # A few lookups per market rather than a scan of every account in the ledger.
        ledger = self._exchange.ledger

        def held(key: AccountKey) -> int:
            return ledger.balance(key) if ledger.has_account(key) else 0

        available = held(accounts.available(self.account))
        locked = sum(
            held(accounts.order_margin(self.account, symbol))
            + held(accounts.collateral(self.account, symbol))
            for symbol in self._exchange.markets
        )
        return [DemoBalance(USDT.symbol, available, locked)]

    async def deposit(self, units: int, idempotency_key: str) -> DemoTransfer:
        if units > DEMO_MAX_DEPOSIT:
            raise DepositLimitExceeded(
                f"a demo deposit is at most {DEMO_MAX_DEPOSIT // USDT.unit} {USDT.symbol}"
            )
        return await self._move(
            Deposit, units, f"{self.account}:deposit:{_client_key(idempotency_key)}"
        )

    async def withdraw(self, units: int, idempotency_key: str) -> DemoTransfer:
        return await self._move(
            Withdraw, units, f"{self.account}:withdraw:{_client_key(idempotency_key)}"
        )

    async def _move(
        self, kind: type[Deposit] | type[Withdraw], units: int, reference: str
    ) -> DemoTransfer:
        if units <= 0:
            raise InvalidAmount("the amount must be greater than zero")
        outcome = await self._submit(kind(self.account, units, reference, self._clock.now()))
        if not outcome.accepted:
            raise CommandRefused(outcome.code or "REFUSED", outcome.message or "refused")
        sequence = outcome.replay_of if outcome.replay_of is not None else outcome.sequence
        return DemoTransfer(sequence, outcome.replay_of is not None)


def _client_key(key: str) -> str:
    if not key or len(key) > MAX_CLIENT_KEY_LENGTH:
        raise InvalidEntry(f"idempotency key must be 1 to {MAX_CLIENT_KEY_LENGTH} characters")
    return key
