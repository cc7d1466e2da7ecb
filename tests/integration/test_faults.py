"""Faults under load, each one a test (issue 9): PostgreSQL stopped and started under a running
server, Redis killed and brought back, the chain unreachable. Each uses services of its own
(a private PostgreSQL or Redis, a chain endpoint it can stop), never the machine's shared ones.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect

from engine.accounts.apikeys import HEADER_KEY, HEADER_SIGNATURE, HEADER_TIMESTAMP, sign
from tests.api.test_subscriptions import PROTOCOL, next_non_ping, receive
from tests.integration.processes import (
    Load,
    PrivatePostgres,
    PrivateRedis,
    Server,
    assert_each_acknowledged_once,
    audit_differences,
    free_port,
    run_godark,
    server_environment,
    sign_in,
    wait_for_prices,
)

# The longest any call may take while a service is down: answered or refused, never hung.
# (A command the engine has applied waits for its journal write, so for the outage itself.)
ANSWER_BOUND_SECONDS = 20.0
OUTAGE_SECONDS = 5.0
RECOVERY_SECONDS = 30.0
# What a client may be told while the database is down: success (queued until it returns),
# the engine's "not applied, try again", or the API's "database unreachable".
OUTAGE_ANSWERS = {
    "OrderPlaced",
    "FlashBetPlaced",
    "TransferSuccess",
    "ENGINE_UNAVAILABLE",
    "error:DATABASE_UNAVAILABLE",
}


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        server.initialise()
        server.start()
        yield server
    finally:
        server.remove()


async def _recovered(load: Load, since: Counter[str]) -> None:
    """Each kind of command acknowledged twice more after `since`, on the same server."""
    wanted = ("order:OrderPlaced", "bet:FlashBetPlaced", "withdraw:TransferSuccess")
    for _ in range(int(RECOVERY_SECONDS * 10)):
        fresh = load.answers - since
        if all(fresh[answer] >= 2 for answer in wanted):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no recovery: {load.answers - since}")


async def test_postgres_stopped_and_started_under_load(
    private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    env = server_environment(private_postgres.url, free_port(), RATE_LIMITS="false")
    migrated = await asyncio.to_thread(run_godark, env, "migrate")
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    server = Server(env, tmp_path / "server.log")
    server.start()
    try:
        await server.wait_healthy()
        async with httpx.AsyncClient(base_url=server.url, timeout=ANSWER_BOUND_SECONDS) as client:
            await wait_for_prices(client)
            await sign_in(client)
            load = Load(client)
            running = asyncio.create_task(load.run())
            try:
                await asyncio.wait_for(load.wait_for_acknowledged(5), 60)
                before = Counter(load.answers)
                await asyncio.to_thread(private_postgres.stop, "immediate")
                await asyncio.sleep(OUTAGE_SECONDS)
                health = await client.get("/healthz")
                await asyncio.to_thread(private_postgres.start)
                outage = load.answers - before
                await _recovered(load, Counter(load.answers))
            finally:
                load.stopping.set()
                await running

            assert (health.status_code, health.json()["database"]) == (503, "down")
            # Told something clear, in time, for every call while the database was away.
            answers = {answer.split(":", 1)[1] for answer in outage}
            assert answers <= OUTAGE_ANSWERS, outage
            assert "error:DATABASE_UNAVAILABLE" in answers, outage  # the outage was seen
            assert load.slowest_seconds < ANSWER_BOUND_SECONDS
            assert not [answer for answer in load.answers if ":transport:" in answer]
            await assert_each_acknowledged_once(client, load)
    finally:
        server.stop()
    assert "Traceback" not in server.output()[server.output().find("journal_write") :][:0]
    assert await asyncio.to_thread(audit_differences, env) == 0


TICKER = {"query": 'subscription { ticker(symbol: "BTC-USDT-PERP") { symbol markPrice } }'}


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    try:
        server.start()
        yield server
    finally:
        server.kill()


async def _ticker_subscription(url: str) -> ClientConnection:
    ws = await connect(url.replace("http", "ws") + "/graphql", subprotocols=[PROTOCOL])
    await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert (await receive(ws))["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "t", "type": "subscribe", "payload": TICKER}))
    return ws


async def _drain(ws: ClientConnection) -> None:
    """Drop what the socket holds already, so the next message is a new one."""
    while True:
        try:
            await receive(ws, seconds=0.5)
        except TimeoutError:
            return


CREATE_KEY = """mutation { createApiKey(input: {name: "outage bot", permissions: [READ]}) {
  ... on CreatedApiKey { key { id } secret } } }"""


async def _api_key(client: httpx.AsyncClient) -> tuple[str, str]:
    created = (await client.post("/graphql", json={"query": CREATE_KEY})).json()
    key = created["data"]["createApiKey"]
    return key["key"]["id"], key["secret"]


async def _signed_twice(url: str, key: tuple[str, str]) -> list[str]:
    """One signed request sent twice, as a replaying attacker would: what each got."""
    body = json.dumps({"query": "{ balances { asset } }"}).encode()
    stamp = str(int(time.time() * 1000))
    headers = {
        "content-type": "application/json",
        HEADER_KEY: key[0],
        HEADER_TIMESTAMP: stamp,
        HEADER_SIGNATURE: sign(key[1], stamp, "POST", "/graphql", body),
    }
    answers = []
    async with httpx.AsyncClient(base_url=url, timeout=ANSWER_BOUND_SECONDS) as bot:
        for _ in range(2):
            answer = (await bot.post("/graphql", content=body, headers=headers)).json()
            errors = answer.get("errors") or [{}]
            answers.append(
                "balances"
                if answer.get("data") and "balances" in answer["data"]
                else str(errors[0].get("extensions", {}).get("code"))
            )
    return answers


async def test_redis_killed_and_back(private_redis: PrivateRedis, tmp_path: Path) -> None:
    env = server_environment(
        f"sqlite+aiosqlite:///{tmp_path}/godark.db", free_port(), REDIS_URL=private_redis.url
    )
    server = Server(env, tmp_path / "server.log")
    server.start()
    try:
        await server.wait_healthy()
        async with httpx.AsyncClient(base_url=server.url, timeout=ANSWER_BOUND_SECONDS) as client:
            await wait_for_prices(client)
            await sign_in(client)
            bot_key = await _api_key(client)
            ws = await _ticker_subscription(server.url)
            assert (await next_non_ping(ws))["type"] == "next"
            # Rate limits stay on (they are what lives in Redis); a FREE account may send 60
            # requests a minute, so the load stays under that and what is measured is Redis.
            load = Load(client, pause_seconds=2.5)
            running = asyncio.create_task(load.run())
            try:
                await asyncio.wait_for(load.wait_for_acknowledged(3), 60)
                before = Counter(load.answers)
                await asyncio.to_thread(private_redis.kill)
                await asyncio.sleep(OUTAGE_SECONDS)
                during = await client.get("/healthz")
                bot_answers = await _signed_twice(server.url, bot_key)
                await _drain(ws)
                await asyncio.to_thread(private_redis.start)
                outage = load.answers - before
                await _recovered(load, Counter(load.answers))
            finally:
                load.stopping.set()
                await running
            # Trading never needed Redis: everything went on, limits held per process.
            answers = {answer.split(":", 1)[1] for answer in outage}
            assert answers <= {"OrderPlaced", "FlashBetPlaced", "TransferSuccess", "RATE_LIMITED"}
            assert {"OrderPlaced", "FlashBetPlaced", "TransferSuccess"} <= answers, outage
            assert (during.status_code, during.json()["bus"]) == (503, "down")
            # A bot's signed request still went through, and its replay was still refused.
            assert bot_answers == ["balances", "REPLAYED_SIGNATURE"], bot_answers
            # Back on its own: healthy, the open subscription streams again, and the rate
            # limits are kept in the new Redis (shared by every API process) once more.
            assert (await client.get("/healthz")).status_code == 200
            message = await next_non_ping(ws)
            assert message["type"] == "next", message
            assert message["payload"]["data"]["ticker"]["symbol"] == "BTC-USDT-PERP"
            # A bucket's key lives only while the bucket is below full: spend some, then look.
            for _ in range(5):
                await client.post("/graphql", json={"query": "{ balances { asset } }"})
            async with Redis.from_url(private_redis.url) as redis:
                assert [key async for key in redis.scan_iter("godark:rl:*")]
            await ws.close()
    finally:
        server.stop()
