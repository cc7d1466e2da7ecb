"""Bybit v5 spot: `publicTrade.{symbol}` and `orderbook.1.{symbol}` topics, REST tickers,
orderbook and recent trades (https://bybit-exchange.github.io/docs/v5/websocket/public/trade)."""

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

CATEGORY = "spot"
# Bybit spot accepts at most ten topics in one subscribe request.
MAX_TOPICS_PER_SUBSCRIBE = 10
# Bybit answers an IP over its REST limit with 403 ("access too frequently").
HTTP_FORBIDDEN = 403
# Most trades GET /v5/market/recent-trade returns for spot.
SPOT_RECENT_TRADES_LIMIT = 60
# The depth of `orderbook.{depth}.{symbol}` that is a best bid and offer.
TOP_OF_BOOK_DEPTH = "1"


class BybitAdapter(VenueAdapter):
    name = SourceName.BYBIT
    default_symbols = {"BTC": "BTCUSDT", "ETH": "ETHUSDT", "SOL": "SOLUSDT"}
    default_stream_url = "wss://stream.bybit.com/v5/public/spot"
    default_rest_base_url = "https://api.bybit.com"
    # Bybit drops a connection that sends no {"op": "ping"} for too long; 20 s is its advice.
    keepalive_message = json.dumps({"op": "ping"})

    def subscribe_messages(self, assets: Sequence[str]) -> list[str]:
        topics = [
            topic
            for asset in assets
            for topic in (
                f"publicTrade.{self.instrument(asset)}",
                f"orderbook.{TOP_OF_BOOK_DEPTH}.{self.instrument(asset)}",
            )
        ]
        return [
            json.dumps(
                {"op": "subscribe", "args": topics[start : start + MAX_TOPICS_PER_SUBSCRIBE]}
            )
            for start in range(0, len(topics), MAX_TOPICS_PER_SUBSCRIBE)
        ]

    def parse_stream_message(self, raw: str | bytes, *, received_at: datetime) -> list[SourceEvent]:
        message = as_object(decode_json(raw), "message")
        if "op" in message:  # acknowledgement of subscribe, or pong
            if message.get("success") is False:
                raise MalformedPayload(f"BYBIT refused a request: {excerpt(message)}")
            return []
        topic = text(message, "topic")
        if topic.startswith("publicTrade."):
            rows = [as_object(row, "trade") for row in list_member(message, "data")]
            # Block trades are negotiated off the book: they are not lit prices.
            return [self._trade(row, received_at) for row in rows if row.get("BT") is not True]
        if topic.startswith("orderbook."):
            return self._orderbook(topic, message, received_at)
        raise MalformedPayload(f"BYBIT: unexpected topic {excerpt(topic)}")

    def _trade(self, row: JsonObject, received_at: datetime) -> SourceTrade:
        return SourceTrade(
            source=self.name,
            asset=self.asset_of(member(row, "s")),
            price=text_price(row, "p"),
            size=text_size(row, "v"),
            venue_time=millis_time(member(row, "T"), "trade time"),
            received_at=received_at,
            trade_id=identifier(row, "i"),
        )

    def _orderbook(
        self, topic: str, message: JsonObject, received_at: datetime
    ) -> list[SourceEvent]:
        # Deltas change a book we do not keep; level 1 is always sent as a snapshot.
        if text(message, "type") != "snapshot":
            return []
        data = object_member(message, "data")
        asset = self.asset_of(member(data, "s"))
        venue_time = _engine_time(message)
        bids = text_levels(member(data, "b"), "bids")
        asks = text_levels(member(data, "a"), "asks")
        if topic.split(".")[1] != TOP_OF_BOOK_DEPTH:
            return [self._book(asset, bids, asks, venue_time, received_at)]
        if not bids or not asks:
            raise MalformedPayload("BYBIT: top of book has an empty side")
        quote = checked_quote(
            source=self.name,
            asset=asset,
            bid=bids[0],
            ask=asks[0],
            venue_time=venue_time,
            received_at=received_at,
        )
        return [quote]

    def _book(
        self,
        asset: str,
        bids: list[BookLevel],
        asks: list[BookLevel],
        venue_time: datetime,
        received_at: datetime,
    ) -> SourceBook:
        return checked_book(
            source=self.name,
            asset=asset,
            bids=bids,
            asks=asks,
            venue_time=venue_time,
            received_at=received_at,
        )

    def is_throttled(self, status_code: int, body: bytes) -> bool:
        return status_code in (HTTP_TOO_MANY_REQUESTS, HTTP_FORBIDDEN)

    def quote_request(self, asset: str) -> RestRequest:
        params = {"category": CATEGORY, "symbol": self.instrument(asset)}
        return RestRequest("/v5/market/tickers", params)

    def parse_rest_quote(
        self, asset: str, body: str | bytes, *, received_at: datetime
    ) -> SourceQuote:
        answer, result = _answer(body)
        ticker = only_element(member(result, "list"), "tickers")
        self.expect_instrument(asset, member(ticker, "symbol"))
        return checked_quote(
            source=self.name,
            asset=asset,
            bid=BookLevel(text_price(ticker, "bid1Price"), text_size(ticker, "bid1Size")),
            ask=BookLevel(text_price(ticker, "ask1Price"), text_size(ticker, "ask1Size")),
            venue_time=millis_time(member(answer, "time"), "answer time"),
            received_at=received_at,
        )

    def book_request(self, asset: str) -> RestRequest:
        params = {"category": CATEGORY, "symbol": self.instrument(asset), "limit": str(BOOK_DEPTH)}
        return RestRequest("/v5/market/orderbook", params)

    def parse_rest_book(
        self, asset: str, body: str | bytes, *, received_at: datetime
    ) -> SourceBook:
        _, book = _answer(body)
        self.expect_instrument(asset, member(book, "s"))
        return self._book(
            asset,
            text_levels(member(book, "b"), "bids"),
            text_levels(member(book, "a"), "asks"),
            _engine_time(book),
            received_at,
        )

    def trades_request(self, asset: str) -> RestRequest:
        params = {
            "category": CATEGORY,
            "symbol": self.instrument(asset),
            "limit": str(SPOT_RECENT_TRADES_LIMIT),
        }
        return RestRequest("/v5/market/recent-trade", params)

    def parse_rest_trades(
        self, asset: str, body: str | bytes, *, received_at: datetime
    ) -> list[SourceTrade]:
        _, result = _answer(body)
        trades = []
        for row in list_member(result, "list"):
            trade = as_object(row, "trade")
            self.expect_instrument(asset, member(trade, "symbol"))
            if trade.get("isBlockTrade") is True:
                continue
            trades.append(
                SourceTrade(
                    source=self.name,
                    asset=asset,
                    price=text_price(trade, "price"),
                    size=text_size(trade, "size"),
                    venue_time=millis_time(member(trade, "time"), "trade time"),
                    received_at=received_at,
                    trade_id=identifier(trade, "execId"),
                )
            )
        return trades


def _engine_time(book: JsonObject) -> datetime:
    """When the matching engine produced a book (`cts`), else when it was published (`ts`)."""
    return millis_time(book.get("cts", book.get("ts")), "book time")


def _answer(body: str | bytes) -> tuple[JsonObject, JsonObject]:
    """The envelope and its `result`; Bybit reports failures as a non-zero retCode."""
    answer = as_object(decode_json(body), "answer")
    code = member(answer, "retCode")
    if code != 0 or isinstance(code, bool):
        raise MalformedPayload(f"BYBIT error {excerpt(code)}: {excerpt(answer.get('retMsg'))}")
    return answer, object_member(answer, "result")
