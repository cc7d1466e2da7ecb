"""Perpetual futures trading: orders, fills, positions, the public tape, and their errors."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, TypeAlias

import strawberry

from schema.errors import InvalidRequestError, NotAvailableError, RateLimitedError, UserError
from schema.scalars import Decimal


@strawberry.enum
class OrderSide(Enum):
    BUY = "BUY"
    SELL = "SELL"


@strawberry.enum
class OrderType(Enum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    PEG_MID = "PEG_MID"
    PEG_BID = "PEG_BID"
    PEG_ASK = "PEG_ASK"


@strawberry.enum
class TimeInForce(Enum):
    IOC = "IOC"
    FOK = "FOK"
    GTC = "GTC"
    GTD = "GTD"


@strawberry.enum
class OrderStatusFilter(Enum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"
    ALL = "ALL"


@strawberry.enum
class PositionSide(Enum):
    LONG = "LONG"
    SHORT = "SHORT"


@strawberry.input
class PlaceOrderInput:
    symbol: str
    side: OrderSide
    type: OrderType
    size: Decimal = strawberry.field(description="In the base asset, on the market's step.")
    leverage: int = strawberry.field(description="1 to 1000; tiers of seed 004 apply.")
    price: Decimal | None = strawberry.field(
        default=None, description="Limit price (LIMIT), or a cap for a peg."
    )
    time_in_force: TimeInForce | None = None
    reduce_only: bool = False
    client_order_id: str | None = strawberry.field(
        default=None, description="Your id; the same id twice returns the first order."
    )
    min_quantity: Decimal | None = None
    all_or_none: bool = False
    nbbo_protection: bool = False
    expires_at: datetime | None = strawberry.field(default=None, description="For GTD.")


@strawberry.type
class Order:
    id: str
    client_order_id: str | None
    symbol: str
    side: OrderSide
    type: str
    status: str
    size: Decimal
    filled: Decimal
    remaining: Decimal
    price: Decimal | None
    reason: str | None
    updated_at: datetime


@strawberry.type
class Fill:
    trade_id: str
    order_id: str
    symbol: str
    side: OrderSide
    price: Decimal
    size: Decimal
    fee: Decimal = strawberry.field(description="USDT; negative is a rebate.")
    liquidity: str
    realized_pnl: Decimal
    time: datetime


@strawberry.type
class Position:
    symbol: str
    side: PositionSide
    size: Decimal
    entry_price: Decimal
    mark_price: Decimal | None
    margin: Decimal = strawberry.field(description="Isolated collateral, USDT.")
    leverage: int
    unrealized_pnl: Decimal | None
    realized_pnl: Decimal
    margin_ratio: Decimal | None = strawberry.field(
        description="(margin + unrealized PnL) / notional at the mark, in percent."
    )
    liquidation_price: Decimal | None = strawberry.field(
        description="The mark at which this position is liquidated, exactly."
    )
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None


@strawberry.type(description="For liquidators: a position near its liquidation price.")
class AtRiskPosition:
    account_id: str
    position: Position
    distance_percent: Decimal = strawberry.field(
        description="How far the mark is from the liquidation price, in percent of the mark."
    )


@strawberry.type
class LiquidationSweep:
    liquidated: int


@strawberry.type(description="A trade on the public tape: no accounts, no orders.")
class Trade:
    id: str
    symbol: str
    price: Decimal
    size: Decimal
    aggressor_side: OrderSide
    time: datetime


@strawberry.type
class OrderPlaced:
    order: Order
    fills: list[Fill]


@strawberry.type
class OrderCancelled:
    cancelled: list[Order]


@strawberry.type
class PositionUpdated:
    position: Position | None
    fills: list[Fill]


@strawberry.type
class InsufficientMarginError(UserError):
    pass


@strawberry.type
class PositionSizeExceededError(UserError):
    pass


@strawberry.type
class LeverageNotAllowedError(UserError):
    pass


@strawberry.type
class ReduceOnlyError(UserError):
    pass


@strawberry.type
class InvalidTickError(UserError):
    pass


@strawberry.type
class InvalidSizeError(UserError):
    pass


@strawberry.type
class MarketClosedError(UserError):
    pass


@strawberry.type
class OracleUnhealthyError(UserError):
    pass


@strawberry.type
class OrderNotFoundError(UserError):
    pass


@strawberry.type
class NoPositionError(UserError):
    pass


@strawberry.type
class EngineUnavailableError(UserError):
    pass


TRADING_ERRORS: dict[str, type[UserError]] = {
    "INSUFFICIENT_MARGIN": InsufficientMarginError,
    "INSUFFICIENT_FUNDS": InsufficientMarginError,
    "POSITION_SIZE_EXCEEDED": PositionSizeExceededError,
    "LEVERAGE_NOT_ALLOWED": LeverageNotAllowedError,
    "REDUCE_ONLY": ReduceOnlyError,
    "INVALID_TICK": InvalidTickError,
    "INVALID_PRICE": InvalidTickError,
    "INVALID_SIZE": InvalidSizeError,
    "MARKET_CLOSED": MarketClosedError,
    "MARKET_INACTIVE": MarketClosedError,
    "UNKNOWN_MARKET": MarketClosedError,
    "ORACLE_UNHEALTHY": OracleUnhealthyError,
    "NO_REFERENCE_PRICE": OracleUnhealthyError,
    "ORDER_NOT_FOUND": OrderNotFoundError,
    "NO_POSITION": NoPositionError,
    "VENUE_PAUSED": MarketClosedError,
    "INVALID_TRIGGER": InvalidTickError,
    "ENGINE_UNAVAILABLE": EngineUnavailableError,
}

# Every refusal a trading mutation can answer with.
TradingError: TypeAlias = (
    InsufficientMarginError
    | PositionSizeExceededError
    | LeverageNotAllowedError
    | ReduceOnlyError
    | InvalidTickError
    | InvalidSizeError
    | MarketClosedError
    | OracleUnhealthyError
    | OrderNotFoundError
    | NoPositionError
    | EngineUnavailableError
    | InvalidRequestError
    | NotAvailableError
    | RateLimitedError
)

PlaceOrderResult = Annotated[OrderPlaced | TradingError, strawberry.union("PlaceOrderResult")]
CancelOrderResult = Annotated[OrderCancelled | TradingError, strawberry.union("CancelOrderResult")]
AmendOrderResult = Annotated[OrderPlaced | TradingError, strawberry.union("AmendOrderResult")]
PositionResult = Annotated[PositionUpdated | TradingError, strawberry.union("PositionResult")]


@strawberry.type
class InsuranceFund:
    balance: Decimal
    open_interest: Decimal = strawberry.field(description="All markets, USDT at the mark.")
    target_balance: Decimal = strawberry.field(description="1 % of open interest.")
    coverage_percent: Decimal | None
    utilisation_percent: Decimal = strawberry.field(
        description="Bad debt covered over contributions ever received."
    )
    healthy: bool


@strawberry.type
class FundingPayment:
    symbol: str
    rate_percent: Decimal = strawberry.field(description="Per hour; positive: longs pay shorts.")
    total_paid: Decimal
    time: datetime


@strawberry.type
class FundingStatus:
    symbol: str
    estimated_rate_percent: Decimal = strawberry.field(
        description="The rate the current hour would pay if it closed now."
    )
    next_funding_time: datetime | None
    open_interest: Decimal


@strawberry.type
class Liquidation:
    symbol: str
    side: PositionSide
    size: Decimal
    mark_price: Decimal
    time: datetime


@strawberry.type
class MarketStatus:
    symbol: str
    status: str = strawberry.field(description="OPEN, or REDUCE_ONLY after a circuit breaker.")
    reason: str | None = strawberry.field(
        description="PRICE_MOVE, VOLUME_SPIKE, ORACLE_SIGMA or ORACLE_JUMP."
    )
    until: datetime | None


@strawberry.type(description="The venue-wide emergency pause (seed 004 levels 0-4).")
class EmergencyPause:
    level: int = strawberry.field(
        description="0 none, 1 new orders, 2 all trading, 3 all but withdrawals, 4 everything."
    )
    until: datetime | None = strawberry.field(description="Automatic resume (levels 1 and 2).")
