"""The exchange state machine: orders, fills, margin, fees and PnL through the ledger."""

from __future__ import annotations

from engine.matching import Side
from engine.trading import accounts
from engine.trading.commands import CancelOrder, ClosePosition
from engine.trading.events import OrderFill, TradePrinted
from tests.unit.trading.helpers import SYMBOL, USDT, Venue, px, qty


def test_a_resting_limit_and_a_market_order_trade_at_the_limit() -> None:
    venue = Venue()
    venue.fund("alice", 10_000)
    venue.fund("bob", 10_000)
    venue.prices("59990", "60010")

    rest = venue.limit("alice", Side.BUY, "0.1", "60000", leverage=10)
    assert rest.accepted and rest.order_id
    # 10x on 6,000 USDT: 600 margin, plus 3 USDT of worst-case taker fee held.
    assert venue.available("alice") == (10_000 - 603) * USDT

    fill = venue.market("bob", Side.SELL, "0.1", leverage=10)
    assert fill.accepted, fill.message
    [printed] = [e for e in fill.events if isinstance(e, TradePrinted)]
    assert (printed.price, printed.size) == (px("60000"), qty("0.1"))
    fills = {e.account: e for e in fill.events if isinstance(e, OrderFill)}
    assert fills["bob"].fee == 3 * USDT  # taker 0.05 % of 6,000
    assert fills["alice"].fee == -1_200_000  # maker rebate 0.02 %

    ledger = venue.exchange.ledger
    assert ledger.balance(accounts.collateral("alice", SYMBOL)) == 600 * USDT
    assert ledger.balance(accounts.collateral("bob", SYMBOL)) == 600 * USDT
    assert ledger.balance(accounts.order_margin("alice", SYMBOL)) == 0
    assert venue.available("alice") == (10_000 - 600) * USDT + 1_200_000
    assert venue.available("bob") == (10_000 - 600 - 3) * USDT
    assert ledger.balance(accounts.FEES) == 1_800_000
    assert venue.total_money() == 0


def test_closing_at_a_profit_pays_through_the_settlement_account() -> None:
    venue = Venue()
    for name in ("alice", "bob", "carol"):
        venue.fund(name, 10_000)
    venue.prices("59990", "60010")
    venue.limit("alice", Side.BUY, "0.1", "60000")
    venue.market("bob", Side.SELL, "0.1")
    venue.prices("60990", "61010")
    venue.limit("carol", Side.BUY, "0.1", "61000")
    closed = venue.do(ClosePosition("alice", SYMBOL, venue.tick()))
    assert closed.accepted, closed.message

    alice_fill = next(e for e in closed.events if isinstance(e, OrderFill) and e.account == "alice")
    assert alice_fill.realised_pnl == 100 * USDT  # 0.1 x (61,000 - 60,000)
    assert (alice := venue.available("alice")) == (
        10_000 * USDT + 1_200_000 + 100 * USDT - 3_050_000  # rebate, profit, taker fee at 61k
    ), alice
    assert ("alice", SYMBOL) not in venue.exchange.positions
    # Bob's 100 USDT loss is still open: the settlement account advanced it.
    assert venue.exchange.ledger.balance(accounts.settlement(SYMBOL)) == -100 * USDT
    assert venue.total_money() == 0


def test_cancelling_returns_the_held_margin() -> None:
    venue = Venue()
    venue.fund("alice", 1_000)
    venue.prices("59990", "60010")
    order = venue.limit("alice", Side.BUY, "0.01", "59000")
    assert venue.available("alice") < 1_000 * USDT
    assert order.order_id is not None
    cancelled = venue.do(CancelOrder("alice", SYMBOL, order.order_id, venue.tick()))
    assert cancelled.accepted
    assert venue.available("alice") == 1_000 * USDT
    again = venue.do(CancelOrder("alice", SYMBOL, order.order_id, venue.tick()))
    assert not again.accepted and again.code == "ORDER_NOT_FOUND"


def test_refusals_move_nothing() -> None:
    venue = Venue()
    venue.fund("alice", 100)
    venue.prices("59990", "60010")
    poor = venue.limit("alice", Side.BUY, "1", "60000", leverage=10)
    assert not poor.accepted and poor.code == "INSUFFICIENT_MARGIN"
    off_tick = venue.limit("alice", Side.BUY, "0.001", "60000.05")
    assert not off_tick.accepted and off_tick.code == "INVALID_TICK"
    odd_size = venue.limit("alice", Side.BUY, "0.0015", "60000")
    assert not odd_size.accepted and odd_size.code == "INVALID_SIZE"
    venue.prices("59990", "60010", healthy=False)
    unhealthy = venue.limit("alice", Side.BUY, "0.001", "60000")
    assert not unhealthy.accepted and unhealthy.code == "ORACLE_UNHEALTHY"
    assert venue.available("alice") == 100 * USDT
    assert venue.total_money() == 0
