"""The public stats dashboard: engine aggregates (engine/stats) -> schema types. Public and
the same for everyone, so it reads nothing of the caller."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal as PyDecimal
from typing import Annotated

import strawberry
from prometheus_client import REGISTRY

from engine.ledger.assets import USDT, format_units
from engine.oracle.model import SIZE_DECIMALS, format_price
from engine.stats import (
    VENUE_WIDE,
    ExecutionRecord,
    ExecutionStats,
    Run,
    Totals,
    availability,
    recent_executions,
)
from engine.trading import accounts
from resolvers.context import Info
from resolvers.errors import InvalidArgument
from schema import scalars
from schema.stats import (
    DowntimeDay,
    Execution,
    ExecutionQuality,
    FeeDay,
    MarketData,
    MarketDay,
    OperationalStats,
    OrderFlow,
    SavingsDay,
    SettlementCount,
    SettlementDay,
    SymbolMarketData,
    VenueStats,
)

DEFAULT_RANGE_DAYS = 30
MAX_RANGE_DAYS = 366
RECENT_EXECUTIONS = 50
# The query-latency histogram of api/metrics.py, read by name so resolvers need not import api.
_QUERY_LATENCY = "godark_graphql_operation_duration_seconds"


def stats(
    info: Info,
    from_date: Annotated[date | None, strawberry.argument(name="from")] = None,
    to_date: Annotated[date | None, strawberry.argument(name="to")] = None,
    symbol: str | None = None,
) -> VenueStats:
    venue = info.context.venue
    today = venue.clock.now().date()
    last = to_date if to_date is not None else today
    first = from_date if from_date is not None else last - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if first > last:
        raise InvalidArgument("`from` must be on or before `to`")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise InvalidArgument(f"a range covers at most {MAX_RANGE_DAYS} days")
    if symbol is not None and symbol not in venue.exchange.markets:
        raise InvalidArgument(f"unknown market {symbol!r}")
    recorder = venue.stats
    book = recorder.stats if recorder is not None else ExecutionStats()
    return VenueStats(
        from_date=first,
        to_date=last,
        symbol=symbol,
        symbols=sorted(venue.exchange.markets),
        execution_quality=_execution_quality(info, book, first, last, symbol),
        market_data=_market_data(book, first, last, symbol),
        operations=_operations(info, book, first, last, symbol),
    )


def _execution_quality(
    info: Info, book: ExecutionStats, first: date, last: date, symbol: str | None
) -> ExecutionQuality:
    days = book.daily(first, last, symbol)
    total = Totals()
    daily: list[SavingsDay] = []
    for day in days:
        total.merge(day.totals)
        daily.append(
            SavingsDay(
                date=day.day,
                savings=_usdt(day.totals.savings),
                cumulative_savings=_usdt(total.savings),
                improvement_bps=_bps(day.totals),
                compared_trades=day.totals.compared_trades,
            )
        )
    tape = info.context.venue.exchange.tape
    recent = [
        r
        for r in recent_executions(tape, symbol, RECENT_EXECUTIONS * 4)
        if first <= r.at.date() <= last
    ]
    return ExecutionQuality(
        savings=_usdt(total.savings),
        improvement_bps=_bps(total),
        compared_trades=total.compared_trades,
        inside_spread_percent=_percent(total.inside_spread, total.compared_trades),
        daily=daily,
        recent=[_execution(r) for r in recent[:RECENT_EXECUTIONS]],
    )


def _market_data(book: ExecutionStats, first: date, last: date, symbol: str | None) -> MarketData:
    total = book.totals(first, last, symbol)
    per_symbol = book.by_symbol(first, last)
    return MarketData(
        trades=total.trades,
        volume=_usdt(total.volume),
        buy_volume=_usdt(total.buy_volume),
        sell_volume=_usdt(total.sell_volume),
        buy_percent=_percent(total.buy_volume, total.volume),
        average_trade_size=_average(total.volume, total.trades),
        order_flow=_order_flow(total),
        daily=[
            MarketDay(
                date=day.day,
                trades=day.totals.trades,
                volume=_usdt(day.totals.volume),
                buy_volume=_usdt(day.totals.buy_volume),
                sell_volume=_usdt(day.totals.sell_volume),
                buy_percent=_percent(day.totals.buy_volume, day.totals.volume),
                average_trade_size=_average(day.totals.volume, day.totals.trades),
                order_flow=_order_flow(day.totals),
            )
            for day in book.daily(first, last, symbol)
            if day.totals.trades or day.totals.orders
        ],
        symbols=[
            SymbolMarketData(
                symbol=market,
                trades=totals.trades,
                volume=_usdt(totals.volume),
                buy_percent=_percent(totals.buy_volume, totals.volume),
                average_trade_size=_average(totals.volume, totals.trades),
                order_flow=_order_flow(totals),
            )
            for market, totals in per_symbol.items()
            if (symbol is None or market == symbol) and (totals.trades or totals.orders)
        ],
    )


def _operations(
    info: Info, book: ExecutionStats, first: date, last: date, symbol: str | None
) -> OperationalStats:
    venue = info.context.venue
    now = venue.clock.now()
    recorder = venue.stats
    started_at = recorder.started_at if recorder is not None else None
    days = [day for day in book.daily(first, last, symbol) if day.totals.trades]
    query_seconds = REGISTRY.get_sample_value(f"{_QUERY_LATENCY}_sum", {"type": "query"})
    queries = REGISTRY.get_sample_value(f"{_QUERY_LATENCY}_count", {"type": "query"})
    settlement = getattr(venue, "settlement", None)
    counts: dict[str, int] = dict(getattr(settlement, "batch_counts", None) or {})
    lag = getattr(settlement, "lag_seconds", None)
    settled = book.daily(first, last, VENUE_WIDE)
    settled_total = book.totals(first, last, VENUE_WIDE)
    runs = recorder.runs if recorder is not None else []
    whole = availability(runs, _midnight(first), min(_midnight(last + timedelta(days=1)), now))
    uptime = whole.uptime_fraction
    return OperationalStats(
        fees_collected=_usdt(venue.exchange.ledger.balance(accounts.FEES)),
        trading_fees=_usdt(sum(day.totals.fees for day in days)),
        daily_fees=[FeeDay(date=day.day, fees=_usdt(day.totals.fees)) for day in days],
        started_at=started_at,
        uptime_seconds=0 if started_at is None else int((now - started_at).total_seconds()),
        average_api_response_seconds=(
            query_seconds / queries if query_seconds is not None and queries else None
        ),
        api_operations=int(queries or 0),
        settlement_lag_seconds=float(lag) if settlement is not None and lag is not None else None,
        settlement_batches=[SettlementCount(status=s, count=c) for s, c in sorted(counts.items())],
        failed_settlements=counts.get("FAILED", 0) if settlement is not None else None,
        confirmed_batches=settled_total.settled_batches,
        average_settlement_finality_seconds=_seconds(
            settled_total.settlement_ms, settled_total.settled_batches
        ),
        failed_settlement_attempts=settled_total.failed_settlements,
        daily_settlement=[
            SettlementDay(
                date=day.day,
                confirmed_batches=day.totals.settled_batches,
                average_finality_seconds=_seconds(
                    day.totals.settlement_ms, day.totals.settled_batches
                ),
                failed_attempts=day.totals.failed_settlements,
            )
            for day in settled
        ],
        downtime_seconds=whole.downtime.total_seconds(),
        outages=whole.outages,
        uptime_percent=None if uptime is None else _ratio(uptime[0] * 100, uptime[1], "0.001"),
        daily_downtime=_daily_downtime(runs, first, last, now),
    )


def _daily_downtime(runs: list[Run], first: date, last: date, now: datetime) -> list[DowntimeDay]:
    """Days of the range that had any downtime, oldest first."""
    if len(runs) < 2:
        return []
    result: list[DowntimeDay] = []
    day = first
    while day <= last and _midnight(day) < now:
        down = availability(runs, _midnight(day), min(_midnight(day + timedelta(days=1)), now))
        if down.downtime:
            result.append(DowntimeDay(date=day, downtime_seconds=down.downtime.total_seconds()))
        day += timedelta(days=1)
    return result


def _order_flow(totals: Totals) -> OrderFlow:
    return OrderFlow(
        orders=totals.orders,
        liquidity_submitted=_usdt(totals.liquidity),
        average_order_size=_average(totals.liquidity, totals.orders),
        first_fills=totals.first_fills,
        average_time_to_first_fill_seconds=_seconds(totals.first_fill_ms, totals.first_fills),
        complete_fills=totals.complete_fills,
        average_time_to_fill_seconds=_seconds(totals.complete_fill_ms, totals.complete_fills),
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _seconds(total_ms: int, count: int) -> float | None:
    """A mean duration for display (not money: a float is fine here)."""
    return None if count == 0 else total_ms / count / 1000


def _execution(record: ExecutionRecord) -> Execution:
    savings = record.savings
    per_unit = record.improvement_per_unit
    return Execution(
        trade_id=record.trade_id,
        symbol=record.symbol,
        time=record.at,
        aggressor_side="BUY" if record.aggressor_buys else "SELL",
        price=_price(record.price),
        size=scalars.Decimal(PyDecimal(record.size).scaleb(-SIZE_DECIMALS)),
        reference_bid=None if record.reference_bid is None else _price(record.reference_bid),
        reference_ask=None if record.reference_ask is None else _price(record.reference_ask),
        savings=None if savings is None else _usdt(savings),
        improvement_bps=(
            None
            if per_unit is None or record.price == 0
            else _ratio(per_unit * 10_000, record.price, "0.01")
        ),
    )


def _usdt(units: int) -> scalars.Decimal:
    return scalars.Decimal(PyDecimal(format_units(units, USDT)))


def _price(units: int) -> scalars.Decimal:
    return scalars.Decimal(PyDecimal(format_price(units)))


def _ratio(numerator: int, denominator: int, places: str) -> scalars.Decimal:
    return scalars.Decimal(
        (PyDecimal(numerator) / PyDecimal(denominator)).quantize(PyDecimal(places))
    )


def _bps(totals: Totals) -> scalars.Decimal | None:
    fraction = totals.improvement_bps
    return None if fraction is None else _ratio(*fraction, "0.01")


def _percent(part: int, whole: int) -> scalars.Decimal | None:
    return None if whole == 0 else _ratio(part * 100, whole, "0.01")


def _average(volume: int, trades: int) -> scalars.Decimal | None:
    return None if trades == 0 else _usdt(volume // trades)
