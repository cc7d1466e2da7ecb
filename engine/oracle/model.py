"""What price sources report, in integers: the common language of every venue adapter.

Prices are integer units of 10**-PRICE_DECIMALS USDT and sizes integer units of
10**-SIZE_DECIMALS of the base asset, whatever the venue's own precision, so a price
from any venue compares with any other exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from engine.errors import DomainError

PRICE_DECIMALS = 10
SIZE_DECIMALS = 8
PRICE_SCALE: int = 10**PRICE_DECIMALS
SIZE_SCALE: int = 10**SIZE_DECIMALS
# Longer text is not a number any venue sends.
MAX_NUMBER_TEXT = 64
# Below 10**8 USDT a unit and 10**10 units a trade, every value fits a signed 64-bit
# column (prices x 10**10, sizes x 10**8), which is how candles and books are stored.
MAX_PRICE_DIGITS = 7
MAX_SIZE_DIGITS = 9


class SourceName(StrEnum):
    """Lit venues feeding the index; weights from seed 004, Oracle Integration."""

    BINANCE = "BINANCE"
    COINBASE = "COINBASE"
    KRAKEN = "KRAKEN"
    BYBIT = "BYBIT"
    OKX = "OKX"


class MalformedPayload(DomainError):
    """A source sent something that is not a valid trade, quote or book: dropped, counted."""

    code = "MALFORMED_PAYLOAD"


@dataclass(frozen=True, slots=True)
class SourceTrade:
    """One trade executed at a lit venue."""

    source: str
    asset: str  # base asset, e.g. "BTC"; the quote is USDT (or the venue's USD proxy)
    price: int
    size: int
    venue_time: datetime
    received_at: datetime
    trade_id: str = ""


@dataclass(frozen=True, slots=True)
class SourceQuote:
    """The best bid and offer of a lit venue."""

    source: str
    asset: str
    bid: int
    ask: int
    bid_size: int
    ask_size: int
    venue_time: datetime
    received_at: datetime


@dataclass(frozen=True, slots=True)
class BookLevel:
    price: int
    size: int


@dataclass(frozen=True, slots=True)
class SourceBook:
    """The top levels of a lit venue's book, best first on each side."""

    source: str
    asset: str
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]
    venue_time: datetime
    received_at: datetime


SourceEvent = SourceTrade | SourceQuote | SourceBook


def parse_price(text: object) -> int:
    """A venue's decimal price string -> price units; refuses anything not a positive number."""
    return _scaled_positive(text, PRICE_DECIMALS, MAX_PRICE_DIGITS, "price")


def parse_size(text: object) -> int:
    return _scaled_positive(text, SIZE_DECIMALS, MAX_SIZE_DIGITS, "size")


def _scaled_positive(text: object, decimals: int, max_digits: int, what: str) -> int:
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise MalformedPayload(f"{what} is not a number: {text!r}")
    raw = str(text)
    if len(raw) > MAX_NUMBER_TEXT:
        raise MalformedPayload(f"{what} is too long to be a number")
    try:
        value = Decimal(raw)
    except (InvalidOperation, ArithmeticError):
        raise MalformedPayload(f"{what} is not a number: {raw[:40]!r}") from None
    if not value.is_finite() or value <= 0:
        raise MalformedPayload(f"{what} must be a positive finite number, got {raw[:40]!r}")
    # Checked before scaling: "1e999999" would otherwise cost seconds or overflow.
    if value.adjusted() >= max_digits + 1:
        raise MalformedPayload(f"{what} {raw[:40]!r} is out of range")
    # Venues quote at most a few decimals past ours; the excess is rounded, not refused,
    # because it is below any tick we trade at.
    units = int(value.scaleb(decimals).to_integral_value())
    if units <= 0:
        raise MalformedPayload(f"{what} {raw[:40]!r} is below the smallest unit")
    return units


def format_price(units: int) -> str:
    """Price units as a plain decimal string, trailing zeros trimmed to at least 2 places."""
    sign = "-" if units < 0 else ""
    whole, fraction = divmod(abs(units), PRICE_SCALE)
    digits = f"{fraction:0{PRICE_DECIMALS}d}".rstrip("0")
    return f"{sign}{whole}.{digits.ljust(2, '0')}"
