"""The Decimal scalar: exact strings in, exact strings out, everything else refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schema.scalars import parse_decimal, serialize_decimal


@pytest.mark.parametrize(
    ("text", "value"),
    [("0", Decimal(0)), ("12.5", Decimal("12.5")), ("-3.000001", Decimal("-3.000001"))],
)
def test_plain_decimal_strings_parse_exactly(text: str, value: Decimal) -> None:
    assert parse_decimal(text) == value


@pytest.mark.parametrize(
    "bad",
    [
        "1e309",
        "1E5",
        "NaN",
        "nan",
        "Infinity",
        "-inf",
        "-0",
        "-0.000",
        "12.3.4",
        "8" * 80,
        "",
        " 1",
        "1 ",
        "+1",
        "1.",
        ".5",
        "0x10",
        "1_000",
        "٣",
        "01",
        "1." + "0" * 19,
    ],
)
def test_anything_but_a_plain_decimal_string_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="Decimal"):
        parse_decimal(bad)


@pytest.mark.parametrize("not_a_string", [12, 12.5, None, True, ["1"], {"v": "1"}])
def test_json_numbers_and_other_types_are_refused(not_a_string: object) -> None:
    with pytest.raises(ValueError, match="JSON strings"):
        parse_decimal(not_a_string)


@given(
    st.decimals(
        min_value=Decimal("-1e29"),
        max_value=Decimal("1e29"),
        places=6,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_serialized_values_parse_back_to_themselves(value: Decimal) -> None:
    if value == 0:
        value = Decimal(0)  # negative zero is serialised as "0", never "-0"
    text = serialize_decimal(value)
    assert "e" not in text.lower()
    assert parse_decimal(text) == value
