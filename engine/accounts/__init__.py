"""Identities, credentials, sessions, API keys, roles and limits."""
