"""Thin adapters between GraphQL and the engine: translate, authorise, never decide."""
