"""Kraken spot: WebSocket v2 `trade` and `ticker` channels, REST Ticker, Depth and Trades
(https://docs.kraken.com/api/docs/websocket-v2/trade)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

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
from engine.oracle.venues.base import (
    BOOK_DEPTH,
    HTTP_TOO_MANY_REQUESTS,
    RECENT_TRADES_LIMIT,
    JsonObject,
    RestRequest,
    VenueAdapter,
    as_list,
    as_object,
    checked_book,
    checked_quote,
    decimal_text,
    decode_json,
    excerpt,
    identifier,
    identifier_value,
    list_member,
    member,
    number_price,
    number_size,
    object_member,
    rfc3339_time,
    seconds_time,
    text,
    text_levels,
)

# Kraken's public REST API signals throttling in the error list of an HTTP 200.
RATE_LIMIT_ERRORS = (b"EAPI:Rate limit exceeded", b"EGeneral:Too many requests")
# Channels that only say the feed is alive or describe the exchange.
_NO_EVENTS = frozenset({"heartbeat", "status"})
# Positions in a REST Ticker [price, whole lot volume, lot volume] entry.
_TICKER_PRICE, _TICKER_LOT_VOLUME = 0, 2
# A REST Trades row: [price, volume, time, side, order type, misc, trade id].
_TRADE_ROW_LENGTH = 7


class KrakenAdapter(VenueAdapter):
    name = SourceName.KRAKEN
    default_symbols = {"BTC": "BTC/USDT", "ETH": "ETH/USDT", "SOL": "SOL/USDT", "EUR": "EUR/USD"}
    # REST names pairs differently from WebSocket v2 (XBT, legacy X/Z prefixes) and keys
    # its answers by the canonical name, which it also accepts in requests.
    default_rest_pairs: Mapping[str, str] = {
        "BTC": "XBTUSDT",
        "ETH": "ETHUSDT",
        "SOL": "SOLUSDT",
        "EUR": "ZEURZUSD",
    }
    default_stream_url = "wss://ws.kraken.com/v2"
    default_rest_base_url = "https://api.kraken.com"

    def __init__(
        self,
        *,
        symbols: Mapping[str, str] | None = None,
        rest_pairs: Mapping[str, str] | None = None,
        stream_url: str | None = None,
        rest_base_url: str | None = None,
    ) -> None:
        super().__init__(symbols=symbols, stream_url=stream_url, rest_base_url=rest_base_url)
        self.rest_pairs = dict(self.default_rest_pairs if rest_pairs is None else rest_pairs)

    def subscribe_messages(self, assets: Sequence[str]) -> list[str]:
        symbols = [self.instrument(asset) for asset in assets]
        # No trade snapshot: it replays recent trades the index may already hold.
        trade = {"channel": "trade", "symbol": symbols, "snapshot": False}
        # A ticker on every best-bid-offer change, not only on trades.
        ticker = {"channel": "ticker", "symbol": symbols, "event_trigger": "bbo"}
        return [
            json.dumps({"method": "subscribe", "params": params, "req_id": request_id})
            for request_id, params in enumerate((trade, ticker), start=1)
        ]

    def parse_stream_message(self, raw: str | bytes, *, received_at: datetime) -> list[SourceEvent]:
        message = as_object(decode_json(raw), "message")
        if "method" in message:  # acknowledgement of subscribe or ping
            if message.get("success") is False:
                raise MalformedPayload(f"KRAKEN refused a request: {excerpt(message)}")
            return []
        channel = text(message, "channel")
        if channel in _NO_EVENTS:
            return []
        rows = [as_object(row, channel) for row in list_member(message, "data")]
        if channel == "trade":
            return [self._trade(row, received_at) for row in rows]
        if channel == "ticker":
            return [self._quote(row, received_at) for row in rows]
        if channel == "book":
            # Updates change a book we do not keep; snapshots are complete on their own.
            if text(message, "type") != "snapshot":
                return []
            return [self._stream_book(row, received_at) for row in rows]
        raise MalformedPayload(f"KRAKEN: unexpected channel {excerpt(channel)}")

    def _trade(self, row: JsonObject, received_at: datetime) -> SourceTrade:
        return SourceTrade(
            source=self.name,
            asset=self.asset_of(member(row, "symbol")),
            price=number_price(row, "price"),
            size=number_size(row, "qty"),
            venue_time=rfc3339_time(member(row, "timestamp"), "trade timestamp"),
            received_at=received_at,
            trade_id=identifier(row, "trade_id"),
        )

    def _quote(self, row: JsonObject, received_at: datetime) -> SourceQuote:
        # Older ticker messages carry no timestamp; receipt time stands in then.
        timestamp = row.get("timestamp")
        return checked_quote(
            source=self.name,
            asset=self.asset_of(member(row, "symbol")),
            bid=BookLevel(number_price(row, "bid"), number_size(row, "bid_qty")),
            ask=BookLevel(number_price(row, "ask"), number_size(row, "ask_qty")),
            venue_time=(
                received_at if timestamp is None else rfc3339_time(timestamp, "ticker time")
            ),
            received_at=received_at,
        )

    def _stream_book(self, row: JsonObject, received_at: datetime) -> SourceBook:
        def levels(side: str) -> list[BookLevel]:
            entries = [as_object(entry, side) for entry in list_member(row, side)]
            return [
                BookLevel(number_price(entry, "price"), number_size(entry, "qty"))
                for entry in entries
            ]

        return checked_book(
            source=self.name,
            asset=self.asset_of(member(row, "symbol")),
            bids=levels("bids"),
            asks=levels("asks"),
            venue_time=rfc3339_time(member(row, "timestamp"), "book timestamp"),
            received_at=received_at,
        )

    def is_throttled(self, status_code: int, body: bytes) -> bool:
        if status_code == HTTP_TOO_MANY_REQUESTS:
            return True
        return any(error in body for error in RATE_LIMIT_ERRORS)

    def _rest_pair(self, asset: str) -> str:
        try:
            return self.rest_pairs[asset]
        except KeyError:
            raise ValueError(f"KRAKEN has no REST pair for asset {asset!r}") from None

    def _result(self, asset: str, body: str | bytes) -> object:
        """The `result` entry for `asset`'s pair; Kraken lists failures in `error`."""
        answer = as_object(decode_json(body), "answer")
        errors = list_member(answer, "error")
        if errors:
            raise MalformedPayload(f"KRAKEN error: {excerpt(errors)}")
        result = object_member(answer, "result")
        pair = self._rest_pair(asset)
        if pair not in result:
            raise MalformedPayload(f"KRAKEN: no result for pair {pair}")
        return result[pair]

    def quote_request(self, asset: str) -> RestRequest:
        return RestRequest("/0/public/Ticker", {"pair": self._rest_pair(asset)})

    def parse_rest_quote(
        self, asset: str, body: str | bytes, *, received_at: datetime
    ) -> SourceQuote:
        ticker = as_object(self._result(asset, body), "ticker")
        # The REST ticker carries no time: receipt time stands in.
        return checked_quote(
            source=self.name,
            asset=asset,
            bid=_ticker_level(ticker, "b"),
            ask=_ticker_level(ticker, "a"),
            venue_time=received_at,
            received_at=received_at,
        )

    def book_request(self, asset: str) -> RestRequest:
        params = {"pair": self._rest_pair(asset), "count": str(BOOK_DEPTH)}
        return RestRequest("/0/public/Depth", params)

    def parse_rest_book(
        self, asset: str, body: str | bytes, *, received_at: datetime
    ) -> SourceBook:
        depth = as_object(self._result(asset, body), "depth")
        # Each level carries its own last-change time; none is the book's time.
        return checked_book(
            source=self.name,
            asset=asset,
            bids=text_levels(member(depth, "bids"), "bids"),
            asks=text_levels(member(depth, "asks"), "asks"),
            venue_time=received_at,
            received_at=received_at,
        )

    def trades_request(self, asset: str) -> RestRequest:
        params = {"pair": self._rest_pair(asset), "count": str(RECENT_TRADES_LIMIT)}
        return RestRequest("/0/public/Trades", params)

    def parse_rest_trades(
        self, asset: str, body: str | bytes, *, received_at: datetime
    ) -> list[SourceTrade]:
        trades = []
        for row in as_list(self._result(asset, body), "trades"):
            entry = as_list(row, "trade")
            if len(entry) < _TRADE_ROW_LENGTH:
                raise MalformedPayload(f"KRAKEN: trade row has {len(entry)} fields")
            price, volume, time, *_, trade_id = entry[:_TRADE_ROW_LENGTH]
            trades.append(
                SourceTrade(
                    source=self.name,
                    asset=asset,
                    price=parse_price(decimal_text(price, "trade price")),
                    size=parse_size(decimal_text(volume, "trade volume")),
                    venue_time=seconds_time(time, "trade time"),
                    received_at=received_at,
                    trade_id=identifier_value(trade_id, "trade id"),
                )
            )
        return trades


def _ticker_level(ticker: JsonObject, side: str) -> BookLevel:
    entry = list_member(ticker, side)
    if len(entry) <= _TICKER_LOT_VOLUME:
        raise MalformedPayload(f"KRAKEN: ticker {side} has {len(entry)} fields")
    return BookLevel(
        parse_price(decimal_text(entry[_TICKER_PRICE], f"ticker {side} price")),
        parse_size(decimal_text(entry[_TICKER_LOT_VOLUME], f"ticker {side} volume")),
    )
