"""GraphQL over HTTP: the queries and mutations a client uses, and every kind of bad input."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from starlette.applications import Starlette

BALANCES = "{ balances { asset available locked total } }"
TRANSFER = """
mutation Move($amount: Decimal!, $key: String!) {
  withdraw(input: {amount: $amount, idempotencyKey: $key}) {
    __typename
    ... on UserError { code message }
    ... on TransferSuccess { entryId replayed balances { available } }
  }
}
"""
DEPOSIT = TRANSFER.replace("withdraw(", "faucet(")


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def available(client: httpx.AsyncClient) -> str:
    body = await gql(client, BALANCES)
    return str(body["data"]["balances"][0]["available"])


async def test_server_info_reports_version_mode_and_time(client: httpx.AsyncClient) -> None:
    body = await gql(client, "{ serverInfo { version mode serverTime } }")
    info = body["data"]["serverInfo"]
    assert info["mode"] == "DEMO"
    assert info["version"] == "0.1.0"
    assert info["serverTime"].endswith("+00:00")


async def test_a_demo_account_starts_with_ten_thousand_usdt(client: httpx.AsyncClient) -> None:
    body = await gql(client, BALANCES)
    assert body["data"]["balances"] == [
        {
            "asset": "USDT",
            "available": "10000.000000",
            "locked": "0.000000",
            "total": "10000.000000",
        }
    ]


async def test_a_withdrawal_moves_the_balance_once_even_when_replayed(
    client: httpx.AsyncClient,
) -> None:
    first = (await gql(client, TRANSFER, amount="12.345678", key="w-1"))["data"]["withdraw"]
    again = (await gql(client, TRANSFER, amount="12.345678", key="w-1"))["data"]["withdraw"]

    assert first["__typename"] == "TransferSuccess"
    assert first["replayed"] is False
    assert again["replayed"] is True
    assert again["entryId"] == first["entryId"]
    assert await available(client) == "9987.654322"


async def test_a_reused_key_with_another_amount_is_a_typed_error(
    client: httpx.AsyncClient,
) -> None:
    await gql(client, TRANSFER, amount="1", key="w-2")
    result = (await gql(client, TRANSFER, amount="2", key="w-2"))["data"]["withdraw"]
    assert result["__typename"] == "IdempotencyKeyReusedError"
    assert result["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await available(client) == "9999.000000"


@pytest.mark.parametrize(
    ("mutation", "amount", "typename", "code"),
    [
        # An unverified (KYC NONE) account may take out 1,000 USDT a day.
        (TRANSFER, "20000", "LimitExceededError", "KYC_LIMIT_EXCEEDED"),
        (TRANSFER, "0", "InvalidAmountError", "INVALID_AMOUNT"),
        (TRANSFER, "-5", "InvalidAmountError", "INVALID_AMOUNT"),
        (TRANSFER, "0.0000001", "InvalidAmountError", "INVALID_AMOUNT"),
        (DEPOSIT, "0.000001", "DepositLimitExceededError", "DEPOSIT_LIMIT_EXCEEDED"),
        (TRANSFER, "1000.000001", "LimitExceededError", "KYC_LIMIT_EXCEEDED"),
    ],
)
async def test_refused_transfers_are_typed_errors_and_move_nothing(
    client: httpx.AsyncClient, mutation: str, amount: str, typename: str, code: str
) -> None:
    result = (await gql(client, mutation, amount=amount, key="k"))["data"]
    payload = next(iter(result.values()))
    assert payload["__typename"] == typename
    assert payload["code"] == code
    assert payload["message"]
    assert await available(client) == "10000.000000"


async def test_an_overlong_idempotency_key_is_refused(client: httpx.AsyncClient) -> None:
    result = (await gql(client, TRANSFER, amount="1", key="k" * 65))["data"]["withdraw"]
    assert result["__typename"] == "InvalidRequestError"
    assert await available(client) == "10000.000000"


async def test_the_faucet_refills_up_to_its_daily_cap(client: httpx.AsyncClient) -> None:
    # The opening 10,000 USDT used today's faucet allowance; spend some and it stays used.
    await gql(client, TRANSFER, amount="500", key="w-cap")
    refused = (await gql(client, DEPOSIT, amount="0.5", key="d-1"))["data"]["faucet"]
    assert refused["code"] == "DEPOSIT_LIMIT_EXCEEDED"
    assert "0 USDT left today" in refused["message"]
    assert await available(client) == "9500.000000"


@pytest.mark.parametrize(
    "bad", ["1e309", "NaN", "Infinity", "-0", "-0.00", "12.3.4", "8" * 80, "", " 1", "+1", "1."]
)
async def test_bad_decimal_strings_are_clear_graphql_errors(
    client: httpx.AsyncClient, bad: str
) -> None:
    body = await gql(client, TRANSFER, amount=bad, key="bad-decimal")
    assert body["data"] is None
    [error] = body["errors"]
    assert "Decimal" in error["message"]
    assert "Traceback" not in error["message"]
    assert await available(client) == "10000.000000"


async def test_a_decimal_sent_as_a_json_number_is_refused(client: httpx.AsyncClient) -> None:
    body = await gql(client, TRANSFER, amount=12.5, key="number")
    assert "Decimal values are JSON strings" in body["errors"][0]["message"]


async def test_a_bad_decimal_literal_in_the_document_is_refused(client: httpx.AsyncClient) -> None:
    query = 'mutation { faucet(input: {amount: "1e9", idempotencyKey: "x"}) { __typename } }'
    body = await gql(client, query)
    assert body["data"] is None
    assert "Decimal" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("{ serverInfo { version ", "Syntax Error"),
        ("{ nope }", "Cannot query field 'nope'"),
        ("{ serverInfo { version } } extra", "Syntax Error"),
        ("{ " + " ".join(f"a{n}: serverInfo {{ version }}" for n in range(31)) + " }", "aliases"),
        ("{ serverInfo { " + "version " * 2500 + "} }", "token"),
    ],
)
async def test_malformed_and_abusive_documents_are_refused_clearly(
    client: httpx.AsyncClient, query: str, expected: str
) -> None:
    body = await gql(client, query)
    assert body.get("data") is None
    assert expected.lower() in body["errors"][0]["message"].lower()


async def test_an_over_deep_query_is_refused(client: httpx.AsyncClient) -> None:
    # Today's schema is shallow, so the limit is checked on a document deeper than any
    # valid one; the depth rule runs alongside field validation and names the limit.
    query = "{ me " + "{ balances " * 11 + "{ asset }" + " }" * 12
    body = await gql(client, query)
    messages = [error["message"] for error in body["errors"]]
    assert any("exceeds maximum operation depth of 10" in message for message in messages)


async def test_a_body_that_is_not_json_gets_a_json_graphql_error(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["message"] == "Unable to parse request body as JSON"
    assert body["extensions"]["requestId"] == response.headers["x-request-id"]


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ serverInfo { mode } }"})
    request_id = response.headers["x-request-id"]
    assert len(request_id) == 32
    assert response.json()["extensions"]["requestId"] == request_id

    chosen = await client.post(
        "/graphql",
        json={"query": "{ serverInfo { mode } }"},
        headers={"x-request-id": "trace-abc-123"},
    )
    assert chosen.headers["x-request-id"] == "trace-abc-123"
    hostile = await client.get("/healthz", headers={"x-request-id": "<script>alert(1)</script>"})
    assert hostile.headers["x-request-id"] != "<script>alert(1)</script>"


async def test_an_internal_fault_is_masked_and_traceable(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # Break the database for real: the resolver's SQL fails inside the server.
    async with app.state.venue.database.transaction() as connection:
        await connection.execute(text("DROP TABLE price_candle"))
    query = """{ candles(symbol: "BTC-USDT-PERP", interval: ONE_MINUTE,
        from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z") { close } }"""
    response = await client.post("/graphql", json={"query": query})

    assert response.status_code == 200
    body = response.json()
    assert body["errors"][0]["message"] == "Internal error."
    assert "price_candle" not in response.text
    assert body["extensions"]["requestId"] == response.headers["x-request-id"]


async def test_graphiql_is_served_on_get(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_queries_are_not_accepted_over_get(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "{ serverInfo { mode } }"})
    assert response.status_code in (400, 405)


async def test_a_repeated_document_is_validated_once(client: httpx.AsyncClient) -> None:
    # Validation is most of a small query's cost; the cache must hit across requests.
    from api.schema import _cached_validation as cache

    query = "{ serverInfo { version } cacheProbe: serverInfo { mode } }"
    await gql(client, query)
    before = cache.cache_info()
    for _ in range(3):
        await gql(client, query)
    after = cache.cache_info()
    assert after.hits - before.hits == 3
    assert after.misses == before.misses


async def test_a_finished_request_leaves_nothing_for_the_cycle_collector(
    client: httpx.AsyncClient,
) -> None:
    # Left to the collector, each request's objects were freed in 25-30 ms pauses of the
    # whole server under load; freed by reference counting, they cost no pause.
    import gc

    from graphql.execution.executor import Executor

    from resolvers.context import Context

    query = "{ serverInfo { version } me { id } }"
    await gql(client, query)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(5):
            await gql(client, query)
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, Context | Executor)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert left == []
