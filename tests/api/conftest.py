"""An app on a fresh database, reached in process (httpx) or over real sockets (uvicorn)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from api.app import create_app
from api.settings import Settings
from engine.store.migrations import upgrade

TEST_SECRET = "api-tests-secret-" + "s" * 32


@pytest.fixture
async def app(sqlite_url: str) -> AsyncIterator[Starlette]:
    await asyncio.to_thread(upgrade, sqlite_url)
    application = create_app(Settings(database_url=sqlite_url, demo=True, jwt_secret=TEST_SECRET))
    async with application.router.lifespan_context(application):
        yield application


OPEN_DEMO = """mutation { openDemoAccount { __typename
  ... on SignedIn { accessToken refreshToken account { id } } } }"""


async def open_demo_account(http: httpx.AsyncClient) -> dict[str, Any]:
    """A fresh demo account with its 10,000 test USDT; returns the SignedIn payload."""
    response = await http.post("/graphql", json={"query": OPEN_DEMO})
    signed_in: dict[str, Any] = response.json()["data"]["openDemoAccount"]
    assert signed_in["__typename"] == "SignedIn", signed_in
    return signed_in


@pytest.fixture
async def anonymous(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """Signed in as a new demo account: what a visitor gets from "try the demo"."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        signed_in = await open_demo_account(http)
        http.headers["Authorization"] = f"Bearer {signed_in['accessToken']}"
        yield http


@dataclass
class LiveServer:
    http_url: str
    ws_url: str
    app: Starlette


@pytest.fixture
async def live_server(sqlite_url: str) -> AsyncIterator[LiveServer]:
    await asyncio.to_thread(upgrade, sqlite_url)
    application = create_app(Settings(database_url=sqlite_url, demo=True))
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=0, log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/graphql", application)
    finally:
        server.should_exit = True
        # Now and then the stats' last flush waits out SQLite's
        # 10 s busy timeout at shutdown; the stop still completes, so allow for it.
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=30)
