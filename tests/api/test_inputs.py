"""Input objects are built from a plan made once per type (api/inputs.py): the values a
resolver receives must be exactly those Strawberry's own conversion gives."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from strawberry.types.arguments import convert_argument
from strawberry.types.base import StrawberryObjectDefinition

from api.inputs import build_input
from api.schema import schema
from schema.trading import OrderSide, OrderType, PlaceOrderInput, TimeInForce


def _input_definitions() -> list[StrawberryObjectDefinition]:
    return [
        concrete.definition
        for concrete in schema.schema_converter.type_map.values()
        if isinstance(concrete.definition, StrawberryObjectDefinition)
        and concrete.definition.is_input
    ]


def _convert(value: dict[str, Any]) -> Any:
    return convert_argument(
        value, PlaceOrderInput, schema.schema_converter.scalar_registry, schema.config
    )


def test_every_input_type_of_the_schema_is_planned() -> None:
    definitions = _input_definitions()
    assert len(definitions) >= 8
    assert all(definition.from_input is build_input for definition in definitions)


@pytest.mark.parametrize(
    "value",
    [
        # only the required fields: the rest take their defaults
        {
            "symbol": "BTC-USDT-PERP",
            "side": OrderSide.BUY,
            "type": OrderType.MARKET,
            "size": Decimal("0.001"),
            "leverage": 100,
        },
        # every field, explicit nulls included
        {
            "symbol": "ETH-USDT-PERP",
            "side": OrderSide.SELL,
            "type": OrderType.LIMIT,
            "size": Decimal("2.5"),
            "leverage": 5,
            "price": Decimal("3100.5"),
            "timeInForce": TimeInForce.GTD,
            "reduceOnly": True,
            "clientOrderId": "mine-1",
            "minQuantity": None,
            "allOrNone": True,
            "nbboProtection": True,
            "expiresAt": datetime(2026, 11, 22, 12, 0, tzinfo=UTC),
        },
    ],
)
def test_a_planned_input_equals_strawberrys_own(value: dict[str, Any]) -> None:
    planned = _convert(value)
    definition = PlaceOrderInput.__strawberry_definition__  # type: ignore[attr-defined]
    definition.from_input = None
    try:
        stock = _convert(value)
    finally:
        definition.from_input = build_input
    assert isinstance(planned, PlaceOrderInput)
    assert planned == stock
    assert planned.price == value.get("price")
    assert planned.reduce_only is value.get("reduceOnly", False)
