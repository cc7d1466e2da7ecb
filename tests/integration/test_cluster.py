"""Many processes: two API processes and the engine (with a standby) as separate OS processes,
on this machine's PostgreSQL and Redis. A trade placed through one API process reaches a
subscriber on the other; SIGKILL of an API process loses no acknowledged order; SIGKILL of the
engine hands the lease to the standby, which replays the journal to the same state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.cluster_helpers import (
    MY_STATE,
    Api,
    Process,
    a_trade_reaches_a_subscriber,
    cluster_environment,
    demo_account,
    forget_redis_keys,
    gql,
    place,
    state,
    wait_for_log,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ORDERS_BEFORE_THE_KILL = 30


@pytest.fixture
async def cluster_env(postgres_url: str) -> AsyncIterator[dict[str, str]]:
    env = await cluster_environment(postgres_url)
    yield env
    await forget_redis_keys(env)


async def test_api_processes_and_an_engine_with_a_standby(
    cluster_env: dict[str, str], tmp_path: Path
) -> None:
    engine = Process("engine-a", ["engine"], cluster_env, tmp_path)
    processes: list[Process] = [engine]
    try:
        await wait_for_log(engine, "engine_leader", 60)
        standby = Process("engine-b", ["engine"], cluster_env, tmp_path)
        first, second = Api("api-1", cluster_env, tmp_path), Api("api-2", cluster_env, tmp_path)
        processes += [standby, first, second]
        await asyncio.gather(first.wait_healthy(), second.wait_healthy())
        await wait_for_log(standby, "engine_standby", 30)

        seller, buyer = await demo_account(first), await demo_account(first)
        await a_trade_reaches_a_subscriber(first, second, seller, buyer)
        loader = await demo_account(first)
        await _sigkill_of_an_api_process_loses_no_acknowledged_order(first, second, loader)

        tokens = [seller, buyer, loader]
        before = await state(second, tokens)
        engine.kill()
        # While no engine leads, the API processes keep serving reads from their replicas.
        assert await state(second, tokens) == before
        await wait_for_log(standby, "engine_leader", 30)
        assert await state(second, tokens) == before
        restarted = Api("api-1-again", cluster_env, tmp_path)  # replays to the same state
        processes.append(restarted)
        await restarted.wait_healthy()
        assert await state(restarted, tokens) == before
        async with restarted.client(loader) as client:  # and the new engine takes orders
            placed = await place(client, side="BUY", type="LIMIT", size="0.001", price="1000")
        assert placed["__typename"] == "OrderPlaced", placed
    except BaseException:
        for process in processes:
            print(f"--- {process.log.name}\n{process.output()[-4000:]}")
        raise
    finally:
        for process in reversed(processes):
            process.stop()


async def _sigkill_of_an_api_process_loses_no_acknowledged_order(
    first: Api, second: Api, token: str
) -> None:
    acknowledged: dict[str, str] = {}
    enough = asyncio.Event()
    async with first.client(token) as client:

        async def order(n: int) -> None:
            placed = await place(
                client, side="BUY", type="LIMIT", size="0.001", price="1000", id=f"load-{n}"
            )
            if placed["__typename"] == "OrderPlaced":
                acknowledged[f"load-{n}"] = placed["order"]["id"]
                if len(acknowledged) >= ORDERS_BEFORE_THE_KILL:
                    enough.set()

        async def load() -> None:
            gate = asyncio.Semaphore(16)

            async def bounded(n: int) -> None:
                async with gate:
                    await order(n)

            await asyncio.gather(*(bounded(n) for n in range(300)), return_exceptions=True)

        loader = asyncio.create_task(load())
        await asyncio.wait_for(enough.wait(), timeout=60)
        first.kill()
        await loader
    assert len(acknowledged) >= ORDERS_BEFORE_THE_KILL
    async with second.client(token) as client:
        listed = {o["clientOrderId"]: o["id"] for o in (await gql(client, MY_STATE))["myOrders"]}
    for client_order_id, order_id in acknowledged.items():
        assert listed.get(client_order_id) == order_id, client_order_id
