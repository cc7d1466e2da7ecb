"""Public venue statistics (seed 004 stats dashboard): execution quality, market data and
operational transparency. Aggregates of executed trades only: no accounts, no resting orders."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from schema.scalars import Decimal


@strawberry.type(description="One trade compared with the lit reference NBBO at execution.")
class Execution:
    trade_id: str
    symbol: str
    time: datetime
    aggressor_side: str = strawberry.field(description="BUY or SELL: the side that crossed.")
    price: Decimal
    size: Decimal
    reference_bid: Decimal | None
    reference_ask: Decimal | None
    savings: Decimal | None = strawberry.field(
        description="USDT the aggressor saved versus crossing the lit spread; negative is worse."
    )
    improvement_bps: Decimal | None


@strawberry.type
class SavingsDay:
    date: date
    savings: Decimal = strawberry.field(description="USDT saved versus crossing the lit spread.")
    cumulative_savings: Decimal
    improvement_bps: Decimal | None
    compared_trades: int


@strawberry.type(description="How executions compared with the lit reference market.")
class ExecutionQuality:
    savings: Decimal = strawberry.field(description="USDT, over the range.")
    improvement_bps: Decimal | None = strawberry.field(
        description="Savings per traded notional, in basis points."
    )
    compared_trades: int = strawberry.field(description="Trades with a reference quote.")
    inside_spread_percent: Decimal | None = strawberry.field(
        description="Share of compared trades at or better than the lit touch."
    )
    daily: list[SavingsDay]
    recent: list[Execution] = strawberry.field(description="The latest executions, newest first.")


@strawberry.type(description="Orders accepted and how long they waited to fill.")
class OrderFlow:
    orders: int = strawberry.field(description="Orders the engine accepted.")
    liquidity_submitted: Decimal = strawberry.field(
        description="Notional of the orders accepted, USDT (at the limit, else the reference "
        "touch)."
    )
    average_order_size: Decimal | None = strawberry.field(description="USDT per order.")
    first_fills: int = strawberry.field(description="Orders that had their first fill.")
    average_time_to_first_fill_seconds: float | None = strawberry.field(
        description="From acceptance to an order's first fill."
    )
    complete_fills: int = strawberry.field(description="Orders filled completely.")
    average_time_to_fill_seconds: float | None = strawberry.field(
        description="From acceptance to an order's complete fill."
    )


@strawberry.type
class MarketDay:
    date: date
    trades: int
    volume: Decimal = strawberry.field(description="Matched notional, USDT.")
    buy_volume: Decimal
    sell_volume: Decimal
    buy_percent: Decimal | None = strawberry.field(description="Aggressor buys, % of volume.")
    average_trade_size: Decimal | None = strawberry.field(description="USDT per trade.")
    order_flow: OrderFlow


@strawberry.type
class SymbolMarketData:
    symbol: str
    trades: int
    volume: Decimal
    buy_percent: Decimal | None
    average_trade_size: Decimal | None
    order_flow: OrderFlow


@strawberry.type(description="Matched volume, buy/sell ratio, trade and order sizes and counts.")
class MarketData:
    trades: int
    volume: Decimal
    buy_volume: Decimal
    sell_volume: Decimal
    buy_percent: Decimal | None
    average_trade_size: Decimal | None
    order_flow: OrderFlow
    daily: list[MarketDay]
    symbols: list[SymbolMarketData]


@strawberry.type
class FeeDay:
    date: date
    fees: Decimal


@strawberry.type
class SettlementCount:
    status: str
    count: int


@strawberry.type(description="Settlement batches confirmed or failed on one UTC day.")
class SettlementDay:
    date: date
    confirmed_batches: int
    average_finality_seconds: float | None
    failed_attempts: int


@strawberry.type
class DowntimeDay:
    date: date
    downtime_seconds: float


@strawberry.type(description="Fees, uptime, API latency and settlement health.")
class OperationalStats:
    fees_collected: Decimal = strawberry.field(
        description="The fee account's balance (all time, USDT): trading and liquidation fees."
    )
    trading_fees: Decimal = strawberry.field(description="Trading fees over the range, USDT.")
    daily_fees: list[FeeDay]
    started_at: datetime | None
    uptime_seconds: int
    average_api_response_seconds: float | None = strawberry.field(
        description="Mean GraphQL query time of this API process since it started."
    )
    api_operations: int
    settlement_lag_seconds: float | None
    settlement_batches: list[SettlementCount]
    failed_settlements: int | None = strawberry.field(
        description="Batches failed now, awaiting their next attempt."
    )
    confirmed_batches: int = strawberry.field(description="Batches confirmed over the range.")
    average_settlement_finality_seconds: float | None = strawberry.field(
        description="From a batch being sealed to its confirmation on chain, over the range."
    )
    failed_settlement_attempts: int = strawberry.field(
        description="Batch attempts that failed over the range (each is retried)."
    )
    daily_settlement: list[SettlementDay]
    downtime_seconds: float = strawberry.field(
        description="Time the engine was not running over the range, measured between a "
        "run's last sign of life and the next start."
    )
    outages: int
    uptime_percent: Decimal | None = strawberry.field(
        description="Share of the range (since the venue first started) the engine ran."
    )
    daily_downtime: list[DowntimeDay]


@strawberry.type(description="Public statistics over [from, to] (UTC days), optionally one market.")
class VenueStats:
    from_date: date = strawberry.field(name="from")
    to_date: date = strawberry.field(name="to")
    symbol: str | None
    symbols: list[str] = strawberry.field(description="Markets that can be filtered on.")
    execution_quality: ExecutionQuality
    market_data: MarketData
    operations: OperationalStats
