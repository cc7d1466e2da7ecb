"""Input objects built from a plan made once per type.

Strawberry converts an input object by walking its fields at every request, resolving
each field's annotation and converting its name again: about 7 % of a `placeOrder`. The
plan keeps what never changes once the schema is built (GraphQL name, Python name,
resolved type). Scalars and enums, which graphql-core has already parsed, are taken as
they are; other values go to Strawberry's own `convert_argument`. The plan is installed
through the `from_input` hook Strawberry's type definitions offer for this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING
from typing import Any

import strawberry
from strawberry.relay.types import GlobalID
from strawberry.scalars import is_scalar
from strawberry.types.arguments import InputContext, convert_argument
from strawberry.types.base import (
    StrawberryMaybe,
    StrawberryObjectDefinition,
    StrawberryOptional,
    StrawberryType,
)
from strawberry.types.enum import has_enum_definition


class InputPlan:
    def __init__(self, definition: StrawberryObjectDefinition, context: InputContext) -> None:
        names = context.config.name_converter
        # Nullable fields without a default are None unless given (as Strawberry does).
        self.defaults: dict[str, Any] = {
            field.python_name: None
            for field in definition.fields
            if field.default_value is MISSING and field.default_factory is MISSING
        }
        self.fields: tuple[tuple[str, str, StrawberryType | type | None], ...] = tuple(
            (names.from_field(field), field.python_name, _converted(field_type, context))
            for field in definition.fields
            for field_type in (field.resolve_type(type_definition=definition),)
        )


def _converted(
    field_type: StrawberryType | type, context: InputContext
) -> StrawberryType | type | None:
    """The type to convert a field's value to, or None for a scalar or enum (optional or
    not), whose value graphql-core has already made what the resolver receives."""
    inner = field_type
    if isinstance(inner, StrawberryOptional) and not isinstance(inner, StrawberryMaybe):
        inner = inner.of_type
    leaf = (is_scalar(inner, context.scalar_registry) and inner is not GlobalID) or (
        has_enum_definition(inner)
    )
    return None if leaf else field_type


_PLANS: dict[type, InputPlan] = {}


def build_input(cls: type, value: Mapping[str, Any], context: InputContext) -> Any:
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = InputPlan(cls.__strawberry_definition__, context)  # type: ignore[attr-defined]
    arguments = dict(plan.defaults)
    for graphql_name, python_name, field_type in plan.fields:
        if graphql_name not in value:
            continue
        if field_type is None:
            arguments[python_name] = value[graphql_name]
        else:
            arguments[python_name] = convert_argument(
                value[graphql_name],
                field_type,
                context.scalar_registry,
                context.config,
                context.info,
                path=(*context.path, graphql_name),
            )
    return cls(**arguments)


def plan_inputs(schema: strawberry.Schema) -> int:
    """Sets `build_input` on every input type of `schema` that has no builder of its own;
    returns how many. Types with `Maybe` fields keep Strawberry's path: its null check for
    them skips inputs that build their own value."""
    planned = 0
    for concrete in schema.schema_converter.type_map.values():
        definition = concrete.definition
        if (
            isinstance(definition, StrawberryObjectDefinition)
            and definition.is_input
            and definition.from_input is None
            and not any(isinstance(field.type, StrawberryMaybe) for field in definition.fields)
        ):
            definition.from_input = build_input
            planned += 1
    return planned
