"""Two API processes sharing one Redis: a session ended through one is refused by the
other at once, not when its access token expires."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.settings import Settings
from engine.accounts.service import RequestMeta
from engine.store.migrations import upgrade
from tests.conftest import REDIS_URL, create_postgres_database, drop_postgres_database

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

SECRET = "two-processes-secret-" + "z" * 32
ME = {"query": "{ me { id } }"}


@pytest.fixture
async def two_apps(postgres_url: str) -> AsyncIterator[tuple[Starlette, Starlette]]:
    # Each process runs its own engine here, so each gets its own database (two engines
    # on one journal is what the engine lease prevents); the bus and the secret are shared.
    urls = [postgres_url, await create_postgres_database()]
    async with AsyncExitStack() as stack:
        stack.push_async_callback(drop_postgres_database, urls[1])
        apps = []
        for url in urls:
            await asyncio.to_thread(upgrade, url)
            settings = Settings(
                database_url=url, redis_url=REDIS_URL, demo=False, jwt_secret=SECRET
            )
            app = create_app(settings)
            await stack.enter_async_context(app.router.lifespan_context(app))
            apps.append(app)
        yield apps[0], apps[1]


async def test_logout_everywhere_on_one_process_is_honoured_by_the_other(
    two_apps: tuple[Starlette, Starlette],
) -> None:
    first, second = two_apps
    tokens = await first.state.venue.accounts.open_demo_account(RequestMeta())
    headers = {"Authorization": f"Bearer {tokens.access_token}"}
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
        for app in (first, second)
    ]
    async with clients[0], clients[1]:
        for client in clients:
            assert (await client.post("/graphql", json=ME, headers=headers)).status_code == 200
        ended = {"query": "mutation { logoutEverywhere { message } }"}
        assert (await clients[0].post("/graphql", json=ended, headers=headers)).status_code == 200
        for _ in range(50):
            refused = await clients[1].post("/graphql", json=ME, headers=headers)
            if refused.status_code == 401:
                break
            await asyncio.sleep(0.05)
        assert refused.status_code == 401
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
