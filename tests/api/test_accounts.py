"""Accounts through the API: the newcomer's path, and every attack of issue #6 failing."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pyotp
import pytest
from solders.keypair import Keypair
from starlette.applications import Starlette

from engine.accounts.apikeys import derive_key
from tests.api.conftest import TEST_SECRET, open_demo_account

PASSWORD = "Correct-Horse-42"
TERMS = "2026-11-01"

REGISTER = """mutation($email: String!, $password: String!, $terms: String!) {
  register(input: {email: $email, password: $password, acceptTermsVersion: $terms}) {
    __typename ... on Accepted { message } ... on UserError { code message } } }"""
LOGIN = """mutation($email: String!, $password: String!, $code: String) {
  login(input: {email: $email, password: $password, twoFactorCode: $code}) {
    __typename
    ... on SignedIn { accessToken refreshToken account { id email twoFactorEnabled } }
    ... on RateLimitedError { code message retryAfter }
    ... on UserError { code message } } }"""
MAILBOX = """query($email: String!) { demoMailbox(email: $email) { subject body } }"""
VERIFY = """mutation($token: String!) { verifyEmail(token: $token) {
  __typename ... on UserError { code } } }"""
ME = "{ me { id email emailVerified roles tier twoFactorEnabled walletAddress } }"
PLACE = """mutation($price: Decimal!) { placeOrder(input: {symbol: "BTC-USDT-PERP", side: BUY,
  type: LIMIT, size: "0.001", price: $price, leverage: 5}) {
  __typename ... on OrderPlaced { order { id status } } ... on UserError { code message } } }"""
CREATE_KEY = """mutation($name: String!, $permissions: [ApiPermission!]!, $allow: [String!]!) {
  createApiKey(input: {name: $name, permissions: $permissions, allowList: $allow}) {
    __typename ... on CreatedApiKey { key { id permissions } secret }
    ... on UserError { code message } } }"""


async def gql(
    http: httpx.AsyncClient, query: str, bearer: str | None = None, **variables: Any
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    body: dict[str, Any] = response.json()
    return body


def data(body: dict[str, Any]) -> Any:
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


def error_code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


async def register_and_verify(http: httpx.AsyncClient, email: str) -> None:
    assert data(await gql(http, REGISTER, email=email, password=PASSWORD, terms=TERMS)) == {
        "__typename": "Accepted",
        "message": "check your inbox: we sent a link to confirm the address",
    }
    token = await mailed_token(http, email, "verify-email")
    assert data(await gql(http, VERIFY, token=token)) == {"__typename": "Accepted"}


async def mailed_token(http: httpx.AsyncClient, email: str, path: str) -> str:
    for message in data(await gql(http, MAILBOX, email=email)):
        found = re.search(rf"/{path}\?token=([\w-]+)", message["body"])
        if found:
            return found.group(1)
    raise AssertionError(f"no {path} mail for {email}")


async def login(http: httpx.AsyncClient, email: str, code: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = data(await gql(http, LOGIN, email=email, password=PASSWORD, code=code))
    return result


async def signed_in(http: httpx.AsyncClient, email: str) -> str:
    await register_and_verify(http, email)
    result = await login(http, email)
    assert result["__typename"] == "SignedIn", result
    return str(result["accessToken"])


# --- the newcomer's path -------------------------------------------------------------------------


async def test_register_verify_from_the_demo_mailbox_and_log_in(
    anonymous: httpx.AsyncClient,
) -> None:
    email = "Newcomer@Example.com"
    await register_and_verify(anonymous, email)
    result = await login(anonymous, "  newcomer@example.COM ")
    assert result["__typename"] == "SignedIn"
    me = data(await gql(anonymous, ME, bearer=result["accessToken"]))
    assert me["email"] == "newcomer@example.com"
    assert me["emailVerified"] is True and me["roles"] == ["USER"] and me["tier"] == "FREE"
    # A verification link works once.
    token = await mailed_token(anonymous, email, "verify-email")
    again = data(await gql(anonymous, VERIFY, token=token))
    assert again == {"__typename": "InvalidTokenError", "code": "INVALID_TOKEN"}


async def test_login_before_verifying_is_refused(anonymous: httpx.AsyncClient) -> None:
    await gql(anonymous, REGISTER, email="early@example.com", password=PASSWORD, terms=TERMS)
    result = await login(anonymous, "early@example.com")
    assert result["code"] == "EMAIL_NOT_VERIFIED"


@pytest.mark.parametrize(
    ("email", "password", "terms", "code"),
    [
        ("weak@example.com", "short", TERMS, "WEAK_PASSWORD"),
        ("weak@example.com", "alllowercase1!", TERMS, "WEAK_PASSWORD"),
        ("weak@example.com", "P@ssw0rd", TERMS, "COMMON_PASSWORD"),
        ("weak@example.com", "A1!" + "x" * 200, TERMS, "WEAK_PASSWORD"),
        ("not-an-email", PASSWORD, TERMS, "INVALID_EMAIL"),
        ("x" * 300 + "@example.com", PASSWORD, TERMS, "INVALID_EMAIL"),
        ("someone@tempmail.com", PASSWORD, TERMS, "DISPOSABLE_EMAIL"),
        ("terms@example.com", PASSWORD, "2020-01-01", "TERMS_NOT_ACCEPTED"),
    ],
)
async def test_bad_registrations_are_typed_errors(
    anonymous: httpx.AsyncClient, email: str, password: str, terms: str, code: str
) -> None:
    result = data(await gql(anonymous, REGISTER, email=email, password=password, terms=terms))
    assert result["__typename"] == "ValidationError" and result["code"] == code
    assert result["message"]


async def test_a_lookalike_email_cannot_shadow_a_real_one(anonymous: httpx.AsyncClient) -> None:
    await register_and_verify(anonymous, "alice@example.com")
    cyrillic = data(
        await gql(
            anonymous, REGISTER, email="\u0430lice@example.com", password=PASSWORD, terms=TERMS
        )
    )
    assert cyrillic["code"] == "INVALID_EMAIL"
    # Full-width letters normalise to the real address: no second account, the owner is told.
    fullwidth = data(
        await gql(
            anonymous, REGISTER, email="\uff41lice@example.com", password=PASSWORD, terms=TERMS
        )
    )
    assert fullwidth["__typename"] == "Accepted"
    subjects = [
        m["subject"] for m in data(await gql(anonymous, MAILBOX, email="alice@example.com"))
    ]
    assert "Someone tried to register with your email" in subjects


# --- enumeration and brute force -----------------------------------------------------------------


async def test_responses_never_tell_whether_an_email_is_registered(
    anonymous: httpx.AsyncClient,
) -> None:
    await register_and_verify(anonymous, "known@example.com")
    for query, variables in [
        (REGISTER, {"password": PASSWORD, "terms": TERMS}),
        (
            "mutation($email: String!) { resendVerification(email: $email) {"
            " __typename ... on Accepted { message } } }",
            {},
        ),
        (
            "mutation($email: String!) { requestPasswordReset(email: $email) {"
            " __typename ... on Accepted { message } } }",
            {},
        ),
    ]:
        known = data(await gql(anonymous, query, email="known@example.com", **variables))
        unknown = data(await gql(anonymous, query, email="nobody@example.com", **variables))
        assert known == unknown
    wrong = data(await gql(anonymous, LOGIN, email="known@example.com", password="Wrong-Pass-1"))
    missing = data(await gql(anonymous, LOGIN, email="nobody@example.com", password="Wrong-Pass-1"))
    assert (
        wrong
        == missing
        == {
            "__typename": "InvalidCredentialsError",
            "code": "INVALID_CREDENTIALS",
            "message": "the email or the password is wrong",
        }
    )


async def test_brute_force_is_throttled_for_known_and_unknown_emails(
    anonymous: httpx.AsyncClient,
) -> None:
    await register_and_verify(anonymous, "target@example.com")
    for email in ("target@example.com", "ghost@example.com"):
        codes = [
            data(await gql(anonymous, LOGIN, email=email, password=f"Guess-{n}-x"))["code"]
            for n in range(6)
        ]
        assert codes == ["INVALID_CREDENTIALS"] * 5 + ["RATE_LIMITED"]
    # Even the right password waits out the lock: the attacker learns nothing from it.
    locked = await login(anonymous, "target@example.com")
    assert locked["__typename"] == "RateLimitedError" and locked["retryAfter"] > 60


# --- two-factor ----------------------------------------------------------------------------------


async def test_two_factor_setup_login_and_single_use_backup_codes(
    anonymous: httpx.AsyncClient,
) -> None:
    email = "twofa@example.com"
    token = await signed_in(anonymous, email)
    setup = data(
        await gql(
            anonymous,
            "mutation { beginTwoFactorSetup {"
            " ... on TwoFactorSetup { secret otpauthUri qrCode } } }",
            bearer=token,
        )
    )
    assert setup["otpauthUri"].startswith("otpauth://totp/GoDark")
    assert base64.b64decode(setup["qrCode"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    totp = pyotp.TOTP(setup["secret"])
    confirm = """mutation($code: String!) { confirmTwoFactor(code: $code) {
      __typename ... on BackupCodes { codes } ... on UserError { code } } }"""
    assert (
        data(await gql(anonymous, confirm, bearer=token, code="000000"))["__typename"]
        != "BackupCodes"
    )
    codes = data(await gql(anonymous, confirm, bearer=token, code=totp.now()))["codes"]
    assert len(set(codes)) == 10

    assert (await login(anonymous, email))["code"] == "TWO_FACTOR_REQUIRED"
    assert (await login(anonymous, email, "123456"))["code"] == "INVALID_TWO_FACTOR_CODE"
    assert (await login(anonymous, email, codes[0]))["__typename"] == "SignedIn"
    assert (await login(anonymous, email, codes[0]))["code"] == "INVALID_TWO_FACTOR_CODE"
    # The code just used to confirm cannot be replayed within its 30 s step.
    with_totp = await login(anonymous, email, totp.now())
    assert with_totp["__typename"] in ("InvalidCredentialsError", "SignedIn")
    activity = data(await gql(anonymous, "{ activity { kind } }", bearer=token))
    assert "TWO_FACTOR_ENABLED" in [a["kind"] for a in activity]


# --- sessions and tokens -------------------------------------------------------------------------


REFRESH = """mutation($token: String!) { refreshSession(refreshToken: $token) {
  __typename ... on SignedIn { accessToken refreshToken } ... on UserError { code } } }"""


async def test_refresh_tokens_rotate_and_a_reused_one_revokes_the_session(
    anonymous: httpx.AsyncClient,
) -> None:
    await register_and_verify(anonymous, "rotate@example.com")
    first = await login(anonymous, "rotate@example.com")
    second = data(await gql(anonymous, REFRESH, token=first["refreshToken"]))
    assert second["__typename"] == "SignedIn"
    assert (
        data(await gql(anonymous, ME, bearer=second["accessToken"]))["email"]
        == "rotate@example.com"
    )

    stolen = data(await gql(anonymous, REFRESH, token=first["refreshToken"]))
    assert stolen == {"__typename": "InvalidTokenError", "code": "INVALID_TOKEN"}
    # The whole family is gone: the legitimate holder's tokens stop working at once.
    assert error_code(await gql(anonymous, ME, bearer=second["accessToken"])) == "UNAUTHENTICATED"
    after = data(await gql(anonymous, REFRESH, token=second["refreshToken"]))
    assert after["code"] == "INVALID_TOKEN"


async def test_logout_everywhere_ends_every_session_at_once(anonymous: httpx.AsyncClient) -> None:
    await register_and_verify(anonymous, "devices@example.com")
    laptop = await login(anonymous, "devices@example.com")
    phone = await login(anonymous, "devices@example.com")
    sessions = data(
        await gql(anonymous, "{ sessions { id current } }", bearer=laptop["accessToken"])
    )
    assert len(sessions) == 2 and sum(s["current"] for s in sessions) == 1
    await gql(anonymous, "mutation { logoutEverywhere { message } }", bearer=laptop["accessToken"])
    for device in (laptop, phone):
        response = await anonymous.post(
            "/graphql",
            json={"query": ME},
            headers={"Authorization": f"Bearer {device['accessToken']}"},
        )
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def _forged(claims: dict[str, Any], key: bytes | str, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


async def test_tampered_expired_and_wrong_algorithm_tokens_are_refused(
    client: httpx.AsyncClient,
) -> None:
    token = client.headers["Authorization"].split(" ", 1)[1]
    claims = jwt.decode(token, options={"verify_signature": False})
    key = derive_key(TEST_SECRET, "jwt")
    header, _payload, signature = token.split(".")
    elevated = dict(claims, roles="ADMIN,USER")
    forged_payload = base64.urlsafe_b64encode(json.dumps(elevated).encode()).rstrip(b"=").decode()
    now = int(time.time())
    bad_tokens = {
        "tampered payload": f"{header}.{forged_payload}.{signature}",
        "expired": _forged(dict(claims, iat=now - 3600, exp=now - 60), key),
        "alg none": _forged(claims, "", "none"),
        "HS512": _forged(claims, key * 2, "HS512"),
        "another key": _forged(claims, b"x" * 32),
        "garbage": "not.a.jwt",
        "oversized": "a" * 10_000,
    }
    for name, bad in bad_tokens.items():
        response = await client.post(
            "/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {bad}"}
        )
        assert response.status_code == 401, name
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", name


async def test_anonymous_callers_get_public_data_but_nothing_private(
    anonymous: httpx.AsyncClient,
) -> None:
    public = await gql(anonymous, '{ trades(symbol: "BTC-USDT-PERP") { id } me { id } }')
    assert public["data"] == {"trades": [], "me": None}
    for query in ["{ myOrders { id } }", "{ balances { asset } }", "{ apiKeys { id } }"]:
        assert error_code(await gql(anonymous, query)) == "UNAUTHENTICATED", query
    placed = await gql(anonymous, PLACE, price="1000")
    assert error_code(placed) == "UNAUTHENTICATED"


# --- one account cannot touch another's ----------------------------------------------------------


async def test_a_user_cannot_read_or_cancel_another_users_orders_or_keys(app: Starlette) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        alice = (await open_demo_account(http))["accessToken"]
        bob = (await open_demo_account(http))["accessToken"]
        order = await _place_when_prices_exist(http, bob)
        key = data(
            await gql(
                http, CREATE_KEY, bearer=bob, name="bob's bot", permissions=["TRADE"], allow=[]
            )
        )["key"]["id"]

        assert data(await gql(http, "{ myOrders { id } }", bearer=alice)) == []
        assert data(await gql(http, "{ apiKeys { id } }", bearer=alice)) == []
        cancel = (
            f'mutation {{ cancelOrder(symbol: "BTC-USDT-PERP", orderId: "{order}") '
            "{ __typename ... on UserError { code } } }"
        )
        assert data(await gql(http, cancel, bearer=alice))["code"] == "ORDER_NOT_FOUND"
        delete = (
            f'mutation {{ deleteApiKey(id: "{key}", password: "x") '
            "{ __typename ... on UserError { code } } }"
        )
        assert data(await gql(http, delete, bearer=alice))["code"] in (
            "INVALID_CREDENTIALS",
            "NOT_FOUND",
        )
        # Bob's order and key are untouched.
        assert [o["id"] for o in data(await gql(http, "{ myOrders { id } }", bearer=bob))] == [
            order
        ]
        assert len(data(await gql(http, "{ apiKeys { id } }", bearer=bob))) == 1


async def _place_when_prices_exist(http: httpx.AsyncClient, token: str) -> str:
    for _ in range(100):
        result = data(await gql(http, PLACE, bearer=token, price="1000"))
        if result["__typename"] == "OrderPlaced":
            return str(result["order"]["id"])
        await asyncio.sleep(0.1)
    raise AssertionError(f"no order placed: {result}")


# --- API keys ------------------------------------------------------------------------------------


def _signed_headers(key: str, secret: str, body: bytes, stamp: str | None = None) -> dict[str, str]:
    stamp = stamp or str(int(time.time() * 1000))
    signature = hmac.new(
        secret.encode(), stamp.encode() + b"POST/graphql" + body, hashlib.sha256
    ).hexdigest()
    return {
        "content-type": "application/json",
        "X-GoDark-Key": key,
        "X-GoDark-Timestamp": stamp,
        "X-GoDark-Signature": signature,
    }


async def test_api_keys_sign_requests_and_refuse_replays_and_stale_or_bad_signatures(
    client: httpx.AsyncClient,
) -> None:
    token = client.headers["Authorization"].split(" ", 1)[1]
    created = data(
        await gql(client, CREATE_KEY, bearer=token, name="reader", permissions=["READ"], allow=[])
    )
    key, secret = created["key"]["id"], created["secret"]
    anonymous = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    body = json.dumps({"query": "{ balances { available } }"}).encode()

    headers = _signed_headers(key, secret, body)
    ok = await anonymous.post("/graphql", content=body, headers=headers)
    assert ok.status_code == 200 and ok.json()["data"]["balances"][0]["available"] == "10000.000000"

    replayed = await anonymous.post("/graphql", content=body, headers=headers)
    assert replayed.json()["errors"][0]["extensions"]["code"] == "REPLAYED_SIGNATURE"

    stale = _signed_headers(key, secret, body, str(int(time.time() * 1000) - 6_000))
    response = await anonymous.post("/graphql", content=body, headers=stale)
    assert response.json()["errors"][0]["extensions"]["code"] == "STALE_SIGNATURE"

    forged = _signed_headers(key, "not-the-secret", body)
    response = await anonymous.post("/graphql", content=body, headers=forged)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_SIGNATURE"

    # A READ key cannot trade.
    order = json.dumps({"query": PLACE, "variables": {"price": "1000"}}).encode()
    refused = await anonymous.post(
        "/graphql", content=order, headers=_signed_headers(key, secret, order)
    )
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Nor manage keys, whatever its permissions: that needs a person's session.
    listing = json.dumps({"query": "{ apiKeys { id } }"}).encode()
    refused = await anonymous.post(
        "/graphql", content=listing, headers=_signed_headers(key, secret, listing)
    )
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await anonymous.aclose()


async def test_api_key_rules_allow_list_and_the_limit_of_five(client: httpx.AsyncClient) -> None:
    token = client.headers["Authorization"].split(" ", 1)[1]
    elsewhere = data(
        await gql(
            client,
            CREATE_KEY,
            bearer=token,
            name="office",
            permissions=["TRADE"],
            allow=["203.0.113.0/24"],
        )
    )
    body = json.dumps({"query": "{ balances { available } }"}).encode()
    response = await client.post(
        "/graphql",
        content=body,
        headers={
            **_signed_headers(elsewhere["key"]["id"], elsewhere["secret"], body),
            "Authorization": "",
        },
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "IP_NOT_ALLOWED"

    bad = data(
        await gql(
            client, CREATE_KEY, bearer=token, name="x", permissions=["TRADE"], allow=["999.1.1.1"]
        )
    )
    assert bad["code"] == "INVALID_ALLOW_LIST"
    for n in range(4):
        made = data(
            await gql(
                client, CREATE_KEY, bearer=token, name=f"k{n}", permissions=["READ"], allow=[]
            )
        )
        assert made["__typename"] == "CreatedApiKey"
    sixth = data(
        await gql(client, CREATE_KEY, bearer=token, name="k6", permissions=["READ"], allow=[])
    )
    assert sixth["code"] == "TOO_MANY_KEYS"


# --- wallets -------------------------------------------------------------------------------------


CHALLENGE = """mutation($address: String!) { walletChallenge(address: $address) {
  __typename ... on WalletChallenge { nonce message } ... on UserError { code } } }"""
LINK = """mutation($nonce: String!, $signature: String!) {
  linkWallet(nonce: $nonce, signature: $signature) {
  __typename ... on Account { walletAddress } ... on UserError { code } } }"""


async def test_a_wallet_links_by_signature_once_and_to_one_account_only(app: Starlette) -> None:
    wallet = Keypair()
    address = str(wallet.pubkey())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        alice = (await open_demo_account(http))["accessToken"]
        mallory = (await open_demo_account(http))["accessToken"]

        challenge = data(await gql(http, CHALLENGE, bearer=alice, address=address))
        assert address in challenge["message"]
        wrong = str(Keypair().sign_message(challenge["message"].encode()))
        assert (
            data(await gql(http, LINK, bearer=alice, nonce=challenge["nonce"], signature=wrong))[
                "code"
            ]
            == "BAD_WALLET_SIGNATURE"
        )
        signature = str(wallet.sign_message(challenge["message"].encode()))
        linked = data(
            await gql(http, LINK, bearer=alice, nonce=challenge["nonce"], signature=signature)
        )
        assert linked == {"__typename": "Account", "walletAddress": address}
        # The same signed challenge cannot be used again, by anyone.
        again = data(
            await gql(http, LINK, bearer=mallory, nonce=challenge["nonce"], signature=signature)
        )
        assert again["code"] == "INVALID_NONCE"
        # Mallory signs her own challenge for Alice's wallet? She has no key; even with one,
        # the wallet is taken.
        theirs = data(await gql(http, CHALLENGE, bearer=mallory, address=address))
        signed = str(wallet.sign_message(theirs["message"].encode()))
        taken = data(await gql(http, LINK, bearer=mallory, nonce=theirs["nonce"], signature=signed))
        assert taken["code"] == "WALLET_TAKEN"
        assert (
            data(await gql(http, CHALLENGE, bearer=alice, address="not-base58!"))["code"]
            == "INVALID_WALLET"
        )


# --- roles and critical operations ---------------------------------------------------------------


async def test_users_cannot_use_admin_or_emergency_powers(client: httpx.AsyncClient) -> None:
    for query in [
        "{ proposals { id } }",
        "{ amlFlags { id } }",
        "{ mailOutbox { id } }",
        'mutation { proposeOperation(operation: "CHANGE_FEES", '
        'parameters: {symbol: "BTC-USDT-PERP"}) { __typename } }',
        'mutation { setEmergencyPause(level: 4, reason: "x") { __typename } }',
        'mutation { setAccountRoles(accountId: "acc_x", roles: [ADMIN]) { __typename } }',
    ]:
        assert error_code(await gql(client, query)) == "FORBIDDEN", query


async def test_password_reset_ends_every_session(anonymous: httpx.AsyncClient) -> None:
    email = "forgetful@example.com"
    old = await signed_in(anonymous, email)
    await gql(
        anonymous,
        "mutation($email: String!) { requestPasswordReset(email: $email) { __typename } }",
        email=email,
    )
    token = await mailed_token(anonymous, email, "reset-password")
    reset = """mutation($token: String!, $password: String!) {
      resetPassword(token: $token, newPassword: $password) {
      __typename ... on UserError { code } } }"""
    assert data(await gql(anonymous, reset, token=token, password="Brand-New-Pass-7")) == {
        "__typename": "Accepted"
    }
    assert (
        data(await gql(anonymous, reset, token=token, password="Other-New-Pass-8"))["code"]
        == "INVALID_TOKEN"
    )
    response = await anonymous.post(
        "/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {old}"}
    )
    assert response.status_code == 401
    fresh = data(await gql(anonymous, LOGIN, email=email, password="Brand-New-Pass-7"))
    assert fresh["__typename"] == "SignedIn"


async def test_deletion_needs_an_empty_account_and_keeps_a_grace_period(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    demo_delete = (
        'mutation { deleteAccount(password: "whatever") { __typename ... on UserError { code } } }'
    )
    assert data(await gql(client, demo_delete))["code"] == "INVALID_CREDENTIALS"

    token = await signed_in(anonymous, "leaving@example.com")
    delete = """mutation($password: String!) { deleteAccount(password: $password) {
      __typename ... on DeletionScheduled { eraseAfter } ... on UserError { code } } }"""
    scheduled = data(await gql(anonymous, delete, bearer=token, password=PASSWORD))
    erase_after = datetime.fromisoformat(scheduled["eraseAfter"])
    assert erase_after - datetime.now(UTC) > timedelta(days=29)
    exported_after = await anonymous.post(
        "/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"}
    )
    assert exported_after.status_code == 401  # signed out everywhere


async def test_the_data_export_holds_the_account_its_activity_and_trading(
    anonymous: httpx.AsyncClient,
) -> None:
    token = await signed_in(anonymous, "gdpr@example.com")
    export = data(await gql(anonymous, "{ exportMyData }", bearer=token))
    assert export["account"]["email"] == "gdpr@example.com"
    assert {"REGISTERED", "EMAIL_VERIFIED", "LOGIN"} <= {a["kind"] for a in export["activity"]}
    assert export["trading"]["balances"][0]["available"] == "0.000000"
    assert "password" not in json.dumps(export).lower().replace("password_", "")


async def test_a_demo_visitor_sets_a_password_then_unlinks_the_wallet_with_it(
    client: httpx.AsyncClient,
) -> None:
    wallet = Keypair()
    challenge = data(await gql(client, CHALLENGE, address=str(wallet.pubkey())))
    signature = str(wallet.sign_message(challenge["message"].encode()))
    await gql(client, LINK, nonce=challenge["nonce"], signature=signature)
    change = """mutation($current: String!, $new: String!) {
      changePassword(currentPassword: $current, newPassword: $new) {
        __typename ... on UserError { code } } }"""
    assert data(await gql(client, change, current="", new=PASSWORD)) == {"__typename": "Accepted"}
    # Once set, the empty "current password" no longer works.
    assert data(await gql(client, change, current="", new="Other-Pass-99"))["code"] == (
        "INVALID_CREDENTIALS"
    )
    unlink = """mutation($password: String!) { unlinkWallet(password: $password) {
      __typename ... on Account { walletAddress } ... on UserError { code } } }"""
    assert data(await gql(client, unlink, password="Wrong-Pass-1"))["code"] == "INVALID_CREDENTIALS"
    assert data(await gql(client, unlink, password=PASSWORD)) == {
        "__typename": "Account",
        "walletAddress": None,
    }
