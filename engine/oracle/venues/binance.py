"""Binance spot: `<symbol>@trade` and `<symbol>@bookTicker` streams, REST book ticker,
depth and recent trades (https://developers.binance.com/docs/binance-spot-api-docs)."""

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
    HTTP_TOO_MANY_REQUESTS,
    RECENT_TRADES_LIMIT,
    JsonObject,
    RestRequest,
    VenueAdapter,
    as_list,
    as_object,
    checked_book,
    checked_quote,
    decode_json,
    excerpt,
    identifier,
    member,
    millis_time,
    object_member,
    text,
    text_levels,
    text_price,
    text_size,
)

# Binance answers 418 once a client has ignored its 429s: back off harder, don't stop.
HTTP_IP_BANNED = 418
SUBSCRIBE_REQUEST_ID = 1


class BinanceAdapter(VenueAdapter):
    name = SourceName.BINANCE
    default_symbols = {"BTC": "BTCUSDT", "ETH": "ETHUSDT", "SOL": "SOLUSDT", "EUR": "EURUSDT"}
    # The combined-stream endpoint wraps each payload with its stream name, which is the
    # only place a partial-depth payload names its symbol.
    default_stream_url = "wss://stream.binance.com:9443/stream"
    default_rest_base_url = "https://api.binance.com"

    def subscribe_messages(self, assets: Sequence[str]) -> list[str]:
        streams = [
            f"{self.instrument(asset).lower()}@{kind}"
            for asset in assets
            for kind in ("trade", "bookTicker")
        ]
        request = {"method": "SUBSCRIBE", "params": streams, "id": SUBSCRIBE_REQUEST_ID}
        return [json.dumps(request)]

    def parse_stream_message(self, raw: str | bytes, *, received_at: datetime) -> list[SourceEvent]:
        message = as_object(decode_json(raw), "message")
        if "id" in message:
            if message.get("error") is not None:
                raise MalformedPayload(f"BINANCE refused a request: {excerpt(message['error'])}")
            return []
        if "stream" not in message:  # the raw /ws endpoint: payload without a wrapper
            return [self._raw_payload(message, received_at)]
        symbol, _, kind = text(message, "stream").partition("@")
        data = object_member(message, "data")
        if kind == "trade":
            return [self._trade(data, received_at)]
        if kind == "bookTicker":
            return [self._quote(data, received_at)]
        if kind.startswith("depth"):
            asset = self.asset_of(symbol.upper())
            return [self._book(asset, data, venue_time=received_at, received_at=received_at)]
        raise MalformedPayload(f"BINANCE: unexpected stream {excerpt(kind)}")

    def _raw_payload(self, data: JsonObject, received_at: datetime) -> SourceEvent:
        if data.get("e") == "trade":
            return self._trade(data, received_at)
        if "u" in data and "b" in data:
            return self._quote(data, received_at)
        raise MalformedPayload("BINANCE: neither a trade nor a book ticker")

    def _trade(self, data: JsonObject, received_at: datetime) -> SourceTrade:
        if text(data, "e") != "trade":
            raise MalformedPayload("BINANCE: trade stream payload is not a trade event")
        return SourceTrade(
            source=self.name,
            asset=self.asset_of(member(data, "s")),
            price=text_price(data, "p"),
            size=text_size(data, "q"),
            venue_time=millis_time(member(data, "T"), "trade time"),
            received_at=received_at,
            trade_id=identifier(data, "t"),
        )

    def _quote(self, data: JsonObject, received_at: datetime) -> SourceQuote:
        # The spot book ticker carries no time: the moment we received it stands in.
        return checked_quote(
            source=self.name,
            asset=self.asset_of(member(data, "s")),
            bid=BookLevel(text_price(data, "b"), text_size(data, "B")),
            ask=BookLevel(text_price(data, "a"), text_size(data, "A")),
            venue_time=received_at,
            received_at=received_at,
        )

    def _book(
        self, asset: str, data: JsonObject, *, venue_time: datetime, received_at: datetime
    ) -> SourceBook:
        return checked_book(
            source=self.name,
            asset=asset,
            bids=text_levels(member(data, "bids"), "bids"),
            asks=text_levels(member(data, "asks"), "asks"),
            venue_time=venue_time,
            received_at=received_at,
        )

    def is_throttled(self, status_code: int, body: bytes) -> bool:
        return status_code in (HTTP_TOO_MANY_REQUESTS, HTTP_IP_BANNED)

    def quote_request(self, asset: str) -> RestRequest:
        return RestRequest("/api/v3/ticker/bookTicker", {"symbol": self.instrument(asset)})

    def parse_rest_quote(
        self, asset: str, body: str | bytes, *, received_at: datetime
    ) -> SourceQuote:
        data = _answer(body, "book ticker")
        self.expect_instrument(asset, member(data, "symbol"))
        return checked_quote(
            source=self.name,
            asset=asset,
            bid=BookLevel(text_price(data, "bidPrice"), text_size(data, "bidQty")),
            ask=BookLevel(text_price(data, "askPrice"), text_size(data, "askQty")),
            venue_time=received_at,
            received_at=received_at,
        )

    def book_request(self, asset: str) -> RestRequest:
        params = {"symbol": self.instrument(asset), "limit": str(BOOK_DEPTH)}
        return RestRequest("/api/v3/depth", params)

    def parse_rest_book(
        self, asset: str, body: str | bytes, *, received_at: datetime
    ) -> SourceBook:
        data = _answer(body, "depth")
        return self._book(asset, data, venue_time=received_at, received_at=received_at)

    def trades_request(self, asset: str) -> RestRequest:
        params = {"symbol": self.instrument(asset), "limit": str(RECENT_TRADES_LIMIT)}
        return RestRequest("/api/v3/trades", params)

    def parse_rest_trades(
        self, asset: str, body: str | bytes, *, received_at: datetime
    ) -> list[SourceTrade]:
        trades = []
        for row in as_list(decode_json(body), "trades"):
            trade = as_object(row, "trade")
            trades.append(
                SourceTrade(
                    source=self.name,
                    asset=asset,
                    price=text_price(trade, "price"),
                    size=text_size(trade, "qty"),
                    venue_time=millis_time(member(trade, "time"), "trade time"),
                    received_at=received_at,
                    trade_id=identifier(trade, "id"),
                )
            )
        return trades


def _answer(body: str | bytes, what: str) -> JsonObject:
    """A REST object; Binance reports failures as {"code": ..., "msg": ...}."""
    data = as_object(decode_json(body), what)
    if "code" in data and "msg" in data:
        raise MalformedPayload(f"BINANCE error {excerpt(data['code'])}: {excerpt(data['msg'])}")
    return data
