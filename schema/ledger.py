"""Balances and the demo account's money movements."""

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
)
from schema.scalars import Decimal


@strawberry.type
class Balance:
    asset: str
    available: Decimal
    locked: Decimal = strawberry.field(description="Reserved by orders or held as collateral.")
    total: Decimal


@strawberry.type
class DemoAccount:
    id: str
    display_name: str
    balances: list[Balance]


@strawberry.input
class DemoTransferInput:
    amount: Decimal = strawberry.field(description="USDT, at most 6 decimals.")
    idempotency_key: str = strawberry.field(
        description="Chosen by the client; repeating it repeats nothing."
    )


@strawberry.type
class DemoTransferSuccess:
    entry_id: str
    replayed: bool = strawberry.field(description="True when this key was already applied.")
    account: DemoAccount


DemoTransferResult = Annotated[
    DemoTransferSuccess
    | InvalidAmountError
    | InvalidRequestError
    | InsufficientFundsError
    | IdempotencyKeyReusedError
    | DepositLimitExceededError
    | NotAvailableError,
    strawberry.union("DemoTransferResult"),
]
