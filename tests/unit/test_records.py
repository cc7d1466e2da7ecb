"""`record`: the engine's values keep behaving as values at a plain dataclass's speed."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from engine.records import record


@record
class Fill:
    order_id: str
    size: int
    tags: tuple[str, ...] = ()


@record(order=True)
class Level:
    price: int
    size: int


def test_equal_values_are_equal_and_hash_alike() -> None:
    first, second = Fill("o-1", 5), Fill("o-1", 5)
    assert first == second
    assert hash(first) == hash(second)
    assert {first: "seen"}[second] == "seen"
    assert Fill("o-1", 6) != first


def test_no_attribute_can_be_added() -> None:
    fill = Fill("o-1", 5)
    with pytest.raises(AttributeError):
        fill.note = "later"  # type: ignore[attr-defined]


def test_replace_makes_a_new_value_and_keeps_the_old() -> None:
    fill = Fill("o-1", 5)
    smaller = dataclasses.replace(fill, size=2)
    assert (fill.size, smaller.size) == (5, 2)


def test_ordered_records_sort_by_their_fields() -> None:
    levels = [Level(101, 1), Level(99, 7), Level(101, 0)]
    assert sorted(levels) == [Level(99, 7), Level(101, 0), Level(101, 1)]


def test_a_record_survives_pickling() -> None:
    fill = Fill("o-1", 5, ("maker",))
    assert pickle.loads(pickle.dumps(fill)) == fill
