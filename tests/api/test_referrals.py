"""Referrals through the API: a friend signs up with your code and trades; your figures
show it, nobody else's do, and the friend is counted, never named."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
from starlette.applications import Starlette

from tests.api.conftest import open_demo_account
from tests.api.test_accounts import (
    MAILBOX,
    PASSWORD,
    TERMS,
    VERIFY,
    data,
    gql,
    login,
    mailed_token,
)
from tests.api.test_trading import market_order_until_filled

MY_REFERRALS = """{ myReferrals { code link signUps activeReferees refereeVolume refereeTrades
  rewardsPaid rewardsPending feeSharePercent rewardPeriodDays } }"""
REGISTER_WITH_CODE = """mutation($email: String!, $password: String!, $terms: String!,
  $code: String) { register(input: {email: $email, password: $password,
  acceptTermsVersion: $terms, referralCode: $code}) { __typename } }"""
FAUCET = """mutation { faucet(input: {amount: "1000", idempotencyKey: "referee-funds"}) {
  __typename } }"""
FRIEND = "friend@example.com"


async def referrals(http: httpx.AsyncClient, bearer: str) -> dict[str, Any]:
    result: dict[str, Any] = data(await gql(http, MY_REFERRALS, bearer=bearer))
    return result


async def sign_up_with_code(http: httpx.AsyncClient, email: str, code: str) -> str:
    registered = await gql(
        http, REGISTER_WITH_CODE, email=email, password=PASSWORD, terms=TERMS, code=code
    )
    assert data(registered) == {"__typename": "Accepted"}
    token = await mailed_token(http, email, "verify-email")
    assert data(await gql(http, VERIFY, token=token)) == {"__typename": "Accepted"}
    signed_in = await login(http, email)
    return str(signed_in["accessToken"])


async def until(condition: Any, attempts: int = 100) -> None:
    """The engine stores fills in batches; wait for them, boundedly, without timing anything."""
    for _ in range(attempts):
        if await condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition never held")


async def test_a_friend_who_signs_up_with_your_code_and_trades_earns_you_rewards(
    app: Starlette, anonymous: httpx.AsyncClient
) -> None:
    http = anonymous
    referrer = (await open_demo_account(http))["accessToken"]
    bystander = (await open_demo_account(http))["accessToken"]
    before = await referrals(http, referrer)
    assert before["signUps"] == 0 and Decimal(before["rewardsPending"]) == 0
    assert before["link"].endswith(f"/register?ref={before['code']}")
    assert (Decimal(before["feeSharePercent"]), before["rewardPeriodDays"]) == (20, 90)

    friend = await sign_up_with_code(http, FRIEND, before["code"])
    assert data(await gql(http, FAUCET, bearer=friend)) == {"__typename": "TransferSuccess"}
    http.headers["Authorization"] = f"Bearer {friend}"
    filled = await market_order_until_filled(
        http, symbol="BTC-USDT-PERP", side="BUY", size="0.01", leverage=10
    )
    del http.headers["Authorization"]
    fee = sum(Decimal(fill["fee"]) for fill in filled["fills"])

    async def rewarded() -> bool:
        return Decimal((await referrals(http, referrer))["rewardsPending"]) > 0

    await until(rewarded)
    venue = app.state.venue

    async def volume_recorded() -> bool:
        await venue.referrals.record_activity()
        return (await referrals(http, referrer))["refereeTrades"] > 0

    await until(volume_recorded)
    after = await referrals(http, referrer)
    assert after["signUps"] == 1 and after["activeReferees"] == 1
    assert Decimal(after["rewardsPending"]) == (fee * Decimal("0.2")).quantize(
        Decimal("0.000001"), rounding="ROUND_DOWN"
    )
    assert Decimal(after["refereeVolume"]) > 0
    assert Decimal(after["rewardsPaid"]) == 0  # paid once the day is over
    # Counted, never named: nothing about the friend is in the referrer's answer.
    raw = await http.post(
        "/graphql",
        json={"query": MY_REFERRALS},
        headers={"Authorization": f"Bearer {referrer}"},
    )
    assert FRIEND not in raw.text

    # Nobody else's figures move: not the bystander's, not the friend's own.
    for other in (bystander, friend):
        theirs = await referrals(http, other)
        assert theirs["signUps"] == 0 and theirs["refereeTrades"] == 0
        assert Decimal(theirs["rewardsPending"]) == 0


async def test_referral_figures_are_for_the_signed_in_account_only(
    anonymous: httpx.AsyncClient,
) -> None:
    body = await gql(anonymous, MY_REFERRALS)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert data(await gql(anonymous, MAILBOX, email=FRIEND)) == []
