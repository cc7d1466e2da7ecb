"""Operators: roles enforced per resolver, 3-of-5 approvals with a timelock, the emergency
pause, compliance switches, and request rate limits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.settings import Settings
from engine.accounts.roles import Role
from engine.accounts.service import RequestMeta
from engine.store.migrations import upgrade
from tests.api.conftest import TEST_SECRET, open_demo_account
from tests.api.test_accounts import data, error_code, gql

TIMELOCK_SECONDS = 2
PROPOSE = """mutation($operation: String!, $parameters: JSON!) {
  proposeOperation(operation: $operation, parameters: $parameters) {
    __typename ... on Proposal { id status approvals { admin } executableAt }
    ... on UserError { code message } } }"""
APPROVE = """mutation($id: String!) { approveProposal(id: $id) { __typename
  ... on Proposal { status approvals { admin } executableAt } ... on UserError { code } } }"""
EXECUTE = """mutation($id: String!) { executeProposal(id: $id) {
  __typename ... on Proposal { status executedAt } ... on UserError { code message } } }"""


@pytest.fixture
async def operator_app(sqlite_url: str) -> AsyncIterator[Starlette]:
    await asyncio.to_thread(upgrade, sqlite_url)
    settings = Settings(
        database_url=sqlite_url,
        demo=True,
        jwt_secret=TEST_SECRET,
        approval_timelock_seconds=TIMELOCK_SECONDS,
        restricted_countries="US,KP",
        country_header="CF-IPCountry",
        trusted_proxies="127.0.0.1/32",
        market_makers=False,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


async def _person(http: httpx.AsyncClient, app: Starlette, *roles: Role) -> str:
    """A demo account given roles out of band (as `godark accounts grant-role` does)."""
    signed_in = await open_demo_account(http)
    venue = app.state.venue
    if roles:
        account_id = signed_in["account"]["id"]
        await venue.administration.set_roles("bootstrap", account_id, roles, RequestMeta())
        tokens = await venue.accounts._open_session(account_id, RequestMeta())
        return str(tokens.access_token)
    return str(signed_in["accessToken"])


async def _client(app: Starlette) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5555))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_a_fee_change_needs_three_admins_and_waits_out_the_timelock(
    operator_app: Starlette,
) -> None:
    async with await _client(operator_app) as http:
        admins = [await _person(http, operator_app, Role.ADMIN) for _ in range(3)]
        proposal = data(
            await gql(
                http,
                PROPOSE,
                bearer=admins[0],
                operation="CHANGE_FEES",
                parameters={"symbol": "BTC-USDT-PERP", "maker_fee_bps": "-1", "taker_fee_bps": "4"},
            )
        )
        assert proposal["status"] == "PENDING" and len(proposal["approvals"]) == 1
        twice = data(await gql(http, APPROVE, bearer=admins[0], id=proposal["id"]))
        assert twice["code"] == "ALREADY_APPROVED"
        assert data(await gql(http, EXECUTE, bearer=admins[0], id=proposal["id"]))["code"] == (
            "NOT_APPROVED"
        )
        second = data(await gql(http, APPROVE, bearer=admins[1], id=proposal["id"]))
        assert second["status"] == "PENDING"
        third = data(await gql(http, APPROVE, bearer=admins[2], id=proposal["id"]))
        assert third["status"] == "APPROVED" and third["executableAt"]

        early = data(await gql(http, EXECUTE, bearer=admins[1], id=proposal["id"]))
        assert early["code"] == "TIMELOCK_ACTIVE"
        venue = operator_app.state.venue
        assert venue.exchange.markets["BTC-USDT-PERP"].taker_fee_bps == 5

        await asyncio.sleep(TIMELOCK_SECONDS + 0.2)
        executed = data(await gql(http, EXECUTE, bearer=admins[1], id=proposal["id"]))
        assert executed["status"] == "EXECUTED"
        market = venue.exchange.markets["BTC-USDT-PERP"]
        assert (market.maker_fee_bps, market.taker_fee_bps) == (-1, 4)
        listed = data(
            await gql(http, "{ proposals { status audit { action admin } } }", bearer=admins[2])
        )
        actions = [entry["action"] for entry in listed[0]["audit"]]
        assert actions[0] == "PROPOSED" and actions[-1] == "EXECUTED"


async def test_a_bad_operation_is_refused_and_stays_approved_to_fix(
    operator_app: Starlette,
) -> None:
    async with await _client(operator_app) as http:
        admins = [await _person(http, operator_app, Role.ADMIN) for _ in range(3)]
        unknown = data(
            await gql(http, PROPOSE, bearer=admins[0], operation="DRAIN_EVERYTHING", parameters={})
        )
        assert unknown["code"] == "INVALID_PROPOSAL"
        proposal = data(
            await gql(
                http,
                PROPOSE,
                bearer=admins[0],
                operation="WITHDRAW_INSURANCE_FUND",
                parameters={"amount": "1000000000", "reference": "too-much"},
            )
        )
        for admin in admins[1:]:
            await gql(http, APPROVE, bearer=admin, id=proposal["id"])
        await asyncio.sleep(TIMELOCK_SECONDS + 0.2)
        refused = data(await gql(http, EXECUTE, bearer=admins[0], id=proposal["id"]))
        assert refused["code"] == "OPERATION_REFUSED"
        status = data(await gql(http, "{ proposals { status } }", bearer=admins[0]))
        assert status[0]["status"] == "APPROVED"


async def test_only_the_emergency_role_pauses_and_trading_stops(operator_app: Starlette) -> None:
    pause = (
        'mutation { setEmergencyPause(level: 2, reason: "drill") '
        "{ __typename ... on UserError { code } } }"
    )
    async with await _client(operator_app) as http:
        admin = await _person(http, operator_app, Role.ADMIN)
        assert error_code(await gql(http, pause, bearer=admin)) == "FORBIDDEN"
        guardian = await _person(http, operator_app, Role.EMERGENCY)
        assert data(await gql(http, pause, bearer=guardian)) == {"__typename": "Accepted"}
        level = data(await gql(http, "{ emergencyPause { level } }"))
        assert level["level"] == 2
        trader = await _person(http, operator_app)
        order = """mutation { placeOrder(input: {symbol: "BTC-USDT-PERP", side: BUY, type: LIMIT,
          size: "0.001", price: "1000", leverage: 5}) { __typename ... on UserError { code } } }"""
        assert data(await gql(http, order, bearer=trader))["code"] == "VENUE_PAUSED"


async def test_restricted_countries_are_refused_only_on_a_trusted_proxys_word(
    operator_app: Starlette,
) -> None:
    query = {"query": "{ serverInfo { version } }"}
    async with await _client(operator_app) as http:
        blocked = await http.post("/graphql", json=query, headers={"CF-IPCountry": "us"})
        assert blocked.status_code == 403
        assert blocked.json()["errors"][0]["extensions"]["code"] == "RESTRICTED_JURISDICTION"
        allowed = await http.post("/graphql", json=query, headers={"CF-IPCountry": "FR"})
        assert allowed.status_code == 200
    # From an untrusted peer, the header is the client's own claim: ignored.
    transport = httpx.ASGITransport(app=operator_app, client=("198.51.100.7", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as direct:
        spoofed = await direct.post("/graphql", json=query, headers={"CF-IPCountry": "FR"})
        assert spoofed.status_code == 200
        claimed = await direct.post("/graphql", json=query, headers={"CF-IPCountry": "US"})
        assert claimed.status_code == 200


async def test_requests_over_the_tier_limit_get_429_with_retry_after(
    operator_app: Starlette,
) -> None:
    async with await _client(operator_app) as http:
        token = await _person(http, operator_app)  # a demo account: BASIC, burst 50
        statuses: list[int] = []
        last: Any = None
        for _ in range(60):
            last = await http.post(
                "/graphql",
                json={"query": "{ me { id } }"},
                headers={"Authorization": f"Bearer {token}"},
            )
            statuses.append(last.status_code)
        assert statuses.count(200) >= 50 and statuses[-1] == 429
        body = last.json()["errors"][0]
        assert body["extensions"]["code"] == "RATE_LIMITED"
        assert body["extensions"]["retryAfter"] > 0
        assert int(last.headers["Retry-After"]) >= 1


async def test_new_terms_stop_trading_until_accepted(operator_app: Starlette) -> None:
    import dataclasses

    venue = operator_app.state.venue
    order = """mutation { placeOrder(input: {symbol: "BTC-USDT-PERP", side: BUY, type: LIMIT,
      size: "0.001", price: "1000", leverage: 5}) { __typename ... on UserError { code } } }"""
    accept = """mutation($version: String!) { acceptTerms(version: $version) {
      __typename ... on SignedIn { accessToken } ... on UserError { code } } }"""
    async with await _client(operator_app) as http:
        trader = await _person(http, operator_app)
        venue.accounts.config = dataclasses.replace(
            venue.accounts.config, terms_version="2027-01-01"
        )
        assert error_code(await gql(http, order, bearer=trader)) == "TERMS_NOT_ACCEPTED"
        stale = data(await gql(http, accept, bearer=trader, version="2026-11-01"))
        assert stale["code"] == "TERMS_NOT_ACCEPTED"
        renewed = data(await gql(http, accept, bearer=trader, version="2027-01-01"))
        placed = data(await gql(http, order, bearer=renewed["accessToken"]))
        assert placed["__typename"] in ("OrderPlaced", "OracleUnhealthyError")


async def test_rapid_withdrawals_raise_an_aml_flag_for_the_admins(operator_app: Starlette) -> None:
    withdraw = """mutation($key: String!) { withdraw(input: {amount: "1", idempotencyKey: $key}) {
      __typename } }"""
    async with await _client(operator_app) as http:
        trader = await _person(http, operator_app)
        admin = await _person(http, operator_app, Role.ADMIN)
        for n in range(11):
            assert data(await gql(http, withdraw, bearer=trader, key=f"w{n}")) == {
                "__typename": "TransferSuccess"
            }
        flags = data(await gql(http, "{ amlFlags { id rule detail } }", bearer=admin))
        assert [flag["rule"] for flag in flags] == ["VELOCITY"]
        resolve = "mutation($id: String!) { resolveAmlFlag(id: $id) { __typename } }"
        assert data(await gql(http, resolve, bearer=admin, id=flags[0]["id"])) == {
            "__typename": "Accepted"
        }
        assert data(await gql(http, "{ amlFlags { id } }", bearer=admin)) == []


async def test_liquidators_see_positions_at_risk_and_sweep_others_cannot(
    operator_app: Starlette,
) -> None:
    at_risk = '{ positionsAtRisk(withinPercent: "100") { accountId distancePercent } }'
    sweep = "mutation { sweepLiquidations { liquidated } }"
    async with await _client(operator_app) as http:
        trader = await _person(http, operator_app)
        admin = await _person(http, operator_app, Role.ADMIN)
        liquidator = await _person(http, operator_app, Role.LIQUIDATOR)
        for outsider in (trader, admin):
            assert error_code(await gql(http, at_risk, bearer=outsider)) == "FORBIDDEN"
            assert error_code(await gql(http, sweep, bearer=outsider)) == "FORBIDDEN"
        assert isinstance(data(await gql(http, at_risk, bearer=liquidator)), list)
        assert data(await gql(http, sweep, bearer=liquidator)) == {"liquidated": 0}
        bad = await gql(
            http, '{ positionsAtRisk(withinPercent: "0") { accountId } }', bearer=liquidator
        )
        assert "within_percent" in bad["errors"][0]["message"]


async def test_an_admin_raises_a_market_makers_tiers_and_its_limits_follow(
    operator_app: Starlette,
) -> None:
    tiers = """mutation($id: String!) { setAccountTiers(accountId: $id, tier: MARKET_MAKER,
      kycTier: FULL) { __typename ... on UserError { code } } }"""
    async with await _client(operator_app) as http:
        admin = await _person(http, operator_app, Role.ADMIN)
        maker = await open_demo_account(http)
        maker_id = maker["account"]["id"]
        assert error_code(await gql(http, tiers, bearer=maker["accessToken"], id=maker_id)) == (
            "FORBIDDEN"
        )
        assert data(await gql(http, tiers, bearer=admin, id=maker_id)) == {"__typename": "Accepted"}
        # The old session ended; a new one carries the new tier.
        venue = operator_app.state.venue
        fresh = await venue.accounts._open_session(maker_id, RequestMeta())
        me = data(await gql(http, "{ me { tier kycTier } }", bearer=fresh.access_token))
        assert me == {"tier": "MARKET_MAKER", "kycTier": "FULL"}
        # FULL KYC lifts the daily withdrawal limit well past NONE's 1,000 USDT.
        withdraw = """mutation { withdraw(input: {amount: "5000", idempotencyKey: "mm-1"}) {
          __typename } }"""
        assert data(await gql(http, withdraw, bearer=fresh.access_token)) == {
            "__typename": "TransferSuccess"
        }
