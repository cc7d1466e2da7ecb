"""The venue adapter interface, and the payload checks every adapter shares.

An adapter turns one venue's public market-data messages into SourceTrade, SourceQuote
and SourceBook values; it never touches the network (runner.py drives it).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import ClassVar

from engine.oracle.model import (
    BookLevel,
    MalformedPayload,
    SourceBook,
    SourceEvent,
    SourceName,
    SourceQuote,
    SourceTrade,
    parse_price,
    parse_size,
)

# Levels kept per side of a book: what the reference book shows (nbbo.REFERENCE_BOOK_DEPTH).
BOOK_DEPTH = 10
# Trades asked for per REST call: enough to bridge a short stream outage.
RECENT_TRADES_LIMIT = 100

# No venue quotes a price or size with this many characters or integer digits. Refusing
# such numbers before parse_price matters: it would build the whole integer, and
# "1e999980" costs it tens of seconds while "1e999999" overflows the Decimal context.
MAX_DECIMAL_TEXT_LENGTH = 64
MAX_INTEGER_DIGITS = 20

# No crypto venue traded before Bitcoin's genesis block, and a time past 2100 is a unit
# mix-up (seconds read as milliseconds, or nanoseconds as milliseconds): refuse both.
EARLIEST_VENUE_TIME = datetime(2009, 1, 3, tzinfo=UTC)
LATEST_VENUE_TIME = datetime(2100, 1, 1, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MILLISECOND = timedelta(milliseconds=1)
_EARLIEST_MILLIS = (EARLIEST_VENUE_TIME - _EPOCH) // _ONE_MILLISECOND
_LATEST_MILLIS = (LATEST_VENUE_TIME - _EPOCH) // _ONE_MILLISECOND
_MILLISECONDS_PER_SECOND = 10**3
_MICROSECONDS_PER_SECOND = 10**6

HTTP_TOO_MANY_REQUESTS = 429
# Characters of a payload fragment quoted in an error message.
EXCERPT_LENGTH = 64

JsonObject = Mapping[str, object]


@dataclass(frozen=True, slots=True)
class RestRequest:
    """A public GET on the venue's REST API: path below the base URL and query parameters."""

    path: str
    params: Mapping[str, str]


class VenueAdapter(ABC):
    """One lit venue's public market data: subscriptions out, validated events in.

    Parsers are pure: the same bytes and `received_at` give the same events, and any
    payload that is not a valid trade, quote or book raises MalformedPayload, nothing else.
    """

    name: ClassVar[SourceName]
    default_symbols: ClassVar[Mapping[str, str]]
    default_stream_url: ClassVar[str]
    default_rest_base_url: ClassVar[str]
    # Some venues close a connection that sends nothing, WebSocket pings notwithstanding.
    keepalive_message: ClassVar[str | None] = None
    keepalive_interval_seconds: ClassVar[float] = 20.0

    def __init__(
        self,
        *,
        symbols: Mapping[str, str] | None = None,
        stream_url: str | None = None,
        rest_base_url: str | None = None,
    ) -> None:
        self.symbols: Mapping[str, str] = dict(self.default_symbols if symbols is None else symbols)
        self.stream_url = self.default_stream_url if stream_url is None else stream_url
        base = self.default_rest_base_url if rest_base_url is None else rest_base_url
        self.rest_base_url = base.rstrip("/")
        self._assets = {instrument: asset for asset, instrument in self.symbols.items()}
        if len(self._assets) != len(self.symbols):
            raise ValueError(f"{self.name}: two assets map to the same instrument")

    def instrument(self, asset: str) -> str:
        """The venue's instrument id for one of our assets; unknown assets are a config error."""
        try:
            return self.symbols[asset]
        except KeyError:
            raise ValueError(f"{self.name} has no instrument for asset {asset!r}") from None

    def asset_of(self, instrument: object) -> str:
        if not isinstance(instrument, str) or instrument not in self._assets:
            raise MalformedPayload(f"{self.name}: unknown instrument {excerpt(instrument)}")
        return self._assets[instrument]

    def expect_instrument(self, asset: str, instrument: object) -> None:
        """A REST answer must be about the instrument we asked for."""
        if self.asset_of(instrument) != asset:
            raise MalformedPayload(f"{self.name}: asked for {asset}, got {instrument!r}")

    def is_throttled(self, status_code: int, body: bytes) -> bool:
        """Whether a REST answer tells us to slow down (the poller then backs off)."""
        return status_code == HTTP_TOO_MANY_REQUESTS

    @abstractmethod
    def subscribe_messages(self, assets: Sequence[str]) -> list[str]:
        """The messages to send after connecting, to receive trades and quotes of `assets`."""

    @abstractmethod
    def parse_stream_message(self, raw: str | bytes, *, received_at: datetime) -> list[SourceEvent]:
        """Events in one WebSocket message; [] for acks, heartbeats and pongs."""

    @abstractmethod
    def quote_request(self, asset: str) -> RestRequest: ...

    @abstractmethod
    def parse_rest_quote(
        self, asset: str, body: str | bytes, *, received_at: datetime
    ) -> SourceQuote: ...

    @abstractmethod
    def book_request(self, asset: str) -> RestRequest: ...

    @abstractmethod
    def parse_rest_book(
        self, asset: str, body: str | bytes, *, received_at: datetime
    ) -> SourceBook: ...

    @abstractmethod
    def trades_request(self, asset: str) -> RestRequest: ...

    @abstractmethod
    def parse_rest_trades(
        self, asset: str, body: str | bytes, *, received_at: datetime
    ) -> list[SourceTrade]: ...


# --- JSON structure -----------------------------------------------------------------


def decode_json(raw: str | bytes) -> object:
    """A venue message as JSON; fractional numbers become Decimal, never float."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise MalformedPayload(f"not JSON: {excerpt(str(error))}") from None


def _refuse_constant(name: str) -> object:
    raise MalformedPayload(f"JSON constant {name} is not a number")


def as_object(value: object, what: str) -> JsonObject:
    if not isinstance(value, dict):
        raise MalformedPayload(f"{what} is not a JSON object")
    return value


def as_list(value: object, what: str) -> list[object]:
    if not isinstance(value, list):
        raise MalformedPayload(f"{what} is not a JSON array")
    return value


def member(obj: JsonObject, key: str) -> object:
    try:
        return obj[key]
    except KeyError:
        raise MalformedPayload(f"missing field {key!r}") from None


def text(obj: JsonObject, key: str) -> str:
    value = member(obj, key)
    if not isinstance(value, str):
        raise MalformedPayload(f"field {key!r} is not a string")
    return value


def object_member(obj: JsonObject, key: str) -> JsonObject:
    return as_object(member(obj, key), f"field {key!r}")


def list_member(obj: JsonObject, key: str) -> list[object]:
    return as_list(member(obj, key), f"field {key!r}")


def only_element(value: object, what: str) -> JsonObject:
    """The single object of an array that venues use as an envelope for one answer."""
    items = as_list(value, what)
    if len(items) != 1:
        raise MalformedPayload(f"{what} holds {len(items)} entries, expected 1")
    return as_object(items[0], what)


def identifier(obj: JsonObject, key: str) -> str:
    return identifier_value(member(obj, key), key)


def identifier_value(value: object, what: str) -> str:
    """A venue id sent as a string or an integer, as text."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise MalformedPayload(f"{what} is not an id")
    return str(value)


# --- Prices and sizes ---------------------------------------------------------------


def text_price(obj: JsonObject, key: str) -> int:
    """A price the venue sends as a decimal string, as most do."""
    return parse_price(decimal_text(member(obj, key), key))


def text_size(obj: JsonObject, key: str) -> int:
    return parse_size(decimal_text(member(obj, key), key))


def number_price(obj: JsonObject, key: str) -> int:
    """A price the venue sends as a JSON number (Kraken v2), read exactly."""
    return parse_price(decimal_number(member(obj, key), key))


def number_size(obj: JsonObject, key: str) -> int:
    return parse_size(decimal_number(member(obj, key), key))


def decimal_text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise MalformedPayload(f"{what} is not a decimal string: {excerpt(value)}")
    _refuse_absurd_magnitude(value, what)
    return value


def decimal_number(value: object, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise MalformedPayload(f"{what} is not a JSON number: {excerpt(value)}")
    return decimal_text(str(value), what)


def _refuse_absurd_magnitude(value: str, what: str) -> None:
    if len(value) > MAX_DECIMAL_TEXT_LENGTH:
        raise MalformedPayload(f"{what} is too long to be a price or size")
    try:
        number = Decimal(value)
    except InvalidOperation:
        return  # not a number at all: parse_price/parse_size say so
    if number.is_finite() and number != 0 and number.adjusted() >= MAX_INTEGER_DIGITS:
        raise MalformedPayload(f"{what} {value!r} is out of range")


def text_levels(value: object, what: str) -> list[BookLevel]:
    """Book levels sent as [[price, size, ...], ...] with decimal strings."""
    levels = []
    for row in as_list(value, what):
        entry = as_list(row, f"{what} level")
        if len(entry) < 2:
            raise MalformedPayload(f"{what} level has no price and size")
        price = parse_price(decimal_text(entry[0], f"{what} price"))
        size = parse_size(decimal_text(entry[1], f"{what} size"))
        levels.append(BookLevel(price, size))
    return levels


# --- Times --------------------------------------------------------------------------


def millis_time(value: object, what: str) -> datetime:
    """Milliseconds since the epoch, as a JSON integer or a string of digits."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        if len(value) > len(str(_LATEST_MILLIS)):
            raise MalformedPayload(f"{what} {excerpt(value)} is not a plausible time")
        millis = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        millis = value
    else:
        raise MalformedPayload(f"{what} is not a millisecond timestamp: {excerpt(value)}")
    if not _EARLIEST_MILLIS <= millis < _LATEST_MILLIS:
        raise MalformedPayload(f"{what} {millis} is not a plausible time in milliseconds")
    return _EPOCH + timedelta(milliseconds=millis)


def seconds_time(value: object, what: str) -> datetime:
    """Seconds since the epoch with a fraction, as Kraken REST sends them."""
    seconds = Decimal(decimal_number(value, what))
    if not seconds.is_finite() or not (
        _EARLIEST_MILLIS <= seconds * _MILLISECONDS_PER_SECOND < _LATEST_MILLIS
    ):
        raise MalformedPayload(f"{what} {seconds} is not a plausible time in seconds")
    micros = int((seconds * _MICROSECONDS_PER_SECOND).to_integral_value())
    return _EPOCH + timedelta(microseconds=micros)


def rfc3339_time(value: object, what: str) -> datetime:
    """An RFC 3339 timestamp with its offset (Coinbase, Kraken v2), in UTC."""
    if not isinstance(value, str):
        raise MalformedPayload(f"{what} is not a timestamp string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedPayload(f"{what} {excerpt(value)} is not RFC 3339") from None
    if parsed.tzinfo is None:
        raise MalformedPayload(f"{what} {value!r} has no UTC offset")
    return _plausible(parsed.astimezone(UTC), what)


def _plausible(moment: datetime, what: str) -> datetime:
    if not EARLIEST_VENUE_TIME <= moment < LATEST_VENUE_TIME:
        raise MalformedPayload(f"{what} {moment.isoformat()} is not a plausible time")
    return moment


# --- Events -------------------------------------------------------------------------


def checked_quote(
    *,
    source: SourceName,
    asset: str,
    bid: BookLevel,
    ask: BookLevel,
    venue_time: datetime,
    received_at: datetime,
) -> SourceQuote:
    """A best bid and offer, refused when crossed or locked: a lit venue never is."""
    if bid.price >= ask.price:
        raise MalformedPayload(f"crossed quote: bid {bid.price} >= ask {ask.price}")
    return SourceQuote(
        source=source,
        asset=asset,
        bid=bid.price,
        ask=ask.price,
        bid_size=bid.size,
        ask_size=ask.size,
        venue_time=venue_time,
        received_at=received_at,
    )


def checked_book(
    *,
    source: SourceName,
    asset: str,
    bids: Sequence[BookLevel],
    asks: Sequence[BookLevel],
    venue_time: datetime,
    received_at: datetime,
) -> SourceBook:
    """The top BOOK_DEPTH levels of a full snapshot, refused unless sorted best-first."""
    if not bids or not asks:
        raise MalformedPayload("a book side is empty")
    _require_best_first(bids, "bids", better=lambda a, b: a > b)
    _require_best_first(asks, "asks", better=lambda a, b: a < b)
    if bids[0].price >= asks[0].price:
        raise MalformedPayload(f"crossed book: bid {bids[0].price} >= ask {asks[0].price}")
    return SourceBook(
        source=source,
        asset=asset,
        bids=tuple(bids[:BOOK_DEPTH]),
        asks=tuple(asks[:BOOK_DEPTH]),
        venue_time=venue_time,
        received_at=received_at,
    )


def _require_best_first(
    levels: Sequence[BookLevel], side: str, better: Callable[[int, int], bool]
) -> None:
    for previous, level in pairwise(levels):
        if not better(previous.price, level.price):
            raise MalformedPayload(f"{side} are not sorted best-first at {level.price}")


def excerpt(value: object) -> str:
    """A bounded rendering of a payload fragment, so a hostile message can't bloat a log."""
    rendered = repr(value)
    if len(rendered) <= EXCERPT_LENGTH:
        return rendered
    return rendered[:EXCERPT_LENGTH] + "..."
