"""The liquidation queue: most urgent first, 10 at a time, 1 s cool-down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

from engine.perps.liquidation_queue import LiquidationQueue, QueuedLiquidation
from engine.perps.position import Side
from tests.unit.perps.helpers import position, px, usdt

T0 = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)


def entry(name: str, ratio_per_mille: int, notional: int = 1000) -> QueuedLiquidation:
    return QueuedLiquidation(name, Fraction(ratio_per_mille, 1000), notional)


def test_ten_most_urgent_then_a_one_second_cool_down() -> None:
    queue = LiquidationQueue()
    for n in range(25):
        queue.push(entry(f"p{n:02}", 25 - n))  # p24 has the lowest ratio
    first = queue.pop_batch(T0)
    assert [e.position_id for e in first] == [f"p{n:02}" for n in range(24, 14, -1)]
    assert queue.pop_batch(T0 + timedelta(milliseconds=999)) == ()
    assert queue.next_release() == T0 + timedelta(seconds=1)
    second = queue.pop_batch(T0 + timedelta(seconds=1))
    assert [e.position_id for e in second] == [f"p{n:02}" for n in range(14, 4, -1)]
    third = queue.pop_batch(T0 + timedelta(seconds=2))
    assert len(third) == 5 and len(queue) == 0


def test_an_empty_release_does_not_start_a_cool_down() -> None:
    queue = LiquidationQueue()
    assert queue.pop_batch(T0) == ()
    queue.push(entry("a", 1))
    assert [e.position_id for e in queue.pop_batch(T0)] == ["a"]
    queue.push(entry("b", 1))
    assert queue.pop_batch(T0 + timedelta(milliseconds=500)) == ()  # a batch of one counts
    assert [e.position_id for e in queue.pop_batch(T0 + timedelta(seconds=1))] == ["b"]


def test_re_queueing_re_ranks_and_discarding_forgets() -> None:
    queue = LiquidationQueue(max_batch=2)
    queue.push(entry("a", 10))
    queue.push(entry("b", 20))
    queue.push(entry("c", 30))
    queue.push(entry("c", 5))  # c got worse
    queue.discard("a")
    assert "a" not in queue and "c" in queue
    assert [e.position_id for e in queue.pop_batch(T0)] == ["c", "b"]
    assert len(queue) == 0


def test_ties_go_to_the_larger_notional_then_the_id() -> None:
    queue = LiquidationQueue()
    queue.push(entry("b", 10, notional=100))
    queue.push(entry("a", 10, notional=100))
    queue.push(entry("c", 10, notional=500))
    assert [e.position_id for e in queue.pop_batch(T0)] == ["c", "a", "b"]


def test_an_entry_from_a_position_carries_its_exact_ratio() -> None:
    held = position(Side.LONG, "1", "10000", "500", leverage=20)
    queued = QueuedLiquidation.of(held, px("9740"))
    assert queued.margin_ratio == Fraction(240, 9740)
    assert queued.notional == usdt("9740")
    assert queued.position_id == "BTC-USDT-PERP:alice"


def test_stale_entries_are_compacted() -> None:
    queue = LiquidationQueue()
    for n in range(1000):
        queue.push(entry("same", n))
    assert len(queue) == 1
    assert len(queue._heap) < 200
    assert [e.margin_ratio for e in queue.pop_batch(T0)] == [Fraction(999, 1000)]
