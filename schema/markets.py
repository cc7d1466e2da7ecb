"""Market data: index, mark, the reference lit market, sources, candles and the ticker."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from schema.scalars import Decimal

REFERENCE_MARKET_LABEL = "reference market"


@strawberry.enum(description="How many agreeing venues back the index.")
class OracleTier(Enum):
    PRIMARY = "PRIMARY"
    FALLBACK = "FALLBACK"
    UNAVAILABLE = "UNAVAILABLE"


@strawberry.enum
class PriceSourceExclusion(Enum):
    NO_DATA = "NO_DATA"
    STALE = "STALE"
    DEVIATION = "DEVIATION"


@strawberry.enum
class CandleInterval(Enum):
    ONE_SECOND = "1s"
    ONE_MINUTE = "1m"
    FIVE_MINUTES = "5m"
    ONE_HOUR = "1h"


@strawberry.enum
class PriceKind(Enum):
    INDEX = "INDEX"
    MARK = "MARK"


@strawberry.type(description="Best bid and offer of the lit reference market, not our dark book.")
class Nbbo:
    bid: Decimal | None
    ask: Decimal | None
    mid: Decimal | None
    bid_size: Decimal | None
    ask_size: Decimal | None
    crossed: bool
    locked: bool
    label: str = REFERENCE_MARKET_LABEL


@strawberry.type
class PriceSource:
    name: str
    healthy: bool
    price: Decimal | None
    last_update: datetime | None
    deviation: Decimal | None = strawberry.field(
        description="Distance from the median of the fresh sources, in percent."
    )
    excluded_reason: PriceSourceExclusion | None


@strawberry.type
class Market:
    symbol: str
    base_asset: str
    quote_asset: str
    index_price: Decimal | None
    mark_price: Decimal | None
    nbbo: Nbbo
    oracle_confidence: float
    oracle_healthy: bool = strawberry.field(
        description="False when fewer than two venues agree: no new risk may be taken."
    )
    oracle_tier: OracleTier
    price_sources: list[PriceSource]
    updated_at: datetime | None


@strawberry.type
class BookLevel:
    price: Decimal
    size: Decimal


@strawberry.type(description="Top levels of the lit reference market, consolidated across venues.")
class ReferenceBook:
    symbol: str
    label: str
    bids: list[BookLevel]
    asks: list[BookLevel]
    sources: list[str]
    updated_at: datetime | None


@strawberry.type
class Candle:
    start: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


@strawberry.type
class Ticker:
    symbol: str
    index_price: Decimal | None
    mark_price: Decimal | None
    nbbo: Nbbo
    oracle_confidence: float
    oracle_healthy: bool
    oracle_tier: OracleTier
    time: datetime
