"""A settled trade and its canonical byte encoding: the data of one Merkle leaf.

The encoding is fixed so that anyone — the browser verifying a proof included — can
rebuild a leaf from the trade's public fields; docs/settlement.md gives it byte for byte.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from engine.matching import Side
from engine.trading.events import OrderFill

# Bumped if the layout below ever changes; a verifier refuses versions it does not know.
ENCODING_VERSION = 1
_U16 = struct.Struct(">H")
# price, size, buyer fee, seller fee, executed-at: fixed-width big-endian.
_AMOUNTS = struct.Struct(">QQqqQ")


@dataclass(frozen=True, slots=True)
class SettledTrade:
    """One trade between two accounts, as settlement sees it.

    Prices and sizes are the integer units the fills carry (prices 1e-10 USDT, sizes 1e-8
    of the base asset); fees are micro-USDT, negative for a maker rebate.
    """

    trade_id: str
    symbol: str
    price: int
    size: int
    buyer: str
    seller: str
    buyer_fee: int
    seller_fee: int
    executed_at_ms: int


def epoch_milliseconds(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def _text(value: str) -> bytes:
    raw = value.encode("utf-8")
    return _U16.pack(len(raw)) + raw


def encode_trade(trade: SettledTrade, batch_id: str) -> bytes:
    """The leaf data of `trade` in batch `batch_id` (layout: docs/settlement.md)."""
    return b"".join(
        (
            bytes((ENCODING_VERSION,)),
            _text(batch_id),
            _text(trade.trade_id),
            _text(trade.symbol),
            _text(trade.buyer),
            _text(trade.seller),
            _AMOUNTS.pack(
                trade.price,
                trade.size,
                trade.buyer_fee,
                trade.seller_fee,
                trade.executed_at_ms,
            ),
        )
    )


class LeafFormatError(ValueError):
    pass


def decode_trade(data: bytes) -> tuple[str, SettledTrade]:
    """(batch id, trade) from leaf data: how a stored batch is rebuilt after a restart."""
    if not data or data[0] != ENCODING_VERSION:
        raise LeafFormatError("unknown leaf encoding version")
    offset = 1
    texts: list[str] = []
    for _ in range(5):
        if offset + 2 > len(data):
            raise LeafFormatError("truncated leaf")
        (length,) = _U16.unpack_from(data, offset)
        offset += 2
        if offset + length > len(data):
            raise LeafFormatError("truncated leaf")
        texts.append(data[offset : offset + length].decode("utf-8"))
        offset += length
    if len(data) - offset != _AMOUNTS.size:
        raise LeafFormatError("leaf has the wrong length")
    price, size, buyer_fee, seller_fee, executed_at_ms = _AMOUNTS.unpack_from(data, offset)
    batch_id, trade_id, symbol, buyer, seller = texts
    trade = SettledTrade(
        trade_id, symbol, price, size, buyer, seller, buyer_fee, seller_fee, executed_at_ms
    )
    return batch_id, trade


def trades_from_fills(fills: Iterable[OrderFill]) -> list[SettledTrade]:
    """Pairs the buyer's and the seller's fill of each trade, in the order trades appear.

    A trade whose other side has not been seen yet is left out: both fills of a trade are
    published by the same command, so callers pass a command's whole outcome at once.
    """
    buys: dict[str, OrderFill] = {}
    sells: dict[str, OrderFill] = {}
    order: list[str] = []
    for fill in fills:
        if fill.trade_id not in buys and fill.trade_id not in sells:
            order.append(fill.trade_id)
        (buys if fill.side is Side.BUY else sells)[fill.trade_id] = fill
    trades: list[SettledTrade] = []
    for trade_id in order:
        buy, sell = buys.get(trade_id), sells.get(trade_id)
        if buy is None or sell is None:
            continue
        trades.append(
            SettledTrade(
                trade_id=trade_id,
                symbol=buy.symbol,
                price=buy.price,
                size=buy.size,
                buyer=buy.account,
                seller=sell.account,
                buyer_fee=buy.fee,
                seller_fee=sell.fee,
                executed_at_ms=epoch_milliseconds(buy.at),
            )
        )
    return trades
