"""Orders, positions and the tape. Private fields act for the signed-in account only."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from decimal import Decimal as PyDecimal
from typing import Any

from engine.accounts.compliance import check_terms
from engine.accounts.ratelimit import TIER_LIMITS, Tier
from engine.accounts.roles import Action
from engine.errors import DomainError
from engine.ledger.assets import USDT, format_units
from engine.matching import OrderType as EngineOrderType
from engine.matching import Side
from engine.matching import TimeInForce as EngineTimeInForce
from engine.oracle.model import PRICE_DECIMALS, SIZE_DECIMALS, format_price
from engine.perps import liquidation_price, margin_ratio, unrealised_pnl
from engine.trading import commands
from engine.trading.events import OrderFill, OrderUpdated, PositionLiquidated, TradePrinted
from engine.trading.exchange import Outcome
from engine.trading.sequencer import SequencerStopped
from resolvers.context import Info, access_error
from resolvers.errors import InvalidArgument
from schema import scalars
from schema.errors import InvalidRequestError, RateLimitedError, UserError
from schema.trading import (
    TRADING_ERRORS,
    AmendOrderResult,
    AtRiskPosition,
    CancelOrderResult,
    EmergencyPause,
    Fill,
    FundingPayment,
    FundingStatus,
    InsuranceFund,
    Liquidation,
    LiquidationSweep,
    MarketStatus,
    Order,
    OrderCancelled,
    OrderPlaced,
    OrderSide,
    OrderStatusFilter,
    PlaceOrderInput,
    PlaceOrderResult,
    Position,
    PositionResult,
    PositionSide,
    PositionUpdated,
    Trade,
)

MAX_TAPE = 500
MAX_MY_TRADES = 200


# --- mutations ------------------------------------------------------------------------


async def place_order(info: Info, input: PlaceOrderInput) -> PlaceOrderResult:
    account = _trader(info)
    if isinstance(account, UserError):
        return account  # type: ignore[return-value]
    limited = await _within_limits(info, account)
    if limited is not None:
        return limited  # type: ignore[return-value]
    try:
        command = commands.SubmitOrder(
            account=account,
            symbol=input.symbol,
            side=Side(input.side.value),
            order_type=EngineOrderType(input.type.value),
            size=_units(input.size, SIZE_DECIMALS, "INVALID_SIZE", "size"),
            leverage=input.leverage,
            at=info.context.venue.clock.now(),
            limit_price=_optional_units(input.price, PRICE_DECIMALS, "INVALID_TICK", "price"),
            time_in_force=(
                None
                if input.time_in_force is None
                else EngineTimeInForce(input.time_in_force.value)
            ),
            reduce_only=input.reduce_only,
            client_order_id=input.client_order_id,
            min_quantity=_optional_units(
                input.min_quantity, SIZE_DECIMALS, "INVALID_SIZE", "minimum quantity"
            )
            or 0,
            all_or_none=input.all_or_none,
            nbbo_protection=input.nbbo_protection,
            expires_at=input.expires_at,
        )
    except _Refusal as refusal:
        return refusal.error  # type: ignore[return-value]
    # Auto-deposit (seed 004 E): collateral beyond the available balance comes from the
    # wallet, within its authorisation, before the engine checks margin.
    await info.context.venue.settlement.vaults.ensure_collateral(command)
    outcome = await _submit(info, command)
    if isinstance(outcome, UserError):
        return outcome  # type: ignore[return-value]
    return _placed(info, outcome)  # type: ignore[return-value]


async def cancel_order(info: Info, symbol: str, order_id: str) -> CancelOrderResult:
    return await _cancellation(
        info, lambda account, at: commands.CancelOrder(account, symbol, order_id, at)
    )


async def cancel_all_orders(info: Info, symbol: str) -> CancelOrderResult:
    return await _cancellation(
        info, lambda account, at: commands.CancelAllOrders(account, symbol, at)
    )


async def amend_order(
    info: Info, symbol: str, order_id: str, size: scalars.Decimal
) -> AmendOrderResult:
    account = _trader(info)
    if isinstance(account, UserError):
        return account  # type: ignore[return-value]
    try:
        units = _units(size, SIZE_DECIMALS, "INVALID_SIZE", "size")
    except _Refusal as refusal:
        return refusal.error  # type: ignore[return-value]
    outcome = await _submit(
        info, commands.AmendOrder(account, symbol, order_id, units, info.context.venue.clock.now())
    )
    if isinstance(outcome, UserError):
        return outcome  # type: ignore[return-value]
    outcome.order_id = order_id
    return _placed(info, outcome)  # type: ignore[return-value]


async def close_position(info: Info, symbol: str) -> PositionResult:
    return await _position_change(
        info, lambda account, at: commands.ClosePosition(account, symbol, at), symbol
    )


async def set_tp_sl(
    info: Info,
    symbol: str,
    take_profit: scalars.Decimal | None = None,
    stop_loss: scalars.Decimal | None = None,
) -> PositionResult:
    try:
        take = _optional_units(take_profit, PRICE_DECIMALS, "INVALID_TICK", "take-profit")
        stop = _optional_units(stop_loss, PRICE_DECIMALS, "INVALID_TICK", "stop-loss")
    except _Refusal as refusal:
        return refusal.error  # type: ignore[return-value]
    return await _position_change(
        info, lambda account, at: commands.SetTpSl(account, symbol, take, stop, at), symbol
    )


async def adjust_margin(info: Info, symbol: str, amount: scalars.Decimal) -> PositionResult:
    try:
        units = _signed_usdt(amount)
    except _Refusal as refusal:
        return refusal.error  # type: ignore[return-value]
    return await _position_change(
        info, lambda account, at: commands.AdjustMargin(account, symbol, units, at), symbol
    )


# --- queries --------------------------------------------------------------------------


def my_orders(info: Info, status: OrderStatusFilter = OrderStatusFilter.OPEN) -> list[Order]:
    """Open orders, recently closed ones (the last 200), or both; newest first."""
    venue = info.context.venue
    account = _reader(info)
    orders = []
    if status is not OrderStatusFilter.CLOSED:
        orders += venue.exchange.open_orders(account)
    if status is not OrderStatusFilter.OPEN:
        orders += list(venue.exchange.closed_orders_of.get(account, ()))
    return [_order(update) for update in sorted(orders, key=lambda u: u.at, reverse=True)]


def my_trades(info: Info, symbol: str | None = None, limit: int = 50) -> list[Fill]:
    """Your fills, newest first (the last 200)."""
    if not 1 <= limit <= MAX_MY_TRADES:
        raise InvalidArgument(f"limit must be between 1 and {MAX_MY_TRADES}")
    venue = info.context.venue
    fills = [
        fill
        for fill in venue.exchange.fills_of.get(_reader(info), ())
        if symbol is None or fill.symbol == symbol
    ]
    return [_fill(fill) for fill in fills[-limit:][::-1]]


def my_positions(info: Info) -> list[Position]:
    venue = info.context.venue
    return [_position(info, p) for p in venue.exchange.positions_of(_reader(info))]


def trades(info: Info, symbol: str, limit: int = 100) -> list[Trade]:
    if not 1 <= limit <= MAX_TAPE:
        raise InvalidArgument(f"limit must be between 1 and {MAX_TAPE}")
    tape = info.context.venue.exchange.tape.get(symbol)
    if tape is None:
        raise InvalidArgument(f"unknown market {symbol[:40]!r}; symbols look like BTC-USDT-PERP")
    return [_trade(printed) for printed in list(tape)[-limit:]][::-1]


# --- subscriptions --------------------------------------------------------------------


async def trade_stream(info: Info, symbol: str) -> AsyncGenerator[Trade, None]:
    if symbol not in info.context.venue.exchange.tape:
        raise InvalidArgument(f"unknown market {symbol[:40]!r}; symbols look like BTC-USDT-PERP")
    async with info.context.venue.bus.subscribe(f"trades.{symbol}") as events:
        async for event in events:
            yield Trade(
                id=event["trade_id"],
                symbol=event["symbol"],
                price=_price(event["price"]),
                size=_size(event["size"]),
                aggressor_side=OrderSide(event["aggressor_side"]),
                time=datetime.fromisoformat(event["at"]),
            )


async def order_updates(info: Info) -> AsyncGenerator[Order, None]:
    account = _reader(info)
    async with info.context.venue.bus.subscribe(f"orders.{account}") as events:
        async for event in events:
            if event.get("type") == "OrderUpdated":
                yield _order_from_message(event)


async def position_updates(info: Info) -> AsyncGenerator[Position | None, None]:
    venue = info.context.venue
    account = _reader(info)
    async with venue.bus.subscribe(f"positions.{account}") as events:
        async for event in events:
            position = venue.exchange.positions.get((account, event["symbol"]))
            yield None if position is None else _position(info, position)


# --- helpers --------------------------------------------------------------------------


class _Refusal(Exception):
    def __init__(self, error: UserError) -> None:
        super().__init__(error.message)
        self.error = error


def _trader(info: Info) -> str | UserError:
    principal = info.context.require(Action.TRADE)
    try:
        check_terms(principal.terms_version, info.context.venue.accounts.config.terms_version)
    except DomainError as refusal:
        raise access_error(refusal) from None
    return principal.account_id


def _reader(info: Info) -> str:
    return info.context.require(Action.READ).account_id


async def _within_limits(info: Info, account: str, *, cancel: bool = False) -> UserError | None:
    """The tier's orders (or cancels) per minute, and its cap on open orders."""
    principal = info.context.principal
    assert principal is not None
    venue = info.context.venue
    tier = Tier.named(principal.tier)
    decision = await (venue.limiter.cancel if cancel else venue.limiter.order)(account, tier)
    if not decision.allowed:
        what = "cancels" if cancel else "orders"
        return RateLimitedError(
            code="RATE_LIMITED",
            message=f"too many {what} for the {tier.value} tier; slow down",
            retry_after=decision.retry_after,
        )
    cap = TIER_LIMITS[tier].max_open_orders
    # GODARK_RATE_LIMITS=false lifts every tier policy, this cap with the rates (benchmarks).
    limited = venue.config.rate_limits and not cancel
    if limited and len(venue.exchange.open_orders(account)) >= cap:
        return RateLimitedError(
            code="TOO_MANY_OPEN_ORDERS",
            message=f"the {tier.value} tier allows {cap} open orders; cancel some first",
            retry_after=0.0,
        )
    return None


async def _submit(info: Info, command: commands.Command) -> Outcome | UserError:
    try:
        outcome = await info.context.venue.submit(command)
    except SequencerStopped:
        return _error("ENGINE_UNAVAILABLE", "the trading engine is restarting; try again")
    except DomainError as error:
        return _error(error.code, error.message)
    if not outcome.accepted:
        return _error(outcome.code or "REFUSED", outcome.message or "refused")
    return outcome


async def _cancellation(info: Info, build: Any) -> CancelOrderResult:
    account = _trader(info)
    if isinstance(account, UserError):
        return account  # type: ignore[return-value]
    limited = await _within_limits(info, account, cancel=True)
    if limited is not None:
        return limited  # type: ignore[return-value]
    outcome = await _submit(info, build(account, info.context.venue.clock.now()))
    if isinstance(outcome, UserError):
        return outcome  # type: ignore[return-value]
    cancelled = [_order(e) for e in outcome.events if isinstance(e, OrderUpdated)]
    return OrderCancelled(cancelled=cancelled)


async def _position_change(info: Info, build: Any, symbol: str) -> PositionResult:
    account = _trader(info)
    if isinstance(account, UserError):
        return account  # type: ignore[return-value]
    outcome = await _submit(info, build(account, info.context.venue.clock.now()))
    if isinstance(outcome, UserError):
        return outcome  # type: ignore[return-value]
    position = info.context.venue.exchange.positions.get((account, symbol))
    return PositionUpdated(
        position=None if position is None else _position(info, position),
        fills=[
            _fill(e) for e in outcome.events if isinstance(e, OrderFill) and e.account == account
        ],
    )


def _placed(info: Info, outcome: Outcome) -> OrderPlaced | UserError:
    account = _trader(info)
    updates = [
        e for e in outcome.events if isinstance(e, OrderUpdated) and e.order_id == outcome.order_id
    ]
    if not updates:
        order = next(
            (
                o
                for o in info.context.venue.exchange.open_orders(str(account))
                if o.order_id == outcome.order_id
            ),
            None,
        )
        if order is None:
            return _error("ORDER_NOT_FOUND", "the order was not found")
        updates = [order]
    fills = [
        _fill(e)
        for e in outcome.events
        if isinstance(e, OrderFill) and e.order_id == outcome.order_id
    ]
    return OrderPlaced(order=_order(updates[-1]), fills=fills)


def _error(code: str, message: str) -> UserError:
    error_type = TRADING_ERRORS.get(code, InvalidRequestError)
    return error_type(code=code, message=message)


def _units(value: scalars.Decimal, decimals: int, code: str, what: str) -> int:
    scaled = PyDecimal(value).scaleb(decimals)
    if scaled <= 0 or scaled != scaled.to_integral_value():
        raise _Refusal(_error(code, f"{what} {value} must be positive and on the market's grid"))
    return int(scaled)


def _optional_units(
    value: scalars.Decimal | None, decimals: int, code: str, what: str
) -> int | None:
    return None if value is None else _units(value, decimals, code, what)


def _signed_usdt(value: scalars.Decimal) -> int:
    scaled = PyDecimal(value).scaleb(USDT.decimals)
    if scaled == 0 or scaled != scaled.to_integral_value():
        raise _Refusal(
            _error("INVALID_AMOUNT", "the amount must be non-zero with at most 6 decimals")
        )
    return int(scaled)


def _price(units: int) -> scalars.Decimal:
    return scalars.Decimal(PyDecimal(format_price(units)))


def _size(units: int) -> scalars.Decimal:
    return scalars.Decimal(PyDecimal(units).scaleb(-SIZE_DECIMALS))


def _usdt(units: int) -> scalars.Decimal:
    return scalars.Decimal(PyDecimal(format_units(units, USDT)))


def _order(update: OrderUpdated) -> Order:
    return Order(
        id=update.order_id,
        client_order_id=update.client_order_id,
        symbol=update.symbol,
        side=OrderSide(update.side.value),
        type=update.order_type,
        status=update.status,
        size=_size(update.size),
        filled=_size(update.filled),
        remaining=_size(update.remaining),
        price=None if update.limit_price is None else _price(update.limit_price),
        reason=update.reason,
        updated_at=update.at,
    )


def _order_from_message(event: dict[str, Any]) -> Order:
    return Order(
        id=event["order_id"],
        client_order_id=event["client_order_id"],
        symbol=event["symbol"],
        side=OrderSide(event["side"]),
        type=event["order_type"],
        status=event["status"],
        size=_size(event["size"]),
        filled=_size(event["filled"]),
        remaining=_size(event["remaining"]),
        price=None if event["limit_price"] is None else _price(event["limit_price"]),
        reason=event["reason"],
        updated_at=datetime.fromisoformat(event["at"]),
    )


def _fill(event: OrderFill) -> Fill:
    return Fill(
        trade_id=event.trade_id,
        order_id=event.order_id,
        symbol=event.symbol,
        side=OrderSide(event.side.value),
        price=_price(event.price),
        size=_size(event.size),
        fee=_usdt(event.fee),
        liquidity=event.liquidity,
        realized_pnl=_usdt(event.realised_pnl),
        time=event.at,
    )


def _trade(printed: TradePrinted) -> Trade:
    return Trade(
        id=printed.trade_id,
        symbol=printed.symbol,
        price=_price(printed.price),
        size=_size(printed.size),
        aggressor_side=OrderSide(printed.aggressor_side.value),
        time=printed.at,
    )


def _position(info: Info, position: Any) -> Position:
    exchange = info.context.venue.exchange
    mark = exchange.prices[position.symbol].mark
    market = exchange.markets[position.symbol]
    liquidation = liquidation_price(position, market.tick_size)
    take, stop = exchange.tp_sl.get((position.account, position.symbol), (None, None))
    ratio = None if mark is None else margin_ratio(position, mark)
    return Position(
        symbol=position.symbol,
        side=PositionSide(position.side.value),
        size=_size(position.size),
        entry_price=_price(position.entry_price),
        mark_price=None if mark is None else _price(mark),
        margin=_usdt(position.collateral),
        leverage=position.leverage,
        unrealized_pnl=None if mark is None else _usdt(unrealised_pnl(position, mark)),
        realized_pnl=_usdt(position.realised_pnl),
        margin_ratio=(
            None
            if ratio is None
            else scalars.Decimal(
                (PyDecimal(ratio.numerator) / PyDecimal(ratio.denominator) * 100).quantize(
                    PyDecimal("0.01")
                )
            )
        ),
        liquidation_price=None if liquidation is None else _price(liquidation),
        take_profit=None if take is None else _price(take),
        stop_loss=None if stop is None else _price(stop),
    )


# --- liquidators ----------------------------------------------------------------------

MAX_AT_RISK = 500
DEFAULT_RISK_DISTANCE = scalars.Decimal(PyDecimal("1"))


def positions_at_risk(
    info: Info, within_percent: scalars.Decimal = DEFAULT_RISK_DISTANCE, limit: int = 100
) -> list[AtRiskPosition]:
    """Positions whose mark is within `within_percent` of liquidation, nearest first."""
    info.context.require(Action.VIEW_UNDERWATER_POSITIONS)
    if not 1 <= limit <= MAX_AT_RISK or not 0 < within_percent <= 100:
        raise InvalidArgument(f"limit is 1..{MAX_AT_RISK} and within_percent 0..100")
    exchange = info.context.venue.exchange
    near: list[tuple[PyDecimal, Any]] = []
    for position in exchange.positions.values():
        mark = exchange.prices[position.symbol].mark
        liquidation = liquidation_price(position, exchange.markets[position.symbol].tick_size)
        if mark is None or liquidation is None or mark <= 0:
            continue
        distance = abs(PyDecimal(mark - liquidation)) / PyDecimal(mark) * 100
        if distance <= within_percent:
            near.append((distance, position))
    near.sort(key=lambda pair: pair[0])
    return [
        AtRiskPosition(
            account_id=position.account,
            position=_position(info, position),
            distance_percent=scalars.Decimal(distance.quantize(PyDecimal("0.0001"))),
        )
        for distance, position in near[:limit]
    ]


async def sweep_liquidations(info: Info) -> LiquidationSweep:
    """Run the liquidation sweep now rather than at the next second's timer."""
    info.context.require(Action.LIQUIDATE)
    venue = info.context.venue
    outcome = await venue.submit(commands.SweepLiquidations(venue.clock.now()))
    return LiquidationSweep(
        liquidated=sum(isinstance(e, PositionLiquidated) for e in outcome.events)
    )


# --- funding and the insurance fund ---------------------------------------------------

RATE_SCALE = 10**12  # the engine's funding rates are in 1e-12 per hour


def insurance_fund(info: Info) -> InsuranceFund:
    health = info.context.venue.exchange.insurance_fund()
    return InsuranceFund(
        balance=_usdt(health.balance),
        open_interest=_usdt(health.open_interest),
        target_balance=_usdt(health.target_balance),
        coverage_percent=None if health.coverage_bps is None else _bps_percent(health.coverage_bps),
        utilisation_percent=_bps_percent(health.utilisation_bps),
        healthy=health.is_healthy,
    )


def funding_status(info: Info, symbol: str) -> FundingStatus:
    exchange = info.context.venue.exchange
    if symbol not in exchange.markets:
        raise InvalidArgument(f"unknown market {symbol[:40]!r}; symbols look like BTC-USDT-PERP")
    accumulator = exchange.funding.get(symbol)
    return FundingStatus(
        symbol=symbol,
        estimated_rate_percent=_rate_percent(0 if accumulator is None else accumulator.estimate()),
        next_funding_time=None if accumulator is None else accumulator.funding_time,
        open_interest=_usdt(exchange.market_open_interest(symbol)),
    )


def funding_history(info: Info, symbol: str, limit: int = 24) -> list[FundingPayment]:
    history = info.context.venue.exchange.funding_history.get(symbol)
    if history is None:
        raise InvalidArgument(f"unknown market {symbol[:40]!r}; symbols look like BTC-USDT-PERP")
    if not 1 <= limit <= 720:
        raise InvalidArgument("limit must be between 1 and 720")
    return [
        FundingPayment(
            symbol=paid.symbol,
            rate_percent=_rate_percent(paid.rate),
            total_paid=_usdt(paid.total_paid),
            time=paid.at,
        )
        for paid in list(history)[-limit:][::-1]
    ]


async def funding_stream(info: Info, symbol: str) -> AsyncGenerator[FundingPayment, None]:
    async with info.context.venue.bus.subscribe(f"funding.{symbol}") as events:
        async for event in events:
            yield FundingPayment(
                symbol=event["symbol"],
                rate_percent=_rate_percent(event["rate"]),
                total_paid=_usdt(event["total_paid"]),
                time=datetime.fromisoformat(event["at"]),
            )


async def liquidation_stream(info: Info, symbol: str) -> AsyncGenerator[Liquidation, None]:
    async with info.context.venue.bus.subscribe(f"liquidations.{symbol}") as events:
        async for event in events:
            yield Liquidation(
                symbol=event["symbol"],
                side=PositionSide(event["side"]),
                size=_size(event["size"]),
                mark_price=_price(event["mark"]),
                time=datetime.fromisoformat(event["at"]),
            )


def _rate_percent(rate: int) -> scalars.Decimal:
    return scalars.Decimal(PyDecimal(rate) * 100 / RATE_SCALE)


def _bps_percent(bps: int) -> scalars.Decimal:
    return scalars.Decimal(PyDecimal(bps).scaleb(-2))


# --- market status (circuit breakers) -------------------------------------------------


def market_status(info: Info, symbol: str) -> MarketStatus:
    exchange = info.context.venue.exchange
    status = exchange.status.get(symbol)
    if status is None:
        raise InvalidArgument(f"unknown market {symbol[:40]!r}; symbols look like BTC-USDT-PERP")
    now = info.context.venue.clock.now()
    if status.reduce_only(now):
        return MarketStatus(
            symbol=symbol,
            status="REDUCE_ONLY",
            reason=status.reason,
            until=status.reduce_only_until,
        )
    return MarketStatus(symbol=symbol, status="OPEN", reason=None, until=None)


async def market_status_stream(info: Info, symbol: str) -> AsyncGenerator[MarketStatus, None]:
    yield market_status(info, symbol)
    async with info.context.venue.bus.subscribe(f"market_status.{symbol}") as events:
        async for event in events:
            until = event.get("until")
            yield MarketStatus(
                symbol=symbol,
                status=event["status"],
                reason=event.get("reason"),
                until=None if until is None else datetime.fromisoformat(until),
            )


def emergency_pause(info: Info) -> EmergencyPause:
    exchange = info.context.venue.exchange
    level = exchange.current_pause(info.context.venue.clock.now())
    return EmergencyPause(level=level, until=exchange.pause_until if level else None)
