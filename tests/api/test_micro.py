"""Micro-bets through GraphQL: the public offers, a session opened with a protected reserve,
a bet the demo's street driver settles by the observers' consensus, the close that returns
everything, typed refusals, and a session nobody else can see, bet on or subscribe to."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

import httpx
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from tests.api.conftest import LiveServer, open_demo_account
from tests.api.test_flash import usdt
from tests.api.test_graphql_http import gql
from tests.api.test_subscriptions import PROTOCOL, next_non_ping, receive

OFFERS = """{ microMarkets { id betType question listedAt opensAt closesAt houseMarginPercent
  outcomes { outcome probability decimalOdds } } }"""
SESSION_FIELDS = """id status deposit reserve balance inPlay openBets maxStake maxOpenBets
  minSecondsBetweenBets openedAt closedAt
  bets { id sessionId marketId question outcome stake decimalOdds potentialPayout status
         returned placedAt closesAt }"""
OPEN = f"""mutation($deposit: Decimal!) {{ openMicroSession(deposit: $deposit) {{ __typename
  ... on UserError {{ code message }} ... on MicroSession {{ {SESSION_FIELDS} }} }} }}"""
PLACE = f"""mutation($input: PlaceMicroBetInput!) {{ placeMicroBet(input: $input) {{ __typename
  ... on UserError {{ code message }} ... on TooFastError {{ retryAfter }}
  ... on MicroBetPlaced {{ replayed bet {{ id status stake decimalOdds potentialPayout }}
                           session {{ {SESSION_FIELDS} }} }} }} }}"""
CLOSE = f"""mutation($id: String!) {{ closeMicroSession(sessionId: $id) {{ __typename
  ... on UserError {{ code message }}
  ... on MicroSessionClosed {{ reserveReturned balanceReturned totalReturned
                               session {{ {SESSION_FIELDS} }} }} }} }}"""
SESSION = f"query($id: String!) {{ microSession(id: $id) {{ {SESSION_FIELDS} }} }}"
MY_SESSIONS = "{ myMicroSessions { id status } }"
MY_BETS = "{ myMicroBets { id status stake returned } }"
COOL_OFF = """mutation { startCoolOff(hours: 24) { __typename ... on UserError { code } } }"""

SETTLE_TIMEOUT = timedelta(seconds=45)  # after the window closes: report delay and load


async def offers(http: httpx.AsyncClient, lead_seconds: float = 2) -> list[dict[str, Any]]:
    """Offers still taking bets for at least `lead_seconds`, the soonest to settle first."""
    for _ in range(100):
        body = await gql(http, OFFERS)
        assert "errors" not in body, body
        soon = datetime.now(UTC) + timedelta(seconds=lead_seconds)
        found = [
            o for o in body["data"]["microMarkets"] if datetime.fromisoformat(o["opensAt"]) > soon
        ]
        if found:
            return sorted(found, key=lambda o: o["closesAt"])
        await asyncio.sleep(0.2)
    raise AssertionError("no micro offer within 20 s")


async def open_session(http: httpx.AsyncClient, deposit: str = "100") -> dict[str, Any]:
    body = await gql(http, OPEN, deposit=deposit)
    assert "errors" not in body, body
    session: dict[str, Any] = body["data"]["openMicroSession"]
    assert session["__typename"] == "MicroSession", session
    return session


async def place(http: httpx.AsyncClient, **bet: Any) -> dict[str, Any]:
    body = await gql(http, PLACE, input=bet)
    assert "errors" not in body, body
    return dict(body["data"]["placeMicroBet"])


async def test_offers_are_public_with_fixed_odds_and_the_stated_margin(
    anonymous: httpx.AsyncClient,
) -> None:
    found = await offers(anonymous)
    assert {o["betType"] for o in found} <= {"BINARY", "QUANTITY", "TIMING", "PATTERN"}
    for offer in found:
        assert offer["id"].startswith("street:") and offer["question"]
        assert Decimal(offer["houseMarginPercent"]) == Decimal("5.00")
        assert offer["listedAt"] < offer["opensAt"] < offer["closesAt"]
        implied = sum((1 / Decimal(o["decimalOdds"]) for o in offer["outcomes"]), Decimal(0))
        assert implied >= Decimal("1.05"), offer  # the margin, rounded in the house's favour
        total = sum((Decimal(o["probability"]) for o in offer["outcomes"]), Decimal(0))
        assert abs(total - 1) < Decimal("0.00001")


async def test_a_session_bet_is_settled_by_the_street_and_close_returns_everything(
    client: httpx.AsyncClient,
) -> None:
    start = await usdt(client)
    session = await open_session(client, "100")
    assert session["status"] == "OPEN" and Decimal(session["deposit"]) == 100
    assert Decimal(session["reserve"]) == 10 and Decimal(session["balance"]) == 90
    assert Decimal(session["maxStake"]) == 9 and session["maxOpenBets"] == 5
    assert await usdt(client) == start - 100

    # The offer that settles soonest: windows run from 5 s to 10 minutes.
    offer = min(await offers(client), key=lambda o: datetime.fromisoformat(o["closesAt"]))
    choice = offer["outcomes"][0]
    placed = await place(
        client,
        sessionId=session["id"],
        marketId=offer["id"],
        outcome=choice["outcome"],
        stake="2.5",
        clientBetId="first",
    )
    assert placed["__typename"] == "MicroBetPlaced", placed
    odds = Decimal(placed["bet"]["decimalOdds"])
    assert odds == Decimal(choice["decimalOdds"])
    payout = (Decimal("2.5") * odds).quantize(Decimal("0.000001"), ROUND_DOWN)
    assert Decimal(placed["bet"]["potentialPayout"]) == payout
    assert (Decimal(placed["session"]["balance"]), Decimal(placed["session"]["inPlay"])) == (
        Decimal("87.5"),
        Decimal("2.5"),
    )
    again = await place(
        client,
        sessionId=session["id"],
        marketId=offer["id"],
        outcome=choice["outcome"],
        stake="2.5",
        clientBetId="first",
    )
    assert again["replayed"] is True and again["bet"]["id"] == placed["bet"]["id"]

    deadline = datetime.fromisoformat(offer["closesAt"]) + SETTLE_TIMEOUT
    while True:
        found = (await gql(client, SESSION, id=session["id"]))["data"]["microSession"]
        bet = found["bets"][0]
        if bet["status"] != "OPEN":
            break
        assert datetime.now(UTC) < deadline, "the street driver did not settle the bet"
        await asyncio.sleep(0.5)
    settled_at = datetime.now(UTC)
    assert settled_at >= datetime.fromisoformat(offer["closesAt"]) + timedelta(seconds=2)
    returned = {"WON": payout, "LOST": Decimal(0), "VOID": Decimal("2.5")}[bet["status"]]
    assert Decimal(bet["returned"]) == returned
    balance = Decimal("87.5") + returned
    assert Decimal(found["balance"]) == balance and Decimal(found["inPlay"]) == 0
    mine = (await gql(client, MY_BETS))["data"]["myMicroBets"]
    assert [(b["id"], b["status"]) for b in mine] == [(bet["id"], bet["status"])]

    closed = (await gql(client, CLOSE, id=session["id"]))["data"]["closeMicroSession"]
    assert closed["__typename"] == "MicroSessionClosed", closed
    assert Decimal(closed["reserveReturned"]) == 10
    assert Decimal(closed["balanceReturned"]) == balance
    assert Decimal(closed["totalReturned"]) == 10 + balance
    assert closed["session"]["status"] == "CLOSED" and Decimal(closed["session"]["balance"]) == 0
    assert await usdt(client) == start - Decimal("2.5") + returned

    fresh = (await offers(client))[0]
    after = await place(
        client,
        sessionId=session["id"],
        marketId=fresh["id"],
        outcome=fresh["outcomes"][0]["outcome"],
        stake="1",
    )
    assert (after["__typename"], after["code"]) == ("SessionClosedError", "SESSION_CLOSED")
    twice = (await gql(client, CLOSE, id=session["id"]))["data"]["closeMicroSession"]
    assert twice["code"] == "SESSION_CLOSED"


async def test_refusals_are_typed(app: Starlette, client: httpx.AsyncClient) -> None:
    small = (await gql(client, OPEN, deposit="0.5"))["data"]["openMicroSession"]
    assert (small["__typename"], small["code"]) == ("InvalidDepositError", "INVALID_DEPOSIT")
    huge = (await gql(client, OPEN, deposit="1000000"))["data"]["openMicroSession"]
    assert huge["code"] == "INSUFFICIENT_FUNDS"
    session = await open_session(client, "100")
    offer = (await offers(client, lead_seconds=4))[0]
    bet = {"sessionId": session["id"], "marketId": offer["id"]}
    outcome = offer["outcomes"][0]["outcome"]

    cases = [
        ({**bet, "outcome": outcome, "stake": "9.000001"}, "StakeTooLargeError", "STAKE_TOO_LARGE"),
        ({**bet, "outcome": outcome, "stake": "91"},
         "InsufficientBalanceError", "INSUFFICIENT_BALANCE"),
        ({**bet, "outcome": "MAYBE", "stake": "1"}, "InvalidBetError", "INVALID_BET"),
        ({**bet, "outcome": outcome, "stake": "0"}, "InvalidBetError", "INVALID_BET"),
        ({**bet, "outcome": outcome, "stake": "0.0000001"}, "InvalidBetError", "INVALID_BET"),
        ({**bet, "marketId": "street:nothing:1", "outcome": "YES", "stake": "1"},
         "UnknownMicroMarketError", "UNKNOWN_MICRO_MARKET"),
        ({**bet, "sessionId": "ms-nothing", "outcome": outcome, "stake": "1"},
         "UnknownMicroSessionError", "UNKNOWN_SESSION"),
    ]  # fmt: skip
    for input, typename, code in cases:
        refused = await place(client, **input)
        assert (refused["__typename"], refused["code"]) == (typename, code), (input, refused)

    first = await place(client, **bet, outcome=outcome, stake="1")
    assert first["__typename"] == "MicroBetPlaced", first
    fast = await place(client, **bet, outcome=outcome, stake="1")
    assert (fast["__typename"], fast["code"]) == ("TooFastError", "TOO_FAST")
    assert 0 < fast["retryAfter"] <= 1

    started = app.state.venue.exchange.micro.markets
    opened = next(
        (m for m, listed in started.items() if listed.market.opens_at <= datetime.now(UTC)),
        None,
    )
    if opened is not None:
        late = await place(
            client,
            **{**bet, "marketId": opened},
            outcome=started[opened].market.outcomes[0].label,
            stake="1",
        )
        assert late["code"] == "MARKET_CLOSED", late

    cooled = (await gql(client, COOL_OFF))["data"]["startCoolOff"]
    assert cooled["__typename"] == "ResponsibleGaming", cooled
    await asyncio.sleep(1.1)
    paused = await place(client, **bet, outcome=outcome, stake="1")
    assert (paused["__typename"], paused["code"]) == ("CoolingOffError", "COOLING_OFF")
    refused = (await gql(client, OPEN, deposit="10"))["data"]["openMicroSession"]
    assert refused["code"] == "COOLING_OFF"
    # Closing is a withdrawal: allowed during a cool-off.
    closed = (await gql(client, CLOSE, id=session["id"]))["data"]["closeMicroSession"]
    assert closed["__typename"] == "MicroSessionClosed", closed


async def test_a_session_is_its_owners_alone(
    app: Starlette, client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    session = await open_session(client, "50")
    offer = (await offers(client))[0]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        signed_in = await open_demo_account(other)
        other.headers["Authorization"] = f"Bearer {signed_in['accessToken']}"
        seen = await gql(other, SESSION, id=session["id"])
        assert seen["data"]["microSession"] is None
        assert (await gql(other, MY_SESSIONS))["data"]["myMicroSessions"] == []
        stolen = await place(
            other,
            sessionId=session["id"],
            marketId=offer["id"],
            outcome=offer["outcomes"][0]["outcome"],
            stake="1",
        )
        assert stolen["code"] == "UNKNOWN_SESSION"
        shut = (await gql(other, CLOSE, id=session["id"]))["data"]["closeMicroSession"]
        assert shut["code"] == "UNKNOWN_SESSION"
    mine = (await gql(client, MY_SESSIONS))["data"]["myMicroSessions"]
    assert [s["id"] for s in mine] == [session["id"]]

    for query, variables in (
        (OPEN, {"deposit": "10"}),
        (SESSION, {"id": session["id"]}),
        (MY_SESSIONS, {}),
        (MY_BETS, {}),
        (CLOSE, {"id": session["id"]}),
    ):
        refused = await gql(anonymous, query, **variables)
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", refused


async def next_event(ws: ClientConnection, seconds: float = 20) -> dict[str, Any]:
    """The next message that is not a ping; the street can be quiet for a few seconds."""
    while True:
        message = await receive(ws, seconds)
        if message["type"] == "ping":
            await ws.send(json.dumps({"type": "pong"}))
            continue
        return message


async def test_micro_events_reach_the_owner_only(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.http_url) as http:
        owner = await open_demo_account(http)
        other = await open_demo_account(http)
        http.headers["Authorization"] = f"Bearer {owner['accessToken']}"
        session = await open_session(http, "100")
        offer = (await offers(http))[0]
        query = """subscription($id: String!) { microEvents(sessionId: $id) {
          kind time session { id balance inPlay } bet { id status stake }
          street { stream kind colour direction observers occurredAt } } }"""
        payload = {"query": query, "variables": {"id": session["id"]}}

        async with connect(live_server.ws_url, subprotocols=[Subprotocol(PROTOCOL)]) as stranger:
            auth = {"authorization": f"Bearer {other['accessToken']}"}
            await stranger.send(json.dumps({"type": "connection_init", "payload": auth}))
            assert (await receive(stranger))["type"] == "connection_ack"
            await stranger.send(json.dumps({"id": "x", "type": "subscribe", "payload": payload}))
            refused = await next_non_ping(stranger)
            assert refused["type"] == "error" or "errors" in refused["payload"], refused

        async with connect(live_server.ws_url, subprotocols=[Subprotocol(PROTOCOL)]) as ws:
            auth = {"authorization": f"Bearer {owner['accessToken']}"}
            await ws.send(json.dumps({"type": "connection_init", "payload": auth}))
            assert (await receive(ws))["type"] == "connection_ack"
            await ws.send(json.dumps({"id": "s", "type": "subscribe", "payload": payload}))
            first = await next_non_ping(ws)
            assert first["payload"]["data"]["microEvents"]["kind"] == "SNAPSHOT", first
            placed = await place(
                http,
                sessionId=session["id"],
                marketId=offer["id"],
                outcome=offer["outcomes"][0]["outcome"],
                stake="1",
            )
            assert placed["__typename"] == "MicroBetPlaced", placed
            kinds: set[str] = set()
            for _ in range(200):
                event = (await next_event(ws))["payload"]["data"]["microEvents"]
                kinds.add(event["kind"])
                if event["kind"] == "BET_PLACED":
                    assert event["bet"]["id"] == placed["bet"]["id"]
                    assert Decimal(event["session"]["inPlay"]) == 1
                if event["kind"] == "STREET_EVENT":
                    assert event["street"]["stream"] == "street"
                    assert event["street"]["observers"] >= 2
                if {"BET_PLACED", "STREET_EVENT"} <= kinds:
                    break
            assert {"BET_PLACED", "STREET_EVENT"} <= kinds


async def test_offers_arrive_by_subscription_as_they_are_listed(live_server: LiveServer) -> None:
    """The offers list is live: the current list first, then the list again with each new
    offer, to an anonymous socket (offers are public)."""
    query = "subscription { microMarkets { id opensAt houseMarginPercent } }"
    async with connect(live_server.ws_url, subprotocols=[Subprotocol(PROTOCOL)]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert (await receive(ws))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "o", "type": "subscribe", "payload": {"query": query}}))
        first = (await next_non_ping(ws))["payload"]["data"]["microMarkets"]
        first_ids = {offer["id"] for offer in first}
        assert first_ids, "the demo always has offers taking bets"
        assert all(Decimal(o["houseMarginPercent"]) > 0 for o in first)
        for _ in range(60):
            message = await next_event(ws)
            later = {offer["id"] for offer in message["payload"]["data"]["microMarkets"]}
            if later - first_ids:
                return
        raise AssertionError("no newly listed offer arrived on the subscription")
