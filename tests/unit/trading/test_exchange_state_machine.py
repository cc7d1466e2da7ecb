"""Random command sequences against the exchange: money is never created or destroyed,
no balance goes negative, the ledger agrees with the positions, and a replay of the same
commands gives the same state."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from engine.ledger import AccountPurpose
from engine.matching import OrderType, Side, TimeInForce
from engine.trading import accounts
from engine.trading.commands import (
    AdjustMargin,
    CancelAllOrders,
    ClosePosition,
    Command,
    Deposit,
    SubmitOrder,
    SweepLiquidations,
    UpdatePrices,
    Withdraw,
)
from engine.trading.exchange import Exchange
from engine.trading.snapshot import restore_exchange, snapshot_exchange, state_hash
from tests.unit.trading.helpers import BTC, SYMBOL, T0, px

TRADERS = ("ann", "ben", "cat")
USUAL_LEVERAGE = {"ann": 5, "ben": 20, "cat": 100}


class ExchangeMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.exchange = Exchange([BTC])
        self.commands: list[Command] = []
        self.clock = T0
        self.mid = px("60000")
        self.deposits = 0

    def _do(self, command: Command) -> None:
        self.commands.append(command)
        self.exchange.apply(self.exchange.sequence + 1, command)

    def _now(self) -> Any:
        self.clock += timedelta(seconds=1)
        return self.clock

    @initialize()
    def open_the_market(self) -> None:
        for trader in TRADERS:
            self.deposits += 1
            self._do(Deposit(trader, 20_000 * 10**6, f"d{self.deposits}", self._now()))
        self.prices(0, True)

    @rule(trader=st.sampled_from(TRADERS), usdt=st.integers(1, 5_000))
    def deposit(self, trader: str, usdt: int) -> None:
        self.deposits += 1
        self._do(Deposit(trader, usdt * 10**6, f"d{self.deposits}", self._now()))

    @rule(trader=st.sampled_from(TRADERS), usdt=st.integers(1, 3_000))
    def withdraw(self, trader: str, usdt: int) -> None:
        self.deposits += 1
        self._do(Withdraw(trader, usdt * 10**6, f"w{self.deposits}", self._now()))

    @rule(move_bps=st.integers(-40, 40), healthy=st.sampled_from([True, True, True, False]))
    def prices(self, move_bps: int, healthy: bool) -> None:
        self.mid = self.mid * (10_000 + move_bps) // 10_000
        self.mid -= self.mid % BTC.tick_size
        spread = px("5")
        self._do(
            UpdatePrices(
                SYMBOL,
                self.mid,
                self.mid,
                self.mid - spread,
                self.mid + spread,
                healthy or True,
                self._now(),
            )
        )

    @rule(
        trader=st.sampled_from(TRADERS),
        side=st.sampled_from([Side.BUY, Side.SELL]),
        lots=st.integers(1, 200),
        offset_ticks=st.integers(-60, 60),
        leverage=st.sampled_from([0, 0, 0, 0, 1, 1000]),  # 0: the trader's usual
        market=st.booleans(),
        reduce_only=st.booleans(),
    )
    def order(
        self,
        trader: str,
        side: Side,
        lots: int,
        offset_ticks: int,
        leverage: int,
        market: bool,
        reduce_only: bool,
    ) -> None:
        leverage = leverage or USUAL_LEVERAGE[trader]
        price = self.mid + offset_ticks * BTC.tick_size
        self._do(
            SubmitOrder(
                trader,
                SYMBOL,
                side,
                OrderType.MARKET if market else OrderType.LIMIT,
                lots * BTC.step_size,
                leverage,
                self._now(),
                limit_price=None if market else max(price, BTC.tick_size),
                time_in_force=TimeInForce.IOC if market else None,
                reduce_only=reduce_only,
            )
        )

    @rule(trader=st.sampled_from(TRADERS))
    def cancel_all(self, trader: str) -> None:
        self._do(CancelAllOrders(trader, SYMBOL, self._now()))

    @rule(trader=st.sampled_from(TRADERS))
    def close(self, trader: str) -> None:
        self._do(ClosePosition(trader, SYMBOL, self._now()))

    @rule(trader=st.sampled_from(TRADERS), usdt=st.integers(-50, 50).filter(bool))
    def margin(self, trader: str, usdt: int) -> None:
        self._do(AdjustMargin(trader, SYMBOL, usdt * 10**6, self._now()))

    @rule()
    def sweep(self) -> None:
        self._do(SweepLiquidations(self._now()))

    @invariant()
    def money_is_conserved_and_never_negative(self) -> None:
        balances = self.exchange.ledger.balances()
        assert sum(balances.values()) == 0
        for key, balance in balances.items():
            if key.purpose not in (AccountPurpose.EXTERNAL, AccountPurpose.SETTLEMENT):
                assert balance >= 0, (key, balance)

    @invariant()
    def collateral_accounts_match_positions(self) -> None:
        ledger = self.exchange.ledger
        for trader in TRADERS:
            key = accounts.collateral(trader, SYMBOL)
            position = self.exchange.positions.get((trader, SYMBOL))
            held = ledger.balance(key) if ledger.has_account(key) else 0
            assert held == (0 if position is None else position.collateral), trader

    @invariant()
    def order_margin_matches_open_orders(self) -> None:
        ledger = self.exchange.ledger
        for trader in TRADERS:
            key = accounts.order_margin(trader, SYMBOL)
            held = ledger.balance(key) if ledger.has_account(key) else 0
            reserved = sum(
                meta.reserved for _, meta in self.exchange._orders.items() if meta.account == trader
            )
            assert held == reserved, trader

    @invariant()
    def open_interest_is_balanced(self) -> None:
        longs = sum(p.size for p in self.exchange.positions.values() if p.side.value == "LONG")
        shorts = sum(p.size for p in self.exchange.positions.values() if p.side.value == "SHORT")
        assert longs == shorts

    @rule()
    def snapshot_and_restore(self) -> None:
        """Restart from a snapshot mid-run: the same state, and it carries on identically
        (the commands that follow are applied to the restored exchange from now on)."""
        data = json.loads(json.dumps(snapshot_exchange(self.exchange)))
        restored = restore_exchange([BTC], data)
        assert state_hash(restored) == state_hash(self.exchange)
        self.exchange = restored

    def teardown(self) -> None:
        replay = Exchange([BTC])
        for sequence, command in enumerate(self.commands, start=1):
            replay.apply(sequence, command)
        assert replay.ledger.balances() == self.exchange.ledger.balances()
        assert replay.positions == self.exchange.positions
        assert replay.books[SYMBOL].state_hash() == self.exchange.books[SYMBOL].state_hash()


ExchangeMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
TestExchangeStateMachine = ExchangeMachine.TestCase
