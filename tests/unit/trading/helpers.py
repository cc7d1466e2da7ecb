"""An exchange with one BTC market and hand-sized numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from engine.matching import OrderType, Side, TimeInForce
from engine.perps import MarketConfig
from engine.trading import accounts
from engine.trading.commands import Command, Deposit, SubmitOrder, UpdatePrices
from engine.trading.exchange import Exchange, Outcome

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SYMBOL = "BTC-USDT-PERP"
USDT = 1_000_000


def px(text: str) -> int:
    return int(Decimal(text) * 10**10)


def qty(text: str) -> int:
    return int(Decimal(text) * 10**8)


BTC = MarketConfig(
    symbol=SYMBOL,
    base_asset="BTC",
    tick_size=px("0.1"),
    step_size=qty("0.001"),
    min_order_size=qty("0.001"),
    max_order_size=qty("100"),
)


class Venue:
    """Feeds an exchange numbered commands, as its sequencer would."""

    def __init__(self) -> None:
        self.exchange = Exchange([BTC])
        self.clock = T0

    def do(self, command: Command) -> Outcome:
        return self.exchange.apply(self.exchange.sequence + 1, command)

    def tick(self, seconds: float = 1.0) -> datetime:
        self.clock += timedelta(seconds=seconds)
        return self.clock

    def fund(self, account: str, usdt: int) -> None:
        self.do(Deposit(account, usdt * USDT, f"fund-{account}-{usdt}", self.clock))

    def prices(self, bid: str, ask: str, *, healthy: bool = True) -> Outcome:
        mid = (px(bid) + px(ask)) // 2
        return self.do(UpdatePrices(SYMBOL, mid, mid, px(bid), px(ask), healthy, self.tick(0.1)))

    def limit(
        self, account: str, side: Side, size: str, price: str, leverage: int = 10, **extra: object
    ) -> Outcome:
        return self.do(
            SubmitOrder(
                account,
                SYMBOL,
                side,
                OrderType.LIMIT,
                qty(size),
                leverage,
                self.tick(),
                limit_price=px(price),
                **extra,
            )  # type: ignore[arg-type]
        )

    def market(self, account: str, side: Side, size: str, leverage: int = 10) -> Outcome:
        return self.do(
            SubmitOrder(
                account,
                SYMBOL,
                side,
                OrderType.MARKET,
                qty(size),
                leverage,
                self.tick(),
                time_in_force=TimeInForce.IOC,
            )
        )

    def available(self, account: str) -> int:
        return self.exchange.ledger.balance(accounts.available(account))

    def total_money(self) -> int:
        return sum(self.exchange.ledger.balances().values())
