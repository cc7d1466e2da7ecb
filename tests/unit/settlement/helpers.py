"""Trades for settlement tests."""

from __future__ import annotations

from hypothesis import strategies as st

from engine.settlement.trades import SettledTrade


def trade(
    trade_id: str = "t-1",
    *,
    symbol: str = "BTC-PERP",
    price: int = 65_000 * 10**10,
    size: int = 10**8,
    buyer: str = "alice",
    seller: str = "bob",
    buyer_fee: int = 32_500,
    seller_fee: int = -6_500,
    executed_at_ms: int = 1_767_225_600_000,
) -> SettledTrade:
    return SettledTrade(
        trade_id, symbol, price, size, buyer, seller, buyer_fee, seller_fee, executed_at_ms
    )


accounts = st.sampled_from(["alice", "bob", "carol", "dave", "venue-mm"])
symbols = st.sampled_from(["BTC-PERP", "ETH-PERP", "SOL-PERP"])


@st.composite
def trades(draw: st.DrawFn, trade_id: str | None = None) -> SettledTrade:
    return SettledTrade(
        trade_id=trade_id or draw(st.text(min_size=1, max_size=20)),
        symbol=draw(symbols),
        price=draw(st.integers(1, 10**15)),
        size=draw(st.integers(1, 10**12)),
        buyer=draw(accounts),
        seller=draw(accounts),
        buyer_fee=draw(st.integers(-(10**9), 10**12)),
        seller_fee=draw(st.integers(-(10**9), 10**12)),
        executed_at_ms=draw(st.integers(0, 2**63 - 1)),
    )


trade_lists = st.lists(trades(), max_size=60).map(
    lambda items: [
        SettledTrade(
            f"t-{i}",
            t.symbol,
            t.price,
            t.size,
            t.buyer,
            t.seller,
            t.buyer_fee,
            t.seller_fee,
            t.executed_at_ms,
        )
        for i, t in enumerate(items)
    ]
)
