"""What the Advanced ticket sends by default (NBBO protection on) fills against the demo's
simulated makers, order after order, while the reference keeps moving."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx

from tests.api.test_trading import place

PROTECTED = {
    "symbol": "BTC-USDT-PERP",
    "type": "MARKET",
    "size": "0.01",
    "leverage": 10,
    "timeInForce": "IOC",
    "nbboProtection": True,
}


async def test_protected_market_orders_fill_one_after_another(
    client: httpx.AsyncClient,
) -> None:
    # The makers quote within a second or two of start.
    for _ in range(50):
        first = await place(client, side="BUY", **PROTECTED)
        if first["__typename"] == "OrderPlaced" and first["fills"]:
            break
        await asyncio.sleep(0.2)
    else:
        raise AssertionError(f"the makers never quoted: {first}")

    # From then on every protected order fills in full, whatever the reference did between.
    for index in range(6):
        await asyncio.sleep(0.3)  # the simulated reference moves several times meanwhile
        result = await place(client, side="SELL" if index % 2 == 0 else "BUY", **PROTECTED)
        assert result["__typename"] == "OrderPlaced", result
        assert result["order"]["status"] == "FILLED", result
        assert sum(Decimal(fill["size"]) for fill in result["fills"]) == Decimal("0.01")
