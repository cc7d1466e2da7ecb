"""Flash markets: sub-minute markets on live games, their quotes, bets, collapses and errors.

Probabilities (prices) are Decimal strings with 6 decimals (ppm of probability), as the live
games' odds are; money is USDT with 6 decimals. One share pays 1 USDT if its outcome wins.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, TypeAlias

import strawberry

from schema.errors import (
    IdempotencyKeyReusedError,
    InsufficientFundsError,
    InvalidRequestError,
    NotAvailableError,
    RateLimitedError,
    UserError,
)
from schema.scalars import Decimal
from schema.trading import EngineUnavailableError, MarketClosedError


@strawberry.enum
class FlashMarketStatus(Enum):
    OPEN = "OPEN"
    HALTED = "HALTED"
    CLOSED = "CLOSED"
    COLLAPSED = "COLLAPSED"
    VOIDED = "VOIDED"


@strawberry.enum
class FlashNodeLevel(Enum):
    GAME = "GAME"
    PERIOD = "PERIOD"
    FLASH = "FLASH"
    MICRO = "MICRO"


@strawberry.enum
class CollapseType(Enum):
    SETTLE_SLOT = "SETTLE_SLOT"
    MAX_PROBABILITY = "MAX_PROBABILITY"
    EMERGENCY = "EMERGENCY"


@strawberry.enum
class FlashBetStatus(Enum):
    OPEN = "OPEN"
    WON = "WON"
    LOST = "LOST"
    REFUNDED = "REFUNDED"


@strawberry.enum
class FlashUpdateKind(Enum):
    SNAPSHOT = "SNAPSHOT"  # the market as it is when you subscribe
    OPENED = "OPENED"
    PRICE = "PRICE"
    STATUS = "STATUS"
    COLLAPSED = "COLLAPSED"
    VOIDED = "VOIDED"


@strawberry.type
class FlashOutcome:
    outcome: str
    price: Decimal = strawberry.field(description="Probability, 0 to 1 (6 decimals).")
    decimal_odds: Decimal | None = strawberry.field(
        description="1 / price, 2 decimals (rounded down); before the fee and price impact."
    )


@strawberry.type(description="Prices of a market at one 400 ms slot.")
class FlashPricePoint:
    time: datetime = strawberry.field(description="The start of the 400 ms slot.")
    prices: list[Decimal] = strawberry.field(description="In the order of `outcomes`.")


@strawberry.type(description="Seed 001's collapse: how a market ended and who won.")
class FlashCollapse:
    proposal_id: str
    winning_outcome: str | None = strawberry.field(description="Null when voided.")
    probability: Decimal = strawberry.field(description="The winner's price at the collapse.")
    collapse_type: CollapseType | None = strawberry.field(description="Null when voided.")
    time: datetime


@strawberry.type(description="A game or a period: a group of flash markets holding no money.")
class FlashNode:
    id: str
    parent_id: str | None
    level: FlashNodeLevel
    title: str
    sport: str
    event_id: str
    is_market: bool


@strawberry.type
class FlashMarket:
    id: str
    title: str
    sport: str
    event_id: str
    market_type: str
    level: FlashNodeLevel
    depth: int
    parent_id: str
    status: FlashMarketStatus
    outcomes: list[FlashOutcome]
    opened_at: datetime
    deadline: datetime = strawberry.field(description="Bets close.")
    settles_by: datetime = strawberry.field(
        description="The settle slot: the market collapses by then at the latest."
    )
    fee_percent: Decimal
    volume: Decimal = strawberry.field(description="Stakes so far, USDT, fees included.")
    probability_source: str = strawberry.field(description="QUORUM or MODEL.")
    collapse: FlashCollapse | None


@strawberry.type(description="A market with its place in the game -> period -> flash tree.")
class FlashMarketDetail:
    market: FlashMarket
    parent: FlashNode | None
    lineage: list[FlashNode] = strawberry.field(description="Ancestors, nearest first.")
    children: list[FlashNode]
    price_history: list[FlashPricePoint] = strawberry.field(
        description="The last slots that saw a price (the halt's window)."
    )


@strawberry.type(description="What a bet would get now; placing it may still be refused.")
class FlashQuote:
    market_id: str
    outcome: str
    stake: Decimal = strawberry.field(description="USDT, fee included.")
    fee: Decimal
    shares: Decimal = strawberry.field(description="Each pays 1 USDT if the outcome wins.")
    average_price: Decimal
    price_before: Decimal
    price_after: Decimal
    price_impact: Decimal = strawberry.field(description="price_after - price_before.")
    potential_payout: Decimal = strawberry.field(description="USDT paid if the outcome wins.")
    time: datetime


@strawberry.type
class FlashBet:
    id: str
    client_bet_id: str | None
    market_id: str
    market_title: str | None
    outcome: str
    stake: Decimal
    fee: Decimal
    shares: Decimal
    average_price: Decimal
    potential_payout: Decimal
    status: FlashBetStatus
    payout: Decimal = strawberry.field(description="USDT credited at the collapse.")
    placed_at: datetime


@strawberry.type
class FlashBetPlaced:
    bet: FlashBet
    replayed: bool = strawberry.field(description="The same clientBetId again: the first bet.")


@strawberry.type(description="One change to a flash market, with the market as it is now.")
class FlashMarketUpdate:
    kind: FlashUpdateKind
    market: FlashMarket
    reason: str | None
    total_payout: Decimal | None = strawberry.field(
        description="COLLAPSED: paid to winners; VOIDED: refunded, fees included."
    )
    time: datetime


@strawberry.type(description="One of your bets was placed or settled.")
class FlashBetUpdate:
    kind: str = strawberry.field(description="PLACED or SETTLED.")
    bet: FlashBet
    time: datetime


@strawberry.input
class PlaceFlashBetInput:
    market_id: str
    outcome: str
    stake: Decimal = strawberry.field(description="USDT, fee included, up to 6 decimals.")
    client_bet_id: str | None = strawberry.field(
        default=None, description="Your id; the same id twice returns the first bet."
    )
    max_average_price: Decimal | None = strawberry.field(
        default=None, description="Refuse (PRICE_MOVED) a fill worse than this probability."
    )


@strawberry.type
class FlashMarketCollapsed:
    market: FlashMarket


@strawberry.type
class UnknownFlashMarketError(UserError):
    pass


@strawberry.type
class PriceClampError(UserError):
    pass


@strawberry.type
class TradingHaltedError(UserError):
    pass


@strawberry.type
class LimitReachedError(UserError):
    pass


@strawberry.type
class SelfExcludedError(UserError):
    pass


@strawberry.type
class CoolingOffError(UserError):
    pass


@strawberry.type
class StakeTooLargeError(UserError):
    pass


@strawberry.type
class TooFastError(UserError):
    retry_after: float | None = strawberry.field(
        default=None, description="Seconds until a bet may be placed (micro-bets)."
    )


@strawberry.type
class RealityCheckDueError(UserError):
    pass


@strawberry.type
class PriceMovedError(UserError):
    pass


@strawberry.type
class InvalidBetError(UserError):
    pass


@strawberry.type
class VenuePausedError(UserError):
    pass


FLASH_ERRORS: dict[str, type[UserError]] = {
    "UNKNOWN_FLASH_MARKET": UnknownFlashMarketError,
    "MARKET_CLOSED": MarketClosedError,
    "PRICE_CLAMP": PriceClampError,
    "TRADING_HALTED": TradingHaltedError,
    "LIMIT_REACHED": LimitReachedError,
    "SELF_EXCLUDED": SelfExcludedError,
    "COOLING_OFF": CoolingOffError,
    "STAKE_TOO_LARGE": StakeTooLargeError,
    "TOO_FAST": TooFastError,
    "REALITY_CHECK_DUE": RealityCheckDueError,
    "INSUFFICIENT_FUNDS": InsufficientFundsError,
    "PRICE_MOVED": PriceMovedError,
    "INVALID_BET": InvalidBetError,
    "INVALID_OUTCOME": InvalidBetError,
    "INVALID_REASON": InvalidBetError,
    "VENUE_PAUSED": VenuePausedError,
    "IDEMPOTENCY_KEY_REUSED": IdempotencyKeyReusedError,
    "ENGINE_UNAVAILABLE": EngineUnavailableError,
    "RATE_LIMITED": RateLimitedError,
}

# Every refusal a flash mutation can answer with.
FlashError: TypeAlias = (
    UnknownFlashMarketError
    | MarketClosedError
    | PriceClampError
    | TradingHaltedError
    | LimitReachedError
    | SelfExcludedError
    | CoolingOffError
    | StakeTooLargeError
    | TooFastError
    | RealityCheckDueError
    | InsufficientFundsError
    | PriceMovedError
    | InvalidBetError
    | VenuePausedError
    | IdempotencyKeyReusedError
    | EngineUnavailableError
    | RateLimitedError
    | InvalidRequestError
    | NotAvailableError
)

PlaceFlashBetResult = Annotated[
    FlashBetPlaced | FlashError, strawberry.union("PlaceFlashBetResult")
]
QuoteFlashResult = Annotated[FlashQuote | FlashError, strawberry.union("QuoteFlashResult")]
EmergencyCollapseResult = Annotated[
    FlashMarketCollapsed | FlashError, strawberry.union("EmergencyCollapseResult")
]


# --- player protection ---------------------------------------------------------------------


@strawberry.enum
class LimitKind(Enum):
    DEPOSIT = "deposit"
    LOSS = "loss"


@strawberry.enum
class LimitPeriod(Enum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@strawberry.type(description="A raise or removal waiting out the 24 h delay.")
class PendingLimit:
    amount: Decimal | None = strawberry.field(description="Null: the limit is removed.")
    effective_at: datetime


@strawberry.type
class ProtectionLimit:
    kind: LimitKind
    period: LimitPeriod
    amount: Decimal | None = strawberry.field(description="USDT; null: no limit.")
    pending: PendingLimit | None
    used: Decimal = strawberry.field(
        description="Deposits in the rolling window, or net loss plus unsettled stakes."
    )
    remaining: Decimal | None


@strawberry.type(description="Time played and net result, to acknowledge before betting on.")
class RealityCheck:
    due_at: datetime
    period_started_at: datetime
    session_started_at: datetime | None
    time_played_seconds: int
    net_result: Decimal = strawberry.field(description="USDT since the last check; < 0: loss.")
    reason: str = strawberry.field(description="interval, or loss_velocity.")


@strawberry.type(description="Your limits and protection status (engine-enforced).")
class ResponsibleGaming:
    limits: list[ProtectionLimit]
    open_stakes: Decimal
    cool_off_until: datetime | None
    self_excluded_until: datetime | None
    reality_check: RealityCheck | None = strawberry.field(
        description="Due now: bets are refused until it is acknowledged."
    )
    next_reality_check_at: datetime | None
    slowed_until: datetime | None = strawberry.field(
        description="Loss velocity slowed play: a longer wait between bets until then."
    )
    next_bet_at: datetime | None
    loss_velocity_per_minute: Decimal
    needs_limit_prompt: bool


@strawberry.input
class LimitInput:
    kind: LimitKind
    period: LimitPeriod
    amount: Decimal | None = strawberry.field(
        default=None, description="USDT; null removes the limit (after 24 h)."
    )


@strawberry.type
class InvalidLimitError(UserError):
    pass


PROTECTION_ERRORS: dict[str, type[UserError]] = {
    **FLASH_ERRORS,
    "INVALID_LIMIT": InvalidLimitError,
}

ProtectionError: TypeAlias = (
    InvalidLimitError
    | SelfExcludedError
    | CoolingOffError
    | EngineUnavailableError
    | InvalidRequestError
)

ResponsibleGamingResult = Annotated[
    ResponsibleGaming | ProtectionError, strawberry.union("ResponsibleGamingResult")
]


# --- micro-bets on pre-funded sessions (docs/micro-bets.md) ---------------------------------


@strawberry.enum
class MicroBetType(Enum):
    BINARY = "binary"
    QUANTITY = "quantity"
    TIMING = "timing"
    PATTERN = "pattern"


@strawberry.enum
class MicroSessionStatus(Enum):
    OPEN = "open"
    CLOSED = "closed"


@strawberry.enum
class MicroBetStatus(Enum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"
    VOID = "void"


@strawberry.enum
class MicroEventKind(Enum):
    SNAPSHOT = "SNAPSHOT"  # the session as it is when you subscribe
    SESSION_OPENED = "SESSION_OPENED"
    BET_PLACED = "BET_PLACED"
    BET_SETTLED = "BET_SETTLED"
    SESSION_CLOSED = "SESSION_CLOSED"
    STREET_EVENT = "STREET_EVENT"


@strawberry.type(description="One outcome of an offer, with fixed odds (house margin included).")
class MicroOutcome:
    outcome: str
    probability: Decimal = strawberry.field(description="The model's, before the margin.")
    decimal_odds: Decimal = strawberry.field(description="Fixed when the bet is placed.")


@strawberry.type(description="A micro-bet offer on the live stream: bets close when it opens.")
class MicroMarket:
    id: str
    bet_type: MicroBetType
    question: str
    listed_at: datetime
    opens_at: datetime = strawberry.field(description="Bets close; the observed window starts.")
    closes_at: datetime = strawberry.field(description="The observed window ends.")
    outcomes: list[MicroOutcome]
    house_margin_percent: Decimal = strawberry.field(description="Stated margin, e.g. 5.00.")


@strawberry.type
class MicroBet:
    id: str
    session_id: str
    market_id: str
    question: str | None = strawberry.field(description="Null once the offer is forgotten.")
    outcome: str
    stake: Decimal
    decimal_odds: Decimal
    potential_payout: Decimal = strawberry.field(description="Stake x odds if it wins.")
    status: MicroBetStatus
    returned: Decimal = strawberry.field(
        description="Credited to the betting balance: payout (won), stake (void), 0 (lost)."
    )
    placed_at: datetime
    closes_at: datetime = strawberry.field(description="Settled after this + 2 s of reports.")


@strawberry.type(description="A pre-funded session: deposit = protected reserve + balance.")
class MicroSession:
    id: str
    status: MicroSessionStatus
    deposit: Decimal
    reserve: Decimal = strawberry.field(description="Never bettable; returned on close.")
    balance: Decimal = strawberry.field(description="The betting balance.")
    in_play: Decimal = strawberry.field(description="Stakes of open bets.")
    open_bets: int
    max_stake: Decimal = strawberry.field(description="The largest stake allowed now.")
    max_open_bets: int
    min_seconds_between_bets: float
    opened_at: datetime
    closed_at: datetime | None
    bets: list[MicroBet] = strawberry.field(description="Newest first.")


@strawberry.type
class MicroBetPlaced:
    bet: MicroBet
    session: MicroSession
    replayed: bool = strawberry.field(description="The same clientBetId again: the first bet.")


@strawberry.type(description="What came back to your available USDT.")
class MicroSessionClosed:
    session: MicroSession
    reserve_returned: Decimal
    balance_returned: Decimal
    total_returned: Decimal


@strawberry.type(description="A street event as at least 2 of the 3 observers agree on it.")
class StreetEvent:
    stream: str
    occurred_at: datetime
    kind: str = strawberry.field(description="car, bus, truck, cyclist or pedestrian.")
    colour: str | None
    direction: str | None
    observers: int


@strawberry.type(description="One thing that happened to your session, or on the street.")
class MicroEvent:
    kind: MicroEventKind
    time: datetime
    session: MicroSession | None = strawberry.field(description="The session as it is now.")
    bet: MicroBet | None
    street: StreetEvent | None


@strawberry.input
class PlaceMicroBetInput:
    session_id: str
    market_id: str
    outcome: str
    stake: Decimal = strawberry.field(description="USDT, up to 6 decimals.")
    client_bet_id: str | None = strawberry.field(
        default=None, description="Your id; the same id twice returns the first bet."
    )


@strawberry.type
class UnknownMicroSessionError(UserError):
    pass


@strawberry.type
class UnknownMicroMarketError(UserError):
    pass


@strawberry.type
class InsufficientBalanceError(UserError):
    pass


@strawberry.type
class TooManyBetsError(UserError):
    pass


@strawberry.type
class SessionClosedError(UserError):
    pass


@strawberry.type
class InvalidDepositError(UserError):
    pass


@strawberry.type
class TooManySessionsError(UserError):
    pass


MICRO_ERRORS: dict[str, type[UserError]] = {
    **FLASH_ERRORS,
    "UNKNOWN_SESSION": UnknownMicroSessionError,
    "INVALID_SESSION": UnknownMicroSessionError,
    "UNKNOWN_MICRO_MARKET": UnknownMicroMarketError,
    "INSUFFICIENT_BALANCE": InsufficientBalanceError,
    "TOO_MANY_BETS": TooManyBetsError,
    "SESSION_CLOSED": SessionClosedError,
    "INVALID_DEPOSIT": InvalidDepositError,
    "TOO_MANY_SESSIONS": TooManySessionsError,
}

# Every refusal a micro-bet mutation can answer with.
MicroError: TypeAlias = (
    UnknownMicroSessionError
    | UnknownMicroMarketError
    | MarketClosedError
    | InsufficientBalanceError
    | InsufficientFundsError
    | StakeTooLargeError
    | TooFastError
    | TooManyBetsError
    | SessionClosedError
    | InvalidDepositError
    | TooManySessionsError
    | InvalidBetError
    | LimitReachedError
    | SelfExcludedError
    | CoolingOffError
    | RealityCheckDueError
    | VenuePausedError
    | IdempotencyKeyReusedError
    | EngineUnavailableError
    | RateLimitedError
    | InvalidRequestError
)

OpenMicroSessionResult = Annotated[
    MicroSession | MicroError, strawberry.union("OpenMicroSessionResult")
]
PlaceMicroBetResult = Annotated[
    MicroBetPlaced | MicroError, strawberry.union("PlaceMicroBetResult")
]
CloseMicroSessionResult = Annotated[
    MicroSessionClosed | MicroError, strawberry.union("CloseMicroSessionResult")
]
