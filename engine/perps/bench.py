"""Benchmarks of the perps maths: liquidation sweeps and funding. Commands, not tests.

The only module of the package that reads a clock (time.perf_counter), to measure itself.
Inputs are generated from a fixed seed, so every run measures the same work.
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.perps.funding import FundingAccumulator, FundingPosition, funding_payments
from engine.perps.margin import is_in_warning_zone, is_liquidatable
from engine.perps.monitor import LiquidationMonitor
from engine.perps.position import Fill, OrderSide, Position, Side, apply_fill
from engine.perps.units import PRICE_SCALE, SIZE_SCALE

_START = datetime(2026, 1, 1, tzinfo=UTC)
_LEVERAGES = (1, 2, 5, 10, 20, 25, 50, 75, 100, 125, 200, 500, 750, 1000)


def _machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": platform.python_version()}


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _base_price(market: int) -> int:
    return (100 + 37 * market) * PRICE_SCALE


def _random_positions(count: int, markets: int, generator: random.Random) -> list[Position]:
    positions: list[Position] = []
    for number in range(count):
        market = number % markets
        base = _base_price(market)
        entry = base + generator.randint(-base // 1000, base // 1000)  # within 0.1 %
        side = OrderSide.BUY if generator.random() < 0.5 else OrderSide.SELL
        fill = Fill(
            account=f"acct{number}",
            symbol=f"SYM{market}-USDT-PERP",
            side=side,
            size=generator.randint(1, 50) * SIZE_SCALE // 100,
            price=entry,
            leverage=generator.choice(_LEVERAGES),
        )
        opened = apply_fill(None, fill).position
        assert opened is not None
        positions.append(opened)
    return positions


def _moved_marks(markets: int, move_bps: int, generator: random.Random) -> dict[str, int]:
    """Each market's mark moved by up to +-move_bps from its base price."""
    return {
        f"SYM{m}-USDT-PERP": _base_price(m)
        * (10_000 + generator.randint(-move_bps, move_bps))
        // 10_000
        for m in range(markets)
    }


# Calm: marks within +-0.1 % of the base price; stress: within +-3 %, which crosses most
# positions above 30x on the losing side.
_SCENARIOS = {"calm": 10, "stress": 300}


def run_liquidation_sweep_bench(
    positions: int, markets: int = 60, rounds: int = 7
) -> dict[str, Any]:
    """Index `positions` open positions, then sweep every market at moved marks.

    Each round also runs the brute-force check of every position and fails the bench if
    the sweep did not find exactly the same liquidations and warnings.
    """
    generator = random.Random(4)
    book = _random_positions(positions, markets, generator)
    by_market: dict[str, list[Position]] = {}
    for position in book:
        by_market.setdefault(position.symbol, []).append(position)

    monitor = LiquidationMonitor()
    started = time.perf_counter()
    for symbol, members in by_market.items():
        monitor.market(symbol).rebuild(members)
    build = time.perf_counter() - started

    figures: dict[str, Any] = {}
    for scenario, move_bps in _SCENARIOS.items():
        sweep_seconds: list[float] = []
        scan_seconds: list[float] = []
        crossed: list[int] = []
        for _ in range(rounds):
            marks = _moved_marks(markets, move_bps, generator)
            started = time.perf_counter()
            result = monitor.sweep(marks)
            sweep_seconds.append(time.perf_counter() - started)
            started = time.perf_counter()
            expected = _brute_force(book, marks)
            scan_seconds.append(time.perf_counter() - started)
            if (_ids(result.liquidatable), _ids(result.warnings)) != expected:
                raise AssertionError("the indexed sweep disagrees with the brute-force check")
            crossed.append(len(result.liquidatable))
        figures[scenario] = {
            "move_bps": move_bps,
            "sweep_ms_median": _ms(statistics.median(sweep_seconds)),
            "sweep_ms_max": _ms(max(sweep_seconds)),
            "liquidatable_per_sweep_median": statistics.median(crossed),
            "brute_force_check_ms_median": _ms(statistics.median(scan_seconds)),
        }

    upserts = book[: min(1000, len(book))]
    started = time.perf_counter()
    for position in upserts:
        monitor.upsert(position)
    upsert = time.perf_counter() - started
    return {
        "benchmark": "liquidation_sweep",
        "positions": positions,
        "markets": markets,
        "rounds": rounds,
        **figures,
        "index_build_ms": _ms(build),
        "upsert_us_mean": round(upsert / max(len(upserts), 1) * 1e6, 2),
        "target_ms": 100,
        "machine": _machine(),
    }


def _brute_force(book: list[Position], marks: dict[str, int]) -> tuple[set[str], set[str]]:
    liquidatable: set[str] = set()
    warned: set[str] = set()
    for position in book:
        mark = marks[position.symbol]
        if is_liquidatable(position, mark):
            liquidatable.add(position.position_id)
        elif is_in_warning_zone(position, mark):
            warned.add(position.position_id)
    return liquidatable, warned


def _ids(positions: tuple[Position, ...]) -> set[str]:
    return {position.position_id for position in positions}


def run_funding_bench(
    markets: int, positions_per_market: int = 1000, rounds: int = 50
) -> dict[str, Any]:
    """One second of funding samples for every market, and one hourly close with payments."""
    generator = random.Random(7)
    symbols = [f"SYM{m}-USDT-PERP" for m in range(markets)]
    accumulators = {s: FundingAccumulator.starting(s, _START) for s in symbols}
    second_seconds: list[float] = []
    for second in range(rounds):
        at = _START + timedelta(seconds=second)
        quotes = [
            (_base_price(m) + generator.randint(-(10**9), 10**9), _base_price(m))
            for m in range(markets)
        ]
        started = time.perf_counter()
        for symbol, (mark, index) in zip(symbols, quotes, strict=True):
            accumulators[symbol].record(mark, index, at)
        second_seconds.append(time.perf_counter() - started)

    holders = [
        [
            FundingPosition(
                f"acct{n}",
                Side.LONG if n % 2 == 0 else Side.SHORT,
                generator.randint(1, 10**6) * 100,
            )
            for n in range(positions_per_market)
        ]
        for _ in range(markets)
    ]
    funding_time = accumulators[symbols[0]].funding_time
    started = time.perf_counter()
    rates = [accumulators[s].close(funding_time) for s in symbols]
    closed = time.perf_counter()
    residue = 0
    for m, rate in enumerate(rates):
        settlement = funding_payments(holders[m], _base_price(m), rate.rate)
        if sum(settlement.payments) + settlement.residue != 0:
            raise AssertionError("funding payments are not zero-sum")
        residue += settlement.residue
    paid = time.perf_counter()
    return {
        "benchmark": "funding",
        "markets": markets,
        "rounds": rounds,
        "per_second_samples_ms_median": _ms(statistics.median(second_seconds)),
        "per_second_samples_ms_max": _ms(max(second_seconds)),
        "hourly_close_ms": _ms(closed - started),
        "positions_per_market": positions_per_market,
        "hourly_payments_ms": _ms(paid - closed),
        "residue_micro_usdt": residue,
        "target_ms": 10,
        "machine": _machine(),
    }
