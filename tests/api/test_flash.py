"""Flash markets through GraphQL: markets from the demo's live games, a quote before a bet, the
bet through the ledger, typed refusals, the admin's emergency collapse, a paid collapse, and
the subscriptions that carry prices and the collapse."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from starlette.applications import Starlette
from websockets.asyncio.client import connect

from engine.accounts.roles import Role
from engine.accounts.service import RequestMeta
from engine.flash.protection import ProtectionPolicy
from engine.trading.commands import ResolveFlashMarket
from tests.api.conftest import LiveServer, open_demo_account
from tests.api.test_graphql_http import gql
from tests.api.test_subscriptions import PROTOCOL, next_non_ping, receive

MARKET_FIELDS = """id title sport status deadline settlesBy parentId level
  outcomes { outcome price decimalOdds }
  collapse { proposalId winningOutcome probability collapseType time }"""
OPEN_MARKETS = f"{{ flashMarkets(status: OPEN) {{ {MARKET_FIELDS} }} }}"
QUOTE = """query($market: String!, $outcome: String!, $stake: Decimal!) {
  quoteFlash(marketId: $market, outcome: $outcome, stake: $stake) { __typename
    ... on UserError { code message }
    ... on FlashQuote { stake fee shares averagePrice priceBefore priceAfter priceImpact
                        potentialPayout } } }"""
PLACE = """mutation($input: PlaceFlashBetInput!) { placeFlashBet(input: $input) { __typename
  ... on UserError { code message }
  ... on FlashBetPlaced { replayed bet { id marketId outcome stake fee shares averagePrice
                                         potentialPayout status payout clientBetId } } } }"""
MY_BETS = "{ myFlashBets { id status stake payout shares outcome marketTitle } }"
COLLAPSE = """mutation($market: String!, $void: Boolean!) {
  emergencyCollapse(marketId: $market, reason: "test", void: $void) { __typename
    ... on UserError { code message }
    ... on FlashMarketCollapsed { market { id status collapse { winningOutcome collapseType } } }
  } }"""
BALANCE = "{ balances { asset available } }"


async def open_market(http: httpx.AsyncClient, seconds_left: float = 4) -> dict[str, Any]:
    """An open market with at least `seconds_left` to its deadline; the creator makes them
    from the demo's live games within seconds of the start."""
    for _ in range(150):
        body = await gql(http, OPEN_MARKETS)
        assert "errors" not in body, body
        soon = datetime.now(UTC) + timedelta(seconds=seconds_left)
        for market in body["data"]["flashMarkets"]:
            if datetime.fromisoformat(market["deadline"]) > soon:
                return dict(market)
        await asyncio.sleep(0.2)
    raise AssertionError("no open flash market within 30 s")


async def usdt(http: httpx.AsyncClient) -> Decimal:
    body = await gql(http, BALANCE)
    return Decimal(next(b["available"] for b in body["data"]["balances"] if b["asset"] == "USDT"))


async def place(http: httpx.AsyncClient, **bet: Any) -> dict[str, Any]:
    body = await gql(http, PLACE, input=bet)
    assert "errors" not in body, body
    return dict(body["data"]["placeFlashBet"])


async def admin_token(app: Starlette) -> str:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        signed_in = await open_demo_account(http)
    venue = app.state.venue
    account_id = signed_in["account"]["id"]
    await venue.administration.set_roles(
        "bootstrap", account_id, (Role.USER, Role.ADMIN), RequestMeta()
    )
    tokens = await venue.accounts._open_session(account_id, RequestMeta())
    return str(tokens.access_token)


async def test_flash_markets_appear_for_the_demos_live_games(
    anonymous: httpx.AsyncClient,
) -> None:
    market = await open_market(anonymous)
    assert market["id"].startswith("fm_") and market["status"] == "OPEN"
    assert market["title"] and market["sport"] in {"SOCCER", "BASKETBALL", "TENNIS"}
    prices = [Decimal(o["price"]) for o in market["outcomes"]]
    assert sum(prices) == 1 and all(0 < p < 1 for p in prices)
    for outcome in market["outcomes"]:
        assert Decimal(outcome["decimalOdds"]) <= 1 / Decimal(outcome["price"])
    assert market["collapse"] is None
    detail = await gql(
        anonymous,
        """query($id: String!) { flashMarket(id: $id) { market { id }
             parent { id level isMarket } lineage { id level } children { id }
             priceHistory { time prices } } }""",
        id=market["id"],
    )
    found = detail["data"]["flashMarket"]
    assert found["market"]["id"] == market["id"]
    assert found["parent"]["id"] == market["parentId"]
    assert found["parent"]["isMarket"] is False
    assert found["lineage"][-1]["level"] == "GAME"
    assert found["priceHistory"], "the opening prices start the history"
    missing = await gql(anonymous, '{ flashMarket(id: "fm_nothing") { market { id } } }')
    assert missing["data"]["flashMarket"] is None


async def test_a_quote_comes_first_and_the_bet_moves_the_balance_by_the_stake(
    client: httpx.AsyncClient,
) -> None:
    market = await open_market(client)
    outcome = market["outcomes"][0]["outcome"]
    quoted = (await gql(client, QUOTE, market=market["id"], outcome=outcome, stake="5"))["data"][
        "quoteFlash"
    ]
    assert quoted["__typename"] == "FlashQuote", quoted
    assert Decimal(quoted["stake"]) == 5 and Decimal(quoted["fee"]) == Decimal("0.05")
    assert Decimal(quoted["shares"]) == Decimal(quoted["potentialPayout"]) > 5
    assert Decimal(quoted["priceAfter"]) > Decimal(quoted["priceBefore"])
    assert Decimal(quoted["priceImpact"]) >= 0
    assert 0 < Decimal(quoted["averagePrice"]) < 1

    before = await usdt(client)
    slack = min(Decimal(1), Decimal(quoted["averagePrice"]) + Decimal("0.05"))
    placed = await place(
        client,
        marketId=market["id"],
        outcome=outcome,
        stake="5",
        clientBetId="bet-1",
        maxAveragePrice=str(slack.quantize(Decimal("0.000001"))),
    )
    assert placed["__typename"] == "FlashBetPlaced", placed
    bet = placed["bet"]
    assert Decimal(bet["stake"]) == 5 and bet["outcome"] == outcome and not placed["replayed"]
    assert Decimal(bet["shares"]) > 5 and bet["clientBetId"] == "bet-1"
    again = await place(
        client, marketId=market["id"], outcome=outcome, stake="5", clientBetId="bet-1"
    )
    assert again["replayed"] and again["bet"]["id"] == bet["id"]

    [mine] = (await gql(client, MY_BETS))["data"]["myFlashBets"]
    assert mine["id"] == bet["id"] and mine["marketTitle"] == market["title"]
    # Exactly the stake left the balance (plus a payout, if the quorum already decided).
    assert await usdt(client) == before - 5 + Decimal(mine["payout"])


async def test_refusals_are_typed(client: httpx.AsyncClient, anonymous: httpx.AsyncClient) -> None:
    market = await open_market(client)
    outcome = market["outcomes"][0]["outcome"]
    unknown = await place(client, marketId="fm_nope", outcome="YES", stake="1")
    assert (unknown["__typename"], unknown["code"]) == (
        "UnknownFlashMarketError",
        "UNKNOWN_FLASH_MARKET",
    )
    for stake in ("0", "-1", "0.0000001"):
        refused = await place(client, marketId=market["id"], outcome=outcome, stake=stake)
        assert (refused["__typename"], refused["code"]) == ("InvalidBetError", "INVALID_BET")
    wrong = await place(client, marketId=market["id"], outcome="MAYBE", stake="1")
    assert wrong["code"] == "INVALID_BET"
    poor = await place(client, marketId=market["id"], outcome=outcome, stake="20000")
    assert poor["code"] in {"INSUFFICIENT_FUNDS", "PRICE_CLAMP", "LIMIT_REACHED"}, poor
    quoted = await gql(client, QUOTE, market="fm_nope", outcome="YES", stake="1")
    assert quoted["data"]["quoteFlash"]["code"] == "UNKNOWN_FLASH_MARKET"

    signed_out = await gql(
        anonymous, PLACE, input={"marketId": market["id"], "outcome": outcome, "stake": "1"}
    )
    assert signed_out["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    mine = await gql(anonymous, MY_BETS)
    assert mine["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_only_an_admin_collapses_a_market_and_then_it_takes_no_bets(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    market = await open_market(client)
    refused = await gql(client, COLLAPSE, market=market["id"], void=True)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    admin = {"Authorization": f"Bearer {await admin_token(app)}"}
    body = await client.post(
        "/graphql",
        json={"query": COLLAPSE, "variables": {"market": market["id"], "void": True}},
        headers=admin,
    )
    collapsed = body.json()["data"]["emergencyCollapse"]
    assert collapsed["__typename"] == "FlashMarketCollapsed", collapsed
    assert collapsed["market"]["status"] == "VOIDED"

    late = await place(client, marketId=market["id"], outcome="YES", stake="1")
    assert (late["__typename"], late["code"]) == ("MarketClosedError", "MARKET_CLOSED")
    again = await client.post(
        "/graphql",
        json={"query": COLLAPSE, "variables": {"market": market["id"], "void": False}},
        headers=admin,
    )
    assert again.json()["data"]["emergencyCollapse"]["code"] == "MARKET_CLOSED"


async def test_the_winner_is_paid_when_the_market_collapses(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    market = await open_market(client)
    [winner, loser, *_] = [o["outcome"] for o in market["outcomes"]]
    won = (await place(client, marketId=market["id"], outcome=winner, stake="4"))["bet"]
    lost = (await place(client, marketId=market["id"], outcome=loser, stake="3"))["bet"]
    before = await usdt(client)

    venue = app.state.venue
    outcome = await venue.submit(
        ResolveFlashMarket(market["id"], winner, "test-quorum-1", venue.clock.now())
    )
    assert outcome.accepted, outcome

    bets = {b["id"]: b for b in (await gql(client, MY_BETS))["data"]["myFlashBets"]}
    assert bets[won["id"]]["status"] == "WON" and bets[lost["id"]]["status"] == "LOST"
    assert Decimal(bets[won["id"]]["payout"]) == Decimal(won["shares"])
    assert Decimal(bets[lost["id"]]["payout"]) == 0
    assert await usdt(client) == before + Decimal(won["shares"])
    detail = await gql(
        client,
        "query($id: String!) { flashMarket(id: $id) { market { status collapse { "
        "winningOutcome collapseType proposalId } } } }",
        id=market["id"],
    )
    assert detail["data"]["flashMarket"]["market"] == {
        "status": "COLLAPSED",
        "collapse": {
            "winningOutcome": winner,
            "collapseType": "SETTLE_SLOT",
            "proposalId": "test-quorum-1",
        },
    }


async def test_subscriptions_carry_prices_and_the_collapse(
    live_server: LiveServer,
) -> None:
    server, app = live_server, live_server.app
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        market = await open_market(http)
    winner = market["outcomes"][-1]["outcome"]
    async with connect(server.ws_url, subprotocols=[PROTOCOL]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert (await receive(ws))["type"] == "connection_ack"
        fields = "kind reason totalPayout market { id status outcomes { outcome price } "
        fields += "collapse { winningOutcome collapseType probability } }"
        query = f"subscription($id: String!) {{ flashMarket(id: $id) {{ {fields} }} }}"
        payload = {"query": query, "variables": {"id": market["id"]}}
        await ws.send(json.dumps({"id": "m", "type": "subscribe", "payload": payload}))
        ticker = {"query": f"subscription {{ flashTicker {{ {fields} }} }}"}
        await ws.send(json.dumps({"id": "t", "type": "subscribe", "payload": ticker}))

        seen: dict[str, list[dict[str, Any]]] = {"m": [], "t": []}
        while not seen["m"] or not seen["t"]:
            message = await next_non_ping(ws)
            assert message["type"] == "next", message
            seen[message["id"]].append(message["payload"]["data"])
        assert seen["m"][0]["flashMarket"]["kind"] == "SNAPSHOT"
        assert seen["t"][0]["flashTicker"]["kind"] == "SNAPSHOT"

        venue = app.state.venue
        outcome = await venue.submit(
            ResolveFlashMarket(market["id"], winner, "test-quorum-2", venue.clock.now())
        )
        assert outcome.accepted, outcome
        for _ in range(100):
            message = await next_non_ping(ws)
            if message["id"] != "m":
                continue
            update = message["payload"]["data"]["flashMarket"]
            if update["kind"] == "COLLAPSED":
                break
        else:
            raise AssertionError("no COLLAPSED update")
    assert update["market"]["status"] == "COLLAPSED"
    assert update["market"]["collapse"]["winningOutcome"] == winner
    assert update["market"]["collapse"]["collapseType"] == "SETTLE_SLOT"
    assert update["totalPayout"] == "0.000000"


RG = """{ responsibleGaming { limits { kind period amount used remaining
  pending { amount effectiveAt } } coolOffUntil selfExcludedUntil nextRealityCheckAt
  realityCheck { dueAt timePlayedSeconds netResult reason } } }"""
RG_RESULT = """__typename ... on UserError { code message }
  ... on ResponsibleGaming { coolOffUntil selfExcludedUntil realityCheck { reason }
    limits { kind period amount pending { amount effectiveAt } } }"""


def _limit(status: dict[str, Any], kind: str, period: str) -> dict[str, Any]:
    return next(x for x in status["limits"] if (x["kind"], x["period"]) == (kind, period))


async def test_a_loss_limit_refuses_the_bet_that_would_pass_it(client: httpx.AsyncClient) -> None:
    status = (await gql(client, RG))["data"]["responsibleGaming"]
    assert len(status["limits"]) == 6 and all(x["amount"] is None for x in status["limits"])
    set_limit = f"""mutation($amount: Decimal) {{ setLimits(limits: [
        {{kind: LOSS, period: DAY, amount: $amount}}]) {{ {RG_RESULT} }} }}"""
    lowered = (await gql(client, set_limit, amount="2"))["data"]["setLimits"]
    assert _limit(lowered, "LOSS", "DAY")["amount"] == "2.000000"

    market = await open_market(client)
    outcome = market["outcomes"][0]["outcome"]
    first = await place(client, marketId=market["id"], outcome=outcome, stake="1.5")
    assert first["__typename"] == "FlashBetPlaced", first
    refused = await place(client, marketId=market["id"], outcome=outcome, stake="1")
    assert (refused["__typename"], refused["code"]) == ("LimitReachedError", "LIMIT_REACHED")

    # Raising waits 24 hours; the lower limit holds meanwhile.
    raised = (await gql(client, set_limit, amount="100"))["data"]["setLimits"]
    loss_day = _limit(raised, "LOSS", "DAY")
    assert loss_day["amount"] == "2.000000" and loss_day["pending"]["amount"] == "100.000000"
    effective = datetime.fromisoformat(loss_day["pending"]["effectiveAt"])
    assert effective > datetime.now(UTC) + timedelta(hours=23)
    bad = (await gql(client, set_limit, amount="-5"))["data"]["setLimits"]
    assert (bad["__typename"], bad["code"]) == ("InvalidLimitError", "INVALID_LIMIT")


async def test_cool_off_and_self_exclusion_stop_bets_and_cannot_be_lifted(
    client: httpx.AsyncClient,
) -> None:
    short = await gql(client, f"mutation {{ startCoolOff(hours: 1) {{ {RG_RESULT} }} }}")
    assert short["data"]["startCoolOff"]["code"] == "INVALID_LIMIT"
    cool = (await gql(client, f"mutation {{ startCoolOff(hours: 24) {{ {RG_RESULT} }} }}"))["data"][
        "startCoolOff"
    ]
    assert datetime.fromisoformat(cool["coolOffUntil"]) > datetime.now(UTC) + timedelta(hours=23)
    market = await open_market(client)
    refused = await place(
        client, marketId=market["id"], outcome=market["outcomes"][0]["outcome"], stake="1"
    )
    assert (refused["__typename"], refused["code"]) == ("CoolingOffError", "COOLING_OFF")

    exclude = "mutation($confirm: Boolean!) { selfExclude(days: 200, confirm: $confirm) { "
    exclude += RG_RESULT + " } }"
    unconfirmed = (await gql(client, exclude, confirm=False))["data"]["selfExclude"]
    assert unconfirmed["code"] == "CONFIRMATION_REQUIRED"
    excluded = (await gql(client, exclude, confirm=True))["data"]["selfExclude"]
    until = datetime.fromisoformat(excluded["selfExcludedUntil"])
    assert until > datetime.now(UTC) + timedelta(days=199)
    refused = await place(
        client, marketId=market["id"], outcome=market["outcomes"][0]["outcome"], stake="1"
    )
    assert refused["code"] in {"SELF_EXCLUDED", "COOLING_OFF"}, refused


async def test_a_reality_check_must_be_acknowledged_to_bet_on(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # A two-second interval instead of 30 minutes: the server's clock cannot be advanced.
    venue = app.state.venue
    venue.exchange.protection.policy = ProtectionPolicy(reality_check_interval=timedelta(seconds=2))
    market = await open_market(client, seconds_left=6)
    outcome = market["outcomes"][0]["outcome"]
    assert (await place(client, marketId=market["id"], outcome=outcome, stake="1"))[
        "__typename"
    ] == "FlashBetPlaced"
    await asyncio.sleep(2.5)
    refused = await place(client, marketId=market["id"], outcome=outcome, stake="1")
    assert (refused["__typename"], refused["code"]) == ("RealityCheckDueError", "REALITY_CHECK_DUE")
    check = (await gql(client, RG))["data"]["responsibleGaming"]["realityCheck"]
    assert check["reason"] == "interval" and check["timePlayedSeconds"] >= 2
    assert Decimal(check["netResult"]) <= 0

    done = await gql(client, f"mutation {{ acknowledgeRealityCheck {{ {RG_RESULT} }} }}")
    assert done["data"]["acknowledgeRealityCheck"]["realityCheck"] is None
    again = await place(client, marketId=market["id"], outcome=outcome, stake="1")
    assert again["__typename"] == "FlashBetPlaced", again
