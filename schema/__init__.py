"""GraphQL declarations: types, inputs, enums, scalars and error unions. No business rules."""
