"""Engine-only throughput: orders through risk checks, matching, ledger postings and events.

No database and no network: what one core does with the exchange state machine. The
sequencer's journal and storage are measured end to end by `godark bench orders`.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.matching import OrderType, Side
from engine.perps import MarketConfig
from engine.trading.commands import Command, Deposit, SubmitOrder, UpdatePrices
from engine.trading.exchange import Exchange

PRICE = 10**10
SIZE = 10**8
TRADERS = 200


def _market() -> MarketConfig:
    return MarketConfig(
        symbol="BTC-USDT-PERP",
        base_asset="BTC",
        tick_size=PRICE // 10,
        step_size=SIZE // 1000,
        min_order_size=SIZE // 1000,
        max_order_size=100 * SIZE,
    )


def run_engine_bench(orders: int, rounds: int = 3) -> dict[str, Any]:
    rates: list[float] = []
    latencies: list[float] = []
    trades = 0
    for round_number in range(rounds):
        exchange, commands = _scenario(orders, seed=round_number)
        sequence = exchange.sequence
        started = time.perf_counter()
        for command in commands:
            before = time.perf_counter()
            sequence += 1
            outcome = exchange.apply(sequence, command)
            latencies.append(time.perf_counter() - before)
            trades += sum(1 for event in outcome.events if type(event).__name__ == "TradePrinted")
            exchange.ledger.drain()  # the sequencer hands these to storage
        rates.append(orders / (time.perf_counter() - started))
    ordered = sorted(latencies)
    return {
        "benchmark": "engine_orders",
        "orders_per_round": orders,
        "rounds": rounds,
        "orders_per_second_median": round(statistics.median(rates)),
        "orders_per_second_rounds": [round(rate) for rate in rates],
        "latency_us_p50": round(ordered[len(ordered) // 2] * 1e6, 1),
        "latency_us_p99": round(ordered[int(len(ordered) * 0.99)] * 1e6, 1),
        "trades_per_round": trades // rounds,
        "targets": {"orders_per_second": 100_000, "latency_us_p99": 200},
    }


START = datetime(2026, 1, 1, tzinfo=UTC)
MID = 60_000 * PRICE


def orders_scenario(
    orders: int, seed: int
) -> tuple[list[Command], list[Command], list[MarketConfig]]:
    """The setup (funded traders, the market's prices), the orders, and the market, for a
    benchmark that applies them through something else than a bare exchange."""
    return _setup(), _orders(orders, seed), [_market()]


def _scenario(orders: int, seed: int) -> tuple[Exchange, list[Command]]:
    """A funded book with prices, then limit orders around the mid: about a third cross."""
    exchange = Exchange([_market()])
    for sequence, command in enumerate(_setup(), start=1):
        exchange.apply(sequence, command)
    return exchange, _orders(orders, seed)


def _setup() -> list[Command]:
    setup: list[Command] = [
        Deposit(f"t{n}", 10_000_000 * 10**6, f"fund-{n}", START) for n in range(TRADERS)
    ]
    setup.append(UpdatePrices("BTC-USDT-PERP", MID, MID, MID - PRICE, MID + PRICE, True, START))
    return setup


def _orders(orders: int, seed: int) -> list[Command]:
    generator = random.Random(seed)
    commands: list[Command] = []
    for n in range(orders):
        side = Side.BUY if generator.random() < 0.5 else Side.SELL
        offset = generator.randint(-20, 20) * (PRICE // 10)
        commands.append(
            SubmitOrder(
                account=f"t{generator.randrange(TRADERS)}",
                symbol="BTC-USDT-PERP",
                side=side,
                order_type=OrderType.LIMIT,
                size=generator.randint(1, 20) * (SIZE // 1000),
                leverage=10,
                at=START + timedelta(microseconds=n),
                limit_price=MID + offset,
            )
        )
    return commands
