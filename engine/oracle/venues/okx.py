"""OKX v5 spot: `trades` and `bbo-tbt` WebSocket channels, REST market ticker, books and
trades (https://www.okx.com/docs-v5/en/#order-book-trading-market-data)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from engine.oracle.model import (
    BookLevel,
    MalformedPayload,
    SourceBook,
    SourceEvent,
    SourceName,
    SourceQuote,
    SourceTrade,
)
from engine.oracle.venues.base import (
    BOOK_DEPTH,
    RECENT_TRADES_LIMIT,
    JsonObject,
    RestRequest,
    VenueAdapter,
    as_object,
    checked_book,
    checked_quote,
    decode_json,
    excerpt,
    identifier,
    list_member,
    member,
    millis_time,
    object_member,
    only_element,
    text,
    text_levels,
    text_price,
    text_size,
)

# OKX answers its text keepalive "ping" with a bare "pong", which is not JSON.
PING = "ping"
PONG = "pong"
# Events that confirm a request or announce maintenance; none carries market data.
_NO_EVENTS = frozenset({"subscribe", "unsubscribe", "notice", "channel-conn-count"})
OK_CODE = "0"


class OkxAdapter(VenueAdapter):
    name = SourceName.OKX
    default_symbols = {"BTC": "BTC-USDT", "ETH": "ETH-USDT", "SOL": "SOL-USDT"}
    default_stream_url = "wss://ws.okx.com:8443/ws/v5/public"
    default_rest_base_url = "https://www.okx.com"
    # OKX closes a connection that is silent for 30 s.
    keepalive_message = PING

    def subscribe_messages(self, assets: Sequence[str]) -> list[str]:
        channels = [
            {"channel": channel, "instId": self.instrument(asset)}
            for asset in assets
            for channel in ("trades", "bbo-tbt")
        ]
        return [json.dumps({"op": "subscribe", "args": channels})]

    def parse_stream_message(self, raw: str | bytes, *, received_at: datetime) -> list[SourceEvent]:
        if raw in (PONG, PONG.encode()):
            return []
        message = as_object(decode_json(raw), "message")
        if "event" in message:
            event = text(message, "event")
            if event in _NO_EVENTS:
                return []
            raise MalformedPayload(f"OKX {excerpt(event)}: {excerpt(message.get('msg'))}")
        arg = object_member(message, "arg")
        channel = text(arg, "channel")
        rows = [as_object(row, channel) for row in list_member(message, "data")]
        if channel == "trades":
            return [self._trade(row, received_at) for row in rows]
        # Book and ticker rows of one push are all about the subscribed instrument.
        asset = self.asset_of(member(arg, "instId"))
        if channel == "bbo-tbt":
            return [self._bbo(asset, row, received_at) for row in rows]
        if channel == "tickers":
            return [self._ticker(asset, row, received_at) for row in rows]
        if channel == "books5":
            return [self._book(asset, row, received_at) for row in rows]
        raise MalformedPayload(f"OKX: unexpected channel {excerpt(channel)}")

    def _trade(self, row: JsonObject, received_at: datetime) -> SourceTrade:
        return SourceTrade(
            source=self.name,
            asset=self.asset_of(member(row, "instId")),
            price=text_price(row, "px"),
            size=text_size(row, "sz"),
            venue_time=millis_time(member(row, "ts"), "trade time"),
            received_at=received_at,
            trade_id=identifier(row, "tradeId"),
        )

    def _bbo(self, asset: str, row: JsonObject, received_at: datetime) -> SourceQuote:
        book = self._book(asset, row, received_at)
        return checked_quote(
            source=self.name,
            asset=asset,
            bid=book.bids[0],
            ask=book.asks[0],
            venue_time=book.venue_time,
            received_at=received_at,
        )

    def _ticker(self, asset: str, row: JsonObject, received_at: datetime) -> SourceQuote:
        return checked_quote(
            source=self.name,
            asset=asset,
            bid=BookLevel(text_price(row, "bidPx"), text_size(row, "bidSz")),
            ask=BookLevel(text_price(row, "askPx"), text_size(row, "askSz")),
            venue_time=millis_time(member(row, "ts"), "ticker time"),
            received_at=received_at,
        )

    def _book(self, asset: str, row: JsonObject, received_at: datetime) -> SourceBook:
        return checked_book(
            source=self.name,
            asset=asset,
            bids=text_levels(member(row, "bids"), "bids"),
            asks=text_levels(member(row, "asks"), "asks"),
            venue_time=millis_time(member(row, "ts"), "book time"),
            received_at=received_at,
        )

    def quote_request(self, asset: str) -> RestRequest:
        return RestRequest("/api/v5/market/ticker", {"instId": self.instrument(asset)})

    def parse_rest_quote(
        self, asset: str, body: str | bytes, *, received_at: datetime
    ) -> SourceQuote:
        ticker = only_element(_data(body), "ticker data")
        self.expect_instrument(asset, member(ticker, "instId"))
        return self._ticker(asset, ticker, received_at)

    def book_request(self, asset: str) -> RestRequest:
        params = {"instId": self.instrument(asset), "sz": str(BOOK_DEPTH)}
        return RestRequest("/api/v5/market/books", params)

    def parse_rest_book(
        self, asset: str, body: str | bytes, *, received_at: datetime
    ) -> SourceBook:
        # The books answer does not name its instrument: it is the one we asked for.
        return self._book(asset, only_element(_data(body), "books data"), received_at)

    def trades_request(self, asset: str) -> RestRequest:
        params = {"instId": self.instrument(asset), "limit": str(RECENT_TRADES_LIMIT)}
        return RestRequest("/api/v5/market/trades", params)

    def parse_rest_trades(
        self, asset: str, body: str | bytes, *, received_at: datetime
    ) -> list[SourceTrade]:
        trades = [self._trade(as_object(row, "trade"), received_at) for row in _data(body)]
        for trade in trades:
            if trade.asset != asset:
                raise MalformedPayload(f"OKX: asked for {asset}, got a {trade.asset} trade")
        return trades


def _data(body: str | bytes) -> list[object]:
    """The `data` array of a REST answer; OKX reports failures as a non-"0" code."""
    answer = as_object(decode_json(body), "answer")
    code = member(answer, "code")
    if code != OK_CODE:
        raise MalformedPayload(f"OKX error {excerpt(code)}: {excerpt(answer.get('msg'))}")
    return list_member(answer, "data")
