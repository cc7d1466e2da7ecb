"""Two API processes over one PostgreSQL and one Redis: a session ended through one is
refused by the other at once, not when its access token expires."""

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
from tests.conftest import REDIS_URL

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

SECRET = "two-processes-secret-" + "z" * 32
ME = {"query": "{ me { id } }"}


@pytest.fixture
async def two_apps(postgres_url: str) -> AsyncIterator[tuple[Starlette, Starlette]]:
    await asyncio.to_thread(upgrade, postgres_url)
    settings = Settings(
        database_url=postgres_url, redis_url=REDIS_URL, demo=False, jwt_secret=SECRET
    )
    async with AsyncExitStack() as stack:
        apps = []
        for _ in range(2):
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
