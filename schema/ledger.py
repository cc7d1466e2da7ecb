"""Balances and the money movements of the signed-in account."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.errors import (
    DepositLimitExceededError,
    IdempotencyKeyReusedError,
    InsufficientFundsError,
    InvalidAmountError,
    InvalidRequestError,
    NotAvailableError,
    UserError,
)
from schema.scalars import Decimal


@strawberry.type
class Balance:
    asset: str
    available: Decimal
    locked: Decimal = strawberry.field(description="Reserved by orders or held as collateral.")
    total: Decimal


@strawberry.input
class TransferInput:
    amount: Decimal = strawberry.field(description="USDT, at most 6 decimals.")
    idempotency_key: str = strawberry.field(
        description="Chosen by the client; repeating it repeats nothing."
    )


@strawberry.type
class TransferSuccess:
    entry_id: str
    replayed: bool = strawberry.field(description="True when this key was already applied.")
    balances: list[Balance]


@strawberry.type
class LimitExceededError(UserError):
    """A KYC tier's daily limit, or the restricted-jurisdiction rules, forbid this."""


TransferResult = Annotated[
    TransferSuccess
    | InvalidAmountError
    | InvalidRequestError
    | InsufficientFundsError
    | IdempotencyKeyReusedError
    | DepositLimitExceededError
    | LimitExceededError
    | NotAvailableError,
    strawberry.union("TransferResult"),
]
