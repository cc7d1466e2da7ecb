"""The public stats dashboard: trades move the numbers; filters are checked; nothing private."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from tests.api.conftest import open_demo_account
from tests.api.test_graphql_http import gql
from tests.api.test_trading import market_order_until_filled

SYMBOL = "BTC-USDT-PERP"
STATS = """query Stats($from: Date, $to: Date, $symbol: String) {
  stats(from: $from, to: $to, symbol: $symbol) {
    from to symbol symbols
    executionQuality { savings improvementBps comparedTrades insideSpreadPercent
      daily { date savings cumulativeSavings improvementBps comparedTrades }
      recent { tradeId symbol time aggressorSide price size referenceBid referenceAsk
               savings improvementBps } }
    marketData { trades volume buyVolume sellVolume buyPercent averageTradeSize
      daily { date trades volume buyVolume sellVolume buyPercent averageTradeSize }
      symbols { symbol trades volume buyPercent averageTradeSize } }
    operations { feesCollected tradingFees dailyFees { date fees } startedAt uptimeSeconds
      averageApiResponseSeconds apiOperations settlementLagSeconds
      settlementBatches { status count } failedSettlements }
  }
}"""


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
