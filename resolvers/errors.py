"""Engine refusals -> GraphQL error union members, by their stable code."""

from __future__ import annotations

from engine.errors import DomainError
from schema.errors import (
    DepositLimitExceededError,
    IdempotencyKeyReusedError,
    InsufficientFundsError,
    InvalidAmountError,
    InvalidRequestError,
)

_BY_CODE: dict[str, type[TransferError]] = {
    "INVALID_AMOUNT": InvalidAmountError,
    "INVALID_ENTRY": InvalidRequestError,
    "INSUFFICIENT_FUNDS": InsufficientFundsError,
    "IDEMPOTENCY_KEY_REUSED": IdempotencyKeyReusedError,
    "DEPOSIT_LIMIT_EXCEEDED": DepositLimitExceededError,
}


TransferError = (
    InvalidAmountError
    | InvalidRequestError
    | InsufficientFundsError
    | IdempotencyKeyReusedError
    | DepositLimitExceededError
)


def user_error(error: DomainError) -> TransferError:
    error_type = _BY_CODE.get(error.code, InvalidRequestError)
    return error_type(code=error.code, message=error.message)


class InvalidArgument(ValueError):
    """A query argument the client must fix; its message is shown as is."""
