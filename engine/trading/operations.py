"""Critical operations, once approved and past their timelock, applied to the exchange.

Parameters arrive as strings (they were proposed, stored and approved as such). Sizes and
prices are in the oracle's integer units (prices 1e-10 USDT, sizes 1e-8 of the base
asset); fees in basis points; the insurance withdrawal amount in USDT.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal, InvalidOperation

from engine.accounts.approvals import CriticalOperation
from engine.clock import Clock
from engine.errors import DomainError
from engine.ledger import to_units
from engine.ledger.assets import USDT
from engine.perps.market import MarketConfig
from engine.trading.commands import Command, ConfigureMarket, WithdrawInsuranceFund
from engine.trading.exchange import Exchange, Outcome

_INTEGER_FIELDS = (
    "tick_size",
    "step_size",
    "min_order_size",
    "max_order_size",
    "max_leverage",
    "maker_fee_bps",
    "taker_fee_bps",
)
_CHANGEABLE = {
    CriticalOperation.CHANGE_FEES: {"maker_fee_bps", "taker_fee_bps"},
    CriticalOperation.CHANGE_RISK_PARAMETERS: {
        "tick_size",
        "step_size",
        "min_order_size",
        "max_order_size",
        "max_leverage",
        "is_active",
    },
}


class OperationRefused(DomainError):
    code = "OPERATION_REFUSED"


class Operations:
    def __init__(
        self,
        exchange: Callable[[], Exchange],
        submit: Callable[[Command], Awaitable[Outcome]],
        clock: Clock,
    ) -> None:
        self._exchange = exchange
        self._submit = submit
        self._clock = clock

    async def apply(self, operation: CriticalOperation, parameters: Mapping[str, str]) -> None:
        if operation is CriticalOperation.WITHDRAW_INSURANCE_FUND:
            await self._withdraw_insurance(parameters)
            return
        config = self._market_config(operation, parameters)
        # Journaled like any command: a restart replays it at its place in the sequence
        # (the market table keeps the original parameters the journal starts from).
        await self._run(ConfigureMarket(**_fields(config), at=self._clock.now()))  # type: ignore[arg-type]

    def _market_config(
        self, operation: CriticalOperation, parameters: Mapping[str, str]
    ) -> MarketConfig:
        symbol = parameters.get("symbol", "")
        current = self._exchange().markets.get(symbol)
        if operation is CriticalOperation.ADD_MARKET:
            if current is not None:
                raise OperationRefused(f"{symbol} already exists; propose a change instead")
            values: dict[str, object] = {
                "symbol": symbol,
                "base_asset": parameters.get("base_asset", ""),
                "is_active": True,
            }
            allowed = set(_INTEGER_FIELDS) | {"is_active"}
        else:
            if current is None:
                raise OperationRefused(f"unknown market {symbol[:40]!r}")
            values = dataclasses.asdict(current)
            allowed = _CHANGEABLE[operation]
        unknown = set(parameters) - allowed - {"symbol", "base_asset"}
        if unknown:
            raise OperationRefused(f"{operation.value} cannot set {sorted(unknown)}")
        for name in allowed & set(parameters):
            values[name] = _parse(name, parameters[name])
        try:
            return MarketConfig(**values)  # type: ignore[arg-type]
        except (TypeError, ValueError) as invalid:
            raise OperationRefused(f"invalid market parameters: {invalid}") from None

    async def _withdraw_insurance(self, parameters: Mapping[str, str]) -> None:
        reference = parameters.get("reference", "")
        if not reference:
            raise OperationRefused("name a reference for the withdrawal (its idempotency key)")
        try:
            amount = to_units(Decimal(parameters.get("amount", "")), USDT)
        except (DomainError, InvalidOperation):
            raise OperationRefused("amount is USDT with at most 6 decimals, e.g. 1500.25") from None
        await self._run(WithdrawInsuranceFund(amount, reference, self._clock.now()))

    async def _run(self, command: Command) -> None:
        outcome = await self._submit(command)
        if not outcome.accepted:
            raise OperationRefused(outcome.message or outcome.code or "refused")


def _parse(name: str, text: str) -> object:
    if name == "is_active":
        if text.lower() not in ("true", "false"):
            raise OperationRefused("is_active is true or false")
        return text.lower() == "true"
    try:
        return int(text)
    except ValueError:
        raise OperationRefused(f"{name} must be an integer, not {text[:20]!r}") from None


def _fields(config: MarketConfig) -> dict[str, object]:
    values = dataclasses.asdict(config)
    values.pop("quote_asset", None)
    return values
