"""Scalars. Decimal travels as a string so that no client turns money into a float."""

from __future__ import annotations

import re
from decimal import Decimal as PyDecimal
from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

# At most 30 integer and 18 fractional digits: enough for any price, size or amount we
# list, and small enough that no input can make Decimal arithmetic expensive.
_DECIMAL_TEXT = re.compile(r"-?(?:0|[1-9][0-9]{0,29})(?:\.[0-9]{1,18})?")


def parse_decimal(value: object) -> PyDecimal:
    if not isinstance(value, str):
        raise ValueError('Decimal values are JSON strings, such as "12.5"')
    if not _DECIMAL_TEXT.fullmatch(value):
        raise ValueError(
            "a Decimal is written as digits with an optional leading '-' and at most one '.', "
            'up to 30 digits before the point and 18 after, e.g. "12.5"'
        )
    number = PyDecimal(value)
    if number == 0 and value.startswith("-"):
        raise ValueError("negative zero is not a Decimal value: write 0")
    return number


def serialize_decimal(value: PyDecimal | str) -> str:
    if isinstance(value, str):
        return value
    return format(value, "f")


# Fields and inputs are annotated with this type; DECIMAL_SCALAR tells GraphQL how it travels.
Decimal = NewType("Decimal", PyDecimal)

DECIMAL_SCALAR = strawberry.scalar(
    name="Decimal",
    description='An exact decimal number as a string, e.g. "12.5". Never a float.',
    serialize=serialize_decimal,
    parse_value=parse_decimal,
)

SCALAR_MAP: dict[object, ScalarDefinition] = {Decimal: DECIMAL_SCALAR}
