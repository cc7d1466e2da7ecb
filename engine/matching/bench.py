"""`godark bench matching`: latency of the pure book on one core, in microseconds.

Two cases, each timed order by order with the commands built beforehand (building
them is the sequencer's cost, not the book's):

- rest: a limit that crosses nothing and rests (budget 3 µs);
- fill: a limit that fills completely against one resting order (budget 6 µs).

The benchmark reads the wall clock, which the book itself never does.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from engine.matching.book import OrderBook
from engine.matching.model import OrderType, PlaceOrder, ReferencePrices, Side

REST_BUDGET_MICROSECONDS = 3.0
FILL_BUDGET_MICROSECONDS = 6.0
_REFERENCE = ReferencePrices(bid=99_990, ask=100_010)
_AT = datetime(2026, 1, 1, tzinfo=UTC)
_LEVELS = 50  # resting orders spread over this many prices, as a live book would be


def run_book_bench(orders: int, rounds: int = 3) -> dict[str, Any]:
    """Median orders/s over `rounds`, and p50/p99 latency over all of them, per case."""
    return {
        "orders_per_round": orders,
        "rounds": rounds,
        "rest": _case(_rest_round, orders, rounds, REST_BUDGET_MICROSECONDS),
        "fill": _case(_fill_round, orders, rounds, FILL_BUDGET_MICROSECONDS),
        # Each latency includes one pair of clock reads; this is what such a pair costs.
        "clock_overhead_us": round(_clock_overhead_microseconds(), 3),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }


def _case(
    round_function: Callable[[int], list[float]],
    orders: int,
    rounds: int,
    budget_microseconds: float,
) -> dict[str, Any]:
    per_second: list[float] = []
    latencies: list[float] = []
    for _ in range(rounds):
        round_latencies = round_function(orders)
        per_second.append(len(round_latencies) / (sum(round_latencies) / 1e6))
        latencies.extend(round_latencies)
    latencies.sort()
    p50 = _percentile(latencies, 0.50)
    return {
        "orders_per_second": round(statistics.median(per_second)),
        "rounds_orders_per_second": [round(value) for value in per_second],
        "p50_us": round(p50, 2),
        "p99_us": round(_percentile(latencies, 0.99), 2),
        "budget_us": budget_microseconds,
        "p50_within_budget": p50 <= budget_microseconds,
    }


def _percentile(sorted_samples: list[float], fraction: float) -> float:
    index = min(len(sorted_samples) - 1, int(fraction * len(sorted_samples)))
    return sorted_samples[index]


def _limit(order_id: str, account_id: str, side: Side, price: int, size: int) -> PlaceOrder:
    return PlaceOrder(
        order_id=order_id,
        account_id=account_id,
        side=side,
        order_type=OrderType.LIMIT,
        size=size,
        at=_AT,
        limit_price=price,
    )


def _rest_round(orders: int) -> list[float]:
    """Bids below and asks above the reference, alternating: nothing ever crosses."""
    book = OrderBook("BENCH-PERP", _REFERENCE)
    commands = [
        _limit(
            f"r{index}",
            f"a{index % 100}",
            Side.BUY if index % 2 == 0 else Side.SELL,
            (99_900 - index % _LEVELS) if index % 2 == 0 else (100_100 + index % _LEVELS),
            1 + index % 7,
        )
        for index in range(orders)
    ]
    return _timed(book, commands)


def _fill_round(orders: int) -> list[float]:
    """One resting ask per order, then buys of the same size: each lifts exactly one ask."""
    book = OrderBook("BENCH-PERP", _REFERENCE)
    for index in range(orders):
        book.place(_limit(f"s{index}", "maker", Side.SELL, 100_000 + index % _LEVELS, 3))
    commands = [
        _limit(f"b{index}", "taker", Side.BUY, 100_000 + _LEVELS, 3) for index in range(orders)
    ]
    return _timed(book, commands)


def _timed(book: OrderBook, commands: list[PlaceOrder]) -> list[float]:
    place = book.place
    clock = time.perf_counter_ns
    latencies: list[float] = []
    append = latencies.append
    for command in commands:
        started = clock()
        place(command)
        append((clock() - started) / 1000)
    return latencies


def _clock_overhead_microseconds(samples: int = 10_000) -> float:
    clock = time.perf_counter_ns
    pairs = []
    for _ in range(samples):
        started = clock()
        pairs.append(clock() - started)
    pairs.sort()
    return pairs[len(pairs) // 2] / 1000
