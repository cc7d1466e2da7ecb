"""Trading through GraphQL as a signed-in demo account: open with leverage, see it, close it."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx

from tests.api.test_graphql_http import gql

PLACE = """
mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    __typename
    ... on UserError { code message }
    ... on OrderPlaced { order { id status side size filled remaining price reason }
                         fills { price size fee liquidity } }
  }
}
"""
POSITIONS = """{ myPositions { symbol side size entryPrice markPrice margin leverage
  unrealizedPnl marginRatio liquidationPrice } }"""


async def place(client: httpx.AsyncClient, **order: Any) -> dict[str, Any]:
    body = await gql(client, PLACE, input=order)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["placeOrder"]
    return result


async def market_order_until_filled(client: httpx.AsyncClient, **order: Any) -> dict[str, Any]:
    """The simulated makers quote within a second or two of start; retry until they do."""
    for _ in range(50):
        result = await place(client, type="MARKET", **order)
        if result["__typename"] == "OrderPlaced" and result["fills"]:
            return result
        await asyncio.sleep(0.2)
    raise AssertionError(f"no fill: {result}")


async def test_a_newcomer_opens_a_100x_long_sees_it_and_closes_it(
    client: httpx.AsyncClient,
) -> None:
    opened = await market_order_until_filled(
        client, symbol="BTC-USDT-PERP", side="BUY", size="0.01", leverage=100
    )
    assert opened["order"]["status"] == "FILLED"
    assert opened["fills"][0]["liquidity"] == "TAKER"
    assert float(opened["fills"][0]["fee"]) > 0

    [position] = (await gql(client, POSITIONS))["data"]["myPositions"]
    assert position["side"] == "LONG" and Decimal(position["size"]) == Decimal("0.01")
    assert position["leverage"] == 100
    entry = float(position["entryPrice"])
    # 1 % initial margin at 100x, and liquidation a little under 1 % below entry.
    assert abs(float(position["margin"]) - entry * 0.01 / 100) < 0.01
    assert entry * 0.985 < float(position["liquidationPrice"]) < entry
    assert float(position["marginRatio"]) > 0.5

    closed = await gql(
        client,
        """mutation { closePosition(symbol: "BTC-USDT-PERP") { __typename
          ... on UserError { code message }
          ... on PositionUpdated { position { size } fills { size realizedPnl } } } }""",
    )
    result = closed["data"]["closePosition"]
    assert result["__typename"] == "PositionUpdated", result
    assert result["position"] is None
    assert Decimal(result["fills"][0]["size"]) == Decimal("0.01")
    assert (await gql(client, POSITIONS))["data"]["myPositions"] == []

    tape = await gql(client, '{ trades(symbol: "BTC-USDT-PERP", limit: 5) { price size } }')
    assert len(tape["data"]["trades"]) >= 2
    history = await gql(
        client,
        """{ myTrades(symbol: "BTC-USDT-PERP") { side size liquidity }
             myOrders(status: CLOSED) { side status } }""",
    )
    assert [t["side"] for t in history["data"]["myTrades"][:2]] == ["SELL", "BUY"]
    assert {"side": "BUY", "status": "FILLED"} in history["data"]["myOrders"]


async def test_a_resting_limit_order_can_be_listed_and_cancelled(
    client: httpx.AsyncClient,
) -> None:
    await market_order_until_filled(
        client, symbol="ETH-USDT-PERP", side="BUY", size="0.01", leverage=5
    )
    far_below = await place(
        client,
        symbol="ETH-USDT-PERP",
        side="BUY",
        type="LIMIT",
        size="0.01",
        price="100",
        leverage=5,
    )
    assert far_below["__typename"] == "OrderPlaced", far_below
    order_id = far_below["order"]["id"]
    assert far_below["order"]["status"] == "OPEN"
    listed = (await gql(client, "{ myOrders { id status price } }"))["data"]["myOrders"]
    assert {"id": order_id, "status": "OPEN", "price": "100.00"} in listed

    cancelled = await gql(
        client,
        """mutation($id: String!) { cancelOrder(symbol: "ETH-USDT-PERP", orderId: $id) {
          __typename ... on OrderCancelled { cancelled { id status reason } } } }""",
        id=order_id,
    )
    [order] = cancelled["data"]["cancelOrder"]["cancelled"]
    assert order == {"id": order_id, "status": "CANCELLED", "reason": "USER"}
    again = await gql(
        client,
        """mutation($id: String!) { cancelOrder(symbol: "ETH-USDT-PERP", orderId: $id) {
          __typename ... on UserError { code } } }""",
        id=order_id,
    )
    assert again["data"]["cancelOrder"] == {
        "__typename": "OrderNotFoundError",
        "code": "ORDER_NOT_FOUND",
    }


async def test_refused_orders_are_typed_errors(client: httpx.AsyncClient) -> None:
    cases = [
        ({"size": "50", "leverage": 10, "price": "60000"}, "INSUFFICIENT_MARGIN"),
        ({"size": "1000", "leverage": 10, "price": "60000"}, "INVALID_SIZE"),
        ({"size": "0.01", "leverage": 10, "price": "60000.05"}, "INVALID_TICK"),
        ({"size": "0.0015", "leverage": 10, "price": "60000"}, "INVALID_SIZE"),
        ({"size": "0.01", "leverage": 1001, "price": "60000"}, "LEVERAGE_NOT_ALLOWED"),
        ({"size": "0.01", "leverage": 10, "price": "-5"}, "INVALID_TICK"),
    ]
    for extra, code in cases:
        result = await place(client, symbol="BTC-USDT-PERP", side="BUY", type="LIMIT", **extra)
        assert result.get("code") == code, (extra, result)
    unknown = await place(
        client, symbol="NOPE-USDT-PERP", side="BUY", type="LIMIT", size="1", price="1", leverage=1
    )
    assert unknown["__typename"] == "MarketClosedError"
    balance = await gql(client, "{ balances { available locked } }")
    assert balance["data"]["balances"][0] == {"available": "10000.000000", "locked": "0.000000"}


async def test_funding_and_insurance_fund_are_public(client: httpx.AsyncClient) -> None:
    await market_order_until_filled(
        client, symbol="SOL-USDT-PERP", side="BUY", size="1", leverage=10
    )
    body = await gql(
        client,
        """{ funding(symbol: "SOL-USDT-PERP") { estimatedRatePercent nextFundingTime openInterest }
            fundingHistory(symbol: "SOL-USDT-PERP") { ratePercent }
            insuranceFund { balance openInterest targetBalance healthy } }""",
    )
    funding = body["data"]["funding"]
    assert Decimal(funding["openInterest"]) > 0
    assert funding["nextFundingTime"].endswith(":00:00+00:00")  # on the hour
    assert abs(Decimal(funding["estimatedRatePercent"])) <= Decimal("0.05")  # the clamp
    fund = body["data"]["insuranceFund"]
    assert Decimal(fund["targetBalance"]) == (Decimal(fund["openInterest"]) / 100).quantize(
        Decimal("0.000001"), rounding="ROUND_CEILING"
    )
