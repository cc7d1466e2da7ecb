"""Expected errors: union members of mutation results, each with a stable `code`."""

from __future__ import annotations

import strawberry


@strawberry.interface(description="An expected refusal the client can act on.")
class UserError:
    code: str
    message: str


@strawberry.type
class InvalidAmountError(UserError):
    pass


@strawberry.type
class InvalidRequestError(UserError):
    pass


@strawberry.type
class InsufficientFundsError(UserError):
    pass


@strawberry.type
class IdempotencyKeyReusedError(UserError):
    pass


@strawberry.type
class DepositLimitExceededError(UserError):
    pass


@strawberry.type
class NotAvailableError(UserError):
    pass


@strawberry.type
class RateLimitedError(UserError):
    retry_after: float = strawberry.field(description="Seconds to wait before trying again.")
