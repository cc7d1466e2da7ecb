"""Publishes what a command did on the event bus: the public tape, and each account's own
orders, fills, positions and balance. Prices and sizes travel as integer units."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from enum import Enum
from typing import Any

from engine.bus import EventBus
from engine.trading.events import (
    BalanceChanged,
    EmergencyPauseChanged,
    EngineEvent,
    FundingPaid,
    InsuranceFundWithdrawn,
    MarginCall,
    MarketConfigured,
    MarketStatusChanged,
    OrderFill,
    OrderUpdated,
    PositionChanged,
    PositionLiquidated,
    TradePrinted,
)
from engine.trading.exchange import Outcome


def topic_of(event: EngineEvent) -> str:
    if isinstance(event, TradePrinted):
        return f"trades.{event.symbol}"
    if isinstance(event, OrderUpdated | OrderFill):
        return f"orders.{event.account}"
    if isinstance(event, PositionChanged | MarginCall):
        return f"positions.{event.account}"
    if isinstance(event, FundingPaid):
        return f"funding.{event.symbol}"
    if isinstance(event, PositionLiquidated):
        return f"liquidations.{event.symbol}"
    if isinstance(event, MarketStatusChanged):
        return f"market_status.{event.symbol}"
    if isinstance(event, EmergencyPauseChanged):
        return "emergency_pause"
    if isinstance(event, MarketConfigured):
        return f"markets.{event.symbol}"
    if isinstance(event, InsuranceFundWithdrawn):
        return "insurance_fund"
    assert isinstance(event, BalanceChanged)
    return f"balances.{event.account}"


def as_message(event: EngineEvent) -> dict[str, Any]:
    message: dict[str, Any] = {"type": type(event).__name__}
    for field in dataclasses.fields(event):
        value = getattr(event, field.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, Enum):
            value = value.value
        message[field.name] = value
    return message


async def publish_outcome(bus: EventBus, outcome: Outcome) -> None:
    for event in outcome.events:
        await bus.publish(topic_of(event), as_message(event))
