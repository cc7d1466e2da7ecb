"""The public stats dashboard: trades move the numbers; filters are checked; nothing private."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.settings import Settings
from engine.store.migrations import upgrade
from tests.api.conftest import TEST_SECRET, open_demo_account
from tests.api.test_graphql_http import gql
from tests.api.test_trading import market_order_until_filled, place

SYMBOL = "BTC-USDT-PERP"
ORDER_FLOW = """orderFlow { orders liquiditySubmitted averageOrderSize firstFills
  averageTimeToFirstFillSeconds completeFills averageTimeToFillSeconds }"""
STATS = """query Stats($from: Date, $to: Date, $symbol: String) {
  stats(from: $from, to: $to, symbol: $symbol) {
    from to symbol symbols
    executionQuality { savings improvementBps comparedTrades insideSpreadPercent
      daily { date savings cumulativeSavings improvementBps comparedTrades }
      recent { tradeId symbol time aggressorSide price size referenceBid referenceAsk
               savings improvementBps } }
    marketData { trades volume buyVolume sellVolume buyPercent averageTradeSize ORDER_FLOW
      daily { date trades volume buyVolume sellVolume buyPercent averageTradeSize ORDER_FLOW }
      symbols { symbol trades volume buyPercent averageTradeSize ORDER_FLOW } }
    operations { feesCollected tradingFees dailyFees { date fees } startedAt uptimeSeconds
      averageApiResponseSeconds apiOperations settlementLagSeconds
      settlementBatches { status count } failedSettlements confirmedBatches
      averageSettlementFinalitySeconds failedSettlementAttempts
      dailySettlement { date confirmedBatches averageFinalitySeconds failedAttempts }
      downtimeSeconds outages uptimePercent dailyDowntime { date downtimeSeconds } }
  }
}""".replace("ORDER_FLOW", ORDER_FLOW)


async def stats(http: httpx.AsyncClient, **variables: Any) -> dict[str, Any]:
    body = await gql(http, STATS, **variables)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["stats"]
    return result


async def wait_for_trades(http: httpx.AsyncClient, more_than: int) -> dict[str, Any]:
    """The recorder follows the tape on the bus: give it a moment to see the trade."""
    for _ in range(50):
        current = await stats(http, symbol=SYMBOL)
        if current["marketData"]["trades"] > more_than:
            return current
        await asyncio.sleep(0.1)
    raise AssertionError(f"the stats never saw the trade: {current['marketData']}")


async def test_trades_between_two_accounts_move_the_numbers(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    before = await stats(anonymous, symbol=SYMBOL)
    assert SYMBOL in before["symbols"] and before["symbol"] == SYMBOL

    await market_order_until_filled(client, symbol=SYMBOL, side="BUY", size="0.01", leverage=10)
    after_buy = await wait_for_trades(anonymous, before["marketData"]["trades"])
    other = await open_demo_account(anonymous)
    anonymous.headers["Authorization"] = f"Bearer {other['accessToken']}"
    await market_order_until_filled(anonymous, symbol=SYMBOL, side="SELL", size="0.01", leverage=10)
    del anonymous.headers["Authorization"]
    after = await wait_for_trades(anonymous, after_buy["marketData"]["trades"])

    market = after["marketData"]
    assert Decimal(market["volume"]) > Decimal(before["marketData"]["volume"])
    assert Decimal(market["buyVolume"]) > 0 and Decimal(market["sellVolume"]) > 0
    assert Decimal(market["volume"]) == Decimal(market["buyVolume"]) + Decimal(market["sellVolume"])
    assert 0 < Decimal(market["buyPercent"]) < 100
    assert Decimal(market["averageTradeSize"]) > 0
    assert [s["symbol"] for s in market["symbols"]] == [SYMBOL]
    assert market["daily"][-1]["date"] == datetime.now(UTC).date().isoformat()

    quality = after["executionQuality"]
    assert quality["comparedTrades"] >= 2
    latest = quality["recent"][0]
    assert latest["symbol"] == SYMBOL and latest["referenceBid"] and latest["referenceAsk"]
    # Savings = what crossing the lit touch would have cost more, to the micro-USDT.
    price, size = Decimal(latest["price"]), Decimal(latest["size"])
    buys = latest["aggressorSide"] == "BUY"
    per_unit = (
        Decimal(latest["referenceAsk"]) - price if buys else price - Decimal(latest["referenceBid"])
    )
    assert abs(Decimal(latest["savings"]) - per_unit * size) < Decimal("0.000001")
    cumulative = [Decimal(d["cumulativeSavings"]) for d in quality["daily"]]
    assert cumulative[-1] == Decimal(quality["savings"])

    operations = after["operations"]
    assert Decimal(operations["tradingFees"]) > Decimal(before["operations"]["tradingFees"])
    assert Decimal(operations["feesCollected"]) > 0
    assert operations["uptimeSeconds"] >= 0 and operations["startedAt"]
    assert operations["apiOperations"] > 0 and operations["averageApiResponseSeconds"] > 0


async def test_the_stats_name_no_account_and_no_resting_order(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    me = (await gql(client, "{ me { id } }"))["data"]["me"]["id"]
    await market_order_until_filled(client, symbol=SYMBOL, side="BUY", size="0.01", leverage=10)
    resting = await gql(
        client,
        """mutation { placeOrder(input: {symbol: "BTC-USDT-PERP", side: BUY, type: LIMIT,
             size: "0.01", price: "1000", leverage: 10}) {
             ... on OrderPlaced { order { id } } } }""",
    )
    order_id = resting["data"]["placeOrder"]["order"]["id"]
    await wait_for_trades(anonymous, 0)
    text = json.dumps(await stats(anonymous))
    assert me not in text and order_id not in text and "1000.00" not in text
    assert "account" not in text.lower()


async def test_filters_are_checked(anonymous: httpx.AsyncClient) -> None:
    today = datetime.now(UTC).date()
    cases = [
        ({"from": today.isoformat(), "to": (today - timedelta(days=1)).isoformat()}, "`from`"),
        ({"from": (today - timedelta(days=400)).isoformat()}, "at most 366 days"),
        ({"symbol": "NOPE-USDT-PERP"}, "unknown market"),
    ]
    for variables, message in cases:
        body = await gql(anonymous, STATS, **variables)
        assert message in body["errors"][0]["message"], body
    default = await stats(anonymous)
    assert default["to"] == today.isoformat()
    assert default["from"] == (today - timedelta(days=29)).isoformat()
    assert default["symbol"] is None


@pytest.fixture
async def quiet_app(sqlite_url: str) -> AsyncIterator[Starlette]:
    """The demo without its simulated market makers: every order is the test's own."""
    await asyncio.to_thread(upgrade, sqlite_url)
    settings = Settings(
        database_url=sqlite_url, demo=True, market_makers=False, jwt_secret=TEST_SECRET
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


async def signed_in(http: httpx.AsyncClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {(await open_demo_account(http))['accessToken']}"}


async def reference_quote(http: httpx.AsyncClient) -> tuple[Decimal, Decimal]:
    for _ in range(50):
        body = await gql(http, '{ market(symbol: "BTC-USDT-PERP") { nbbo { bid ask } } }')
        nbbo = body["data"]["market"]["nbbo"]
        if nbbo["bid"] and nbbo["ask"]:
            # On the market's 0.1 tick; a sell at or under the bid meets any market buy.
            tick = Decimal("0.1")
            return (
                Decimal(nbbo["bid"]).quantize(tick, ROUND_DOWN),
                Decimal(nbbo["ask"]).quantize(tick, ROUND_UP),
            )
        await asyncio.sleep(0.2)
    raise AssertionError("the simulated venues never quoted")


async def test_order_flow_counts_orders_liquidity_and_time_to_fill(
    quiet_app: Starlette,
) -> None:
    transport = httpx.ASGITransport(app=quiet_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        bid, _ = await reference_quote(http)
        seller, buyer = await signed_in(http), await signed_in(http)
        http.headers.update(seller)
        resting = await place(
            http,
            symbol=SYMBOL,
            side="SELL",
            type="LIMIT",
            size="0.01",
            price=str(bid),
            leverage=10,
        )
        assert resting["__typename"] == "OrderPlaced" and not resting["fills"], resting
        http.headers.update(buyer)
        await market_order_until_filled(http, symbol=SYMBOL, side="BUY", size="0.01", leverage=10)
        del http.headers["Authorization"]
        after = await wait_for_trades(http, 0)

    market = after["marketData"]
    flow = market["orderFlow"]
    # The resting sell and the market buy; both filled completely by the one trade.
    assert market["trades"] == 1
    assert (flow["orders"], flow["firstFills"], flow["completeFills"]) == (2, 2, 2)
    liquidity = Decimal(flow["liquiditySubmitted"])
    # The resting sell at its limit, plus the buy at the reference ask it met on arrival.
    assert liquidity > bid * Decimal("0.01")
    assert Decimal(flow["averageOrderSize"]) == liquidity / 2
    # The seller waited from its acceptance until the buy arrived; the buyer not at all.
    assert flow["averageTimeToFillSeconds"] > 0
    assert flow["averageTimeToFillSeconds"] == flow["averageTimeToFirstFillSeconds"]
    assert market["daily"][-1]["orderFlow"] == flow
    assert [s["orderFlow"] for s in market["symbols"]] == [flow]

    operations = after["operations"]
    # One run of a fresh venue: never down.
    assert operations["downtimeSeconds"] == 0 and operations["outages"] == 0
    assert Decimal(operations["uptimePercent"]) == 100 and operations["dailyDowntime"] == []
