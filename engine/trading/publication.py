"""Publishes what a command did on the event bus: the public tape, and each account's own
orders, fills, positions and balance. Prices and sizes travel as integer units.

Flash markets: public events go to `flash.markets` (the ticker) and `flash.market.<id>`;
a bettor's own bets to `flash.bets.<account>`. Player protection (reality checks due, changed
settings) to `flash.protection.<account>`. Micro-bets: offers listed and settled to
`flash.micro.markets`, a session's opening, bets, results and closing to
`flash.micro.<session_id>` (session ids have no dots), the house's funding to
`flash.micro.house`; the street as observed goes to `flash.micro.stream.<stream>` from the
street driver, outside the engine."""

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
    FlashBetPlaced,
    FlashBetSettled,
    FlashLiquidityFunded,
    FlashMarketOpened,
    FlashMarketStatusChanged,
    FlashMarketVoided,
    FlashPriceChanged,
    FundingPaid,
    InsuranceFundWithdrawn,
    MarginCall,
    MarketCollapsed,
    MarketConfigured,
    MarketStatusChanged,
    MicroBetPlaced,
    MicroBetSettled,
    MicroHouseFunded,
    MicroMarketListed,
    MicroMarketSettled,
    MicroSessionClosed,
    MicroSessionOpened,
    OrderEntered,
    OrderFill,
    OrderUpdated,
    PositionChanged,
    PositionLiquidated,
    ProtectionChanged,
    RealityCheckDue,
    TradePrinted,
)
from engine.trading.exchange import Outcome

FLASH_MARKETS_TOPIC = "flash.markets"
FLASH_LIQUIDITY_TOPIC = "flash.liquidity"
_PUBLIC_FLASH = (
    FlashMarketOpened,
    FlashPriceChanged,
    FlashMarketStatusChanged,
    MarketCollapsed,
    FlashMarketVoided,
)


def flash_market_topic(market_id: str) -> str:
    return f"flash.market.{market_id}"


def flash_bets_topic(account: str) -> str:
    return f"flash.bets.{account}"


FLASH_MICRO_MARKETS_TOPIC = "flash.micro.markets"
FLASH_MICRO_HOUSE_TOPIC = "flash.micro.house"


def protection_topic(account: str) -> str:
    return f"flash.protection.{account}"


def micro_session_topic(session_id: str) -> str:
    return f"flash.micro.{session_id}"


def micro_stream_topic(stream: str) -> str:
    return f"flash.micro.stream.{stream}"


def topics_of(event: EngineEvent) -> tuple[str, ...]:
    """Every topic an event goes to: one, except public flash market events (two)."""
    if isinstance(event, _PUBLIC_FLASH):
        return (FLASH_MARKETS_TOPIC, flash_market_topic(event.market_id))
    return (topic_of(event),)


def topic_of(event: EngineEvent) -> str:
    if isinstance(event, TradePrinted):
        return f"trades.{event.symbol}"
    if isinstance(event, OrderEntered | OrderUpdated | OrderFill):
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
    if isinstance(event, _PUBLIC_FLASH):
        return flash_market_topic(event.market_id)
    if isinstance(event, FlashBetPlaced | FlashBetSettled):
        return flash_bets_topic(event.account)
    if isinstance(event, FlashLiquidityFunded):
        return FLASH_LIQUIDITY_TOPIC
    if isinstance(event, RealityCheckDue | ProtectionChanged):
        return protection_topic(event.account)
    if isinstance(event, MicroMarketListed | MicroMarketSettled):
        return FLASH_MICRO_MARKETS_TOPIC
    if isinstance(
        event, MicroSessionOpened | MicroBetPlaced | MicroBetSettled | MicroSessionClosed
    ):
        return micro_session_topic(event.session_id)
    if isinstance(event, MicroHouseFunded):
        return FLASH_MICRO_HOUSE_TOPIC
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
        elif isinstance(value, tuple):
            value = list(value)
        message[field.name] = value
    return message


async def publish_outcome(bus: EventBus, outcome: Outcome) -> None:
    for event in outcome.events:
        message = as_message(event)
        for topic in topics_of(event):
            await bus.publish(topic, message)
