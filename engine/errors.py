"""Expected domain failures: each has a stable code that the API exposes unchanged."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the user can understand and act on; never an internal fault."""

    code: str = "DOMAIN_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
