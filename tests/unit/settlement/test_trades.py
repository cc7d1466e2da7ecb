"""The canonical leaf encoding: byte for byte as docs/settlement.md states it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.matching import Side
from engine.settlement.trades import (
    LeafFormatError,
    SettledTrade,
    decode_trade,
    encode_trade,
    epoch_milliseconds,
    trades_from_fills,
)
from engine.trading.events import OrderFill
from tests.unit.settlement.helpers import trade, trades


def test_the_documented_example_encodes_byte_for_byte() -> None:
    # The worked example of docs/settlement.md.
    data = encode_trade(
        trade(
            "t-42",
            symbol="BTC-PERP",
            price=650_000_000_000_000,
            size=100_000_000,
            buyer="alice",
            seller="bob",
            buyer_fee=32_500,
            seller_fee=-6_500,
            executed_at_ms=1_767_225_600_000,
        ),
        "b-0000000007",
    )
    assert data.hex() == (
        "01"
        "000c" + b"b-0000000007".hex() + "0004" + b"t-42".hex() + "0008" + b"BTC-PERP".hex()
        + "0005" + b"alice".hex() + "0003" + b"bob".hex()
        + "00024f2beb1aa000"  # price 650_000_000_000_000
        + "0000000005f5e100"  # size 100_000_000
        + "0000000000007ef4"  # buyer fee 32_500
        + "ffffffffffffe69c"  # seller fee -6_500, two's complement
        + "0000019b76daa800"  # 2026-01-01T00:00:00Z in ms
    )  # fmt: skip


@given(trades(), st.text(max_size=40))
def test_decoding_gives_back_what_was_encoded(original: SettledTrade, batch_id: str) -> None:
    assert decode_trade(encode_trade(original, batch_id)) == (batch_id, original)


def test_a_different_field_or_batch_changes_the_leaf() -> None:
    base = encode_trade(trade(), "b-1")
    assert encode_trade(trade(), "b-2") != base
    assert encode_trade(trade(buyer="bob", seller="alice"), "b-1") != base
    assert encode_trade(trade(seller_fee=-6_501), "b-1") != base


def test_malformed_leaves_are_refused() -> None:
    data = encode_trade(trade(), "b-1")
    with pytest.raises(LeafFormatError):
        decode_trade(b"\x02" + data[1:])
    with pytest.raises(LeafFormatError):
        decode_trade(data[:-1])
    with pytest.raises(LeafFormatError):
        decode_trade(data + b"\x00")


def test_fills_pair_into_trades_buyer_and_seller() -> None:
    at = datetime(2026, 1, 1, 0, 0, 1, 250_999, tzinfo=UTC)

    def fill(account: str, side: Side, fee: int, trade_id: str = "t-1") -> OrderFill:
        return OrderFill(
            account, "BTC-PERP", f"o-{account}", trade_id, side, 7, 3, fee, "TAKER", 0, at
        )

    fills = [
        fill("bob", Side.SELL, -1),
        fill("alice", Side.BUY, 5),
        fill("carol", Side.BUY, 2, trade_id="t-2"),  # other side not seen: left out
    ]
    [settled] = trades_from_fills(fills)
    assert settled == trade(
        "t-1",
        price=7,
        size=3,
        buyer="alice",
        seller="bob",
        buyer_fee=5,
        seller_fee=-1,
        executed_at_ms=epoch_milliseconds(at),
    )
    assert settled.executed_at_ms == 1_767_225_601_250
