"""Hostile clients: Schemathesis fuzzes every query and mutation of the GraphQL API, valid
and invalid, and a raw WebSocket client breaks the graphql-transport-ws protocol.

The server runs as a real `godark serve` on loopback with the demo. Every generated
request, signed in as a demo trader, must get a GraphQL answer: never an HTTP 5xx, never
the masked "Internal error." (which means a resolver crashed), and never a leak of the
server's insides (a traceback, a file path, a SQL statement).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.graphql import nodes
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from api.graphql import MAX_MESSAGE_BYTES
from tests.servers import running_server

# Bounded: a few cases per operation and mode keeps the whole run near a minute.
CASES_PER_OPERATION = 4

# The API's own scalars, so that valid cases reach the resolvers instead of stopping at
# the scalar parser; negative mode still sends the wrong types.
schemathesis.graphql.scalar(
    "Decimal",
    st.from_regex(r"-?\d{1,7}(\.\d{1,8})?", fullmatch=True).map(nodes.String),
)
schemathesis.graphql.scalar("JSON", st.just(nodes.Object([])))

LEAKS = re.compile(r"Traceback|File \"|\.py\b|sqlalchemy|asyncpg|SELECT |INSERT |UPDATE ")

# Mutations that end the fuzzer's own session would turn the rest of the run into
# UNAUTHENTICATED answers; they are exercised by their own tests.
SESSION_ENDING = {"logout", "logoutEverywhere", "deleteAccount", "revokeSession"}


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # Rate limits would answer most cases with RATE_LIMITED before they reach a resolver.
    with running_server(tmp_path_factory.mktemp("fuzz"), RATE_LIMITS="false") as url:
        yield url


@pytest.fixture(scope="module")
def demo_token(fuzz_server: str) -> str:
    response = httpx.post(
        f"{fuzz_server}/graphql",
        json={"query": "mutation { openDemoAccount { ... on SignedIn { accessToken } } }"},
        timeout=30,
    )
    token: str = response.json()["data"]["openDemoAccount"]["accessToken"]
    return token


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_request_crashes_the_api_or_leaks_its_insides(
    fuzz_server: str, demo_token: str, mode: GenerationMode
) -> None:
    api = schemathesis.graphql.from_url(f"{fuzz_server}/graphql")
    headers = {"Authorization": f"Bearer {demo_token}"}
    failures: dict[str, str] = {}
    fuzzed = 0
    for loaded in api.get_all_operations():
        operation = loaded.ok()
        if operation.label.split(".", 1)[1] in SESSION_ENDING:
            continue
        try:
            _fuzz(operation, mode, headers)
        except AssertionError as failure:
            failures[operation.label] = str(failure)[:600]
        fuzzed += 1

    assert fuzzed > 80, "the schema lost most of its operations"
    assert not failures, "\n\n".join(f"{label}: {why}" for label, why in failures.items())


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=CASES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def each_case(case: Any) -> None:
        response = case.call(headers=headers, timeout=30)
        assert response.status_code < 500, (case.body, response.text)
        assert not LEAKS.search(response.text), (case.body, response.text)
        messages = [error.get("message") for error in response.json().get("errors") or []]
        assert "Internal error." not in messages, (case.body, response.text)

    each_case()


# --- A hostile graphql-transport-ws client -----------------------------------------------

PROTOCOL = "graphql-transport-ws"
HEARTBEAT = {"query": "subscription { heartbeat { sequence } }"}


def _ws_url(http_url: str) -> str:
    return http_url.replace("http://", "ws://", 1) + "/graphql"


async def _acknowledged(url: str) -> ClientConnection:
    ws = await connect(_ws_url(url), subprotocols=[PROTOCOL], max_size=None)
    await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
    return ws


async def _close_code(ws: ClientConnection) -> int | None:
    """Reads until the server closes the socket; returns the code it sent."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), 10)
    return closed.value.rcvd.code if closed.value.rcvd is not None else None


async def _still_serving(url: str) -> None:
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{url}/healthz", timeout=10)).status_code == 200
    ws = await _acknowledged(url)
    async with ws:
        await ws.send(json.dumps({"id": "alive", "type": "subscribe", "payload": HEARTBEAT}))
        while (message := json.loads(await asyncio.wait_for(ws.recv(), 10)))["type"] == "ping":
            await ws.send(json.dumps({"type": "pong"}))
        assert message["type"] == "next"


HOSTILE_MESSAGES = [
    pytest.param([{"type": "connection_init"}], 4429, id="a second connection_init"),
    pytest.param(
        [
            {"id": "same", "type": "subscribe", "payload": HEARTBEAT},
            {"id": "same", "type": "subscribe", "payload": HEARTBEAT},
        ],
        4409,
        id="a subscription id used twice",
    ),
    pytest.param([{"type": "subscribe", "payload": HEARTBEAT}], 4400, id="subscribe without id"),
    pytest.param([{"id": "x", "type": "subscribe"}], 4400, id="subscribe without payload"),
    pytest.param([{"id": "x", "type": "teleport"}], 4400, id="an unknown message type"),
    pytest.param([["not", "an", "object"]], 4400, id="a JSON array"),
    pytest.param([{"type": "next", "id": "x", "payload": {}}], 4400, id="a server-only message"),
]


@pytest.mark.parametrize(("messages", "code"), HOSTILE_MESSAGES)
async def test_protocol_violations_close_with_the_protocol_code(
    fuzz_server: str, messages: list[Any], code: int
) -> None:
    ws = await _acknowledged(fuzz_server)
    for message in messages:
        await ws.send(json.dumps(message))

    assert await _close_code(ws) == code
    await _still_serving(fuzz_server)


async def test_an_oversized_message_closes_with_message_too_big(fuzz_server: str) -> None:
    ws = await _acknowledged(fuzz_server)
    padding = "x" * (MAX_MESSAGE_BYTES + 1)
    await ws.send(json.dumps({"id": "big", "type": "subscribe", "payload": {"query": padding}}))

    assert await _close_code(ws) == 1009
    await _still_serving(fuzz_server)


async def test_a_binary_frame_closes_the_connection(fuzz_server: str) -> None:
    ws = await _acknowledged(fuzz_server)
    await ws.send(b"\x00\xff" * 16)

    assert await _close_code(ws) == 4400
    await _still_serving(fuzz_server)


async def test_completing_an_unknown_subscription_is_harmless(fuzz_server: str) -> None:
    ws = await _acknowledged(fuzz_server)
    async with ws:
        await ws.send(json.dumps({"id": "never-started", "type": "complete"}))
        await ws.send(json.dumps({"type": "pong"}))  # a pong nobody asked for
        await ws.send(json.dumps({"id": "after", "type": "subscribe", "payload": HEARTBEAT}))
        while (message := json.loads(await asyncio.wait_for(ws.recv(), 10)))["type"] == "ping":
            await ws.send(json.dumps({"type": "pong"}))
        assert message == {"id": "after", "type": "next", "payload": message["payload"]}


async def test_a_client_that_never_initialises_is_closed(fuzz_server: str) -> None:
    ws = await connect(_ws_url(fuzz_server), subprotocols=[PROTOCOL])
    assert await _close_code(ws) == 4408
