"""Coinbase Exchange: `matches` and `ticker` WebSocket channels, REST product book and
trades (https://docs.cdp.coinbase.com/exchange/websocket-feed/channels)."""

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
    rfc3339_time,
    text,
    text_levels,
    text_price,
    text_size,
)

# Messages that only say the feed is alive or confirm what we asked for.
# `last_match` repeats, on every (re)subscription, a trade the index may already hold;
# `l2update` changes a book we do not keep (books come from REST snapshots).
_NO_EVENTS = frozenset({"subscriptions", "heartbeat", "status", "last_match", "l2update"})
# Product book aggregation levels of GET /products/{id}/book.
BEST_BID_AND_OFFER = "1"
TOP_FIFTY_LEVELS = "2"


class CoinbaseAdapter(VenueAdapter):
    name = SourceName.COINBASE
    default_symbols = {"BTC": "BTC-USD", "ETH": "ETH-USD", "SOL": "SOL-USD"}
    default_stream_url = "wss://ws-feed.exchange.coinbase.com"
    default_rest_base_url = "https://api.exchange.coinbase.com"

    def subscribe_messages(self, assets: Sequence[str]) -> list[str]:
        request = {
            "type": "subscribe",
            "product_ids": [self.instrument(asset) for asset in assets],
            # Heartbeats keep a quiet product's connection open and prove the feed alive.
            "channels": ["matches", "ticker", "heartbeat"],
        }
        return [json.dumps(request)]

    def parse_stream_message(self, raw: str | bytes, *, received_at: datetime) -> list[SourceEvent]:
        message = as_object(decode_json(raw), "message")
        kind = text(message, "type")
        if kind in _NO_EVENTS:
            return []
        if kind == "match":
            return [self._trade(message, received_at)]
        if kind == "ticker":
            return [self._quote(message, received_at)]
        if kind == "snapshot":
            asset = self.asset_of(member(message, "product_id"))
            return [self._book(asset, message, received_at)]
        if kind == "error":
            raise MalformedPayload(f"COINBASE error: {excerpt(message.get('message'))}")
        raise MalformedPayload(f"COINBASE: unexpected message type {excerpt(kind)}")

    def _trade(self, data: JsonObject, received_at: datetime) -> SourceTrade:
        return SourceTrade(
            source=self.name,
            asset=self.asset_of(member(data, "product_id")),
            price=text_price(data, "price"),
            size=text_size(data, "size"),
            venue_time=rfc3339_time(member(data, "time"), "match time"),
            received_at=received_at,
            trade_id=identifier(data, "trade_id"),
        )

    def _quote(self, data: JsonObject, received_at: datetime) -> SourceQuote:
        return checked_quote(
            source=self.name,
            asset=self.asset_of(member(data, "product_id")),
            bid=BookLevel(text_price(data, "best_bid"), text_size(data, "best_bid_size")),
            ask=BookLevel(text_price(data, "best_ask"), text_size(data, "best_ask_size")),
            venue_time=rfc3339_time(member(data, "time"), "ticker time"),
            received_at=received_at,
        )

    def _book(self, asset: str, data: JsonObject, received_at: datetime) -> SourceBook:
        # Level 2 snapshots may omit the time; when they do, receipt time stands in.
        time = data.get("time")
        return checked_book(
            source=self.name,
            asset=asset,
            bids=text_levels(member(data, "bids"), "bids"),
            asks=text_levels(member(data, "asks"), "asks"),
            venue_time=received_at if time is None else rfc3339_time(time, "book time"),
            received_at=received_at,
        )

    # The REST ticker has no bid and ask sizes, so the quote is the level-1 book.
    def quote_request(self, asset: str) -> RestRequest:
        path = f"/products/{self.instrument(asset)}/book"
        return RestRequest(path, {"level": BEST_BID_AND_OFFER})

    def parse_rest_quote(
        self, asset: str, body: str | bytes, *, received_at: datetime
    ) -> SourceQuote:
        book = self.parse_rest_book(asset, body, received_at=received_at)
        return checked_quote(
            source=self.name,
            asset=asset,
            bid=book.bids[0],
            ask=book.asks[0],
            venue_time=book.venue_time,
            received_at=received_at,
        )

    def book_request(self, asset: str) -> RestRequest:
        path = f"/products/{self.instrument(asset)}/book"
        return RestRequest(path, {"level": TOP_FIFTY_LEVELS})

    def parse_rest_book(
        self, asset: str, body: str | bytes, *, received_at: datetime
    ) -> SourceBook:
        return self._book(asset, _answer(body, "book"), received_at)

    def trades_request(self, asset: str) -> RestRequest:
        path = f"/products/{self.instrument(asset)}/trades"
        return RestRequest(path, {"limit": str(RECENT_TRADES_LIMIT)})

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
                    size=text_size(trade, "size"),
                    venue_time=rfc3339_time(member(trade, "time"), "trade time"),
                    received_at=received_at,
                    trade_id=identifier(trade, "trade_id"),
                )
            )
        return trades


def _answer(body: str | bytes, what: str) -> JsonObject:
    """A REST object; Coinbase reports failures as {"message": ...} alone."""
    data = as_object(decode_json(body), what)
    if set(data) == {"message"}:
        raise MalformedPayload(f"COINBASE error: {excerpt(data['message'])}")
    return data
