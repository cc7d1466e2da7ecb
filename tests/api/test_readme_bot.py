"""The README's example bot, run as written against a live server with a real API key."""

from __future__ import annotations

import ast
import asyncio
import os
import re
import sys

import httpx

from tests.api.conftest import OPEN_DEMO, LiveServer
from tests.conftest import REPOSITORY_ROOT

CREATE_KEY = """mutation { createApiKey(input: {name: "readme bot", permissions: [TRADE]}) {
  __typename ... on CreatedApiKey { key { id } secret } } }"""


async def wait_for_prices(http: httpx.AsyncClient) -> None:
    query = '{ market(symbol: "BTC-USDT-PERP") { oracleHealthy } }'
    for _ in range(100):
        body = (await http.post("/graphql", json={"query": query})).json()
        if body["data"]["market"]["oracleHealthy"]:
            await asyncio.sleep(0.5)  # and the engine has had them pumped in
            return
        await asyncio.sleep(0.1)
    raise AssertionError("no healthy BTC price")


def readme_bot() -> str:
    readme = (REPOSITORY_ROOT / "README.md").read_text()
    section = readme.split("## A bot", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "the README lost its example bot"
    return match.group(1)


async def test_the_readme_bot_trades_with_an_api_key(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.http_url) as http:
        await wait_for_prices(http)
        signed_in = (await http.post("/graphql", json={"query": OPEN_DEMO})).json()
        token = signed_in["data"]["openDemoAccount"]["accessToken"]
        created = await http.post(
            "/graphql",
            json={"query": CREATE_KEY},
            headers={"Authorization": f"Bearer {token}"},
        )
    key = created.json()["data"]["createApiKey"]
    code = readme_bot().replace("http://127.0.0.1:8000/graphql", f"{live_server.http_url}/graphql")
    environment = {
        **os.environ,
        "GODARK_KEY_ID": key["key"]["id"],
        "GODARK_KEY_SECRET": key["secret"],
    }
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stdout=asyncio.subprocess.PIPE, env=environment
    )
    output, _ = await asyncio.wait_for(bot.communicate(), timeout=60)
    assert bot.returncode == 0, output
    placed, listed, cancelled = (ast.literal_eval(line) for line in output.decode().splitlines())
    assert placed["__typename"] == "OrderPlaced" and placed["order"]["status"] == "OPEN"
    assert [o["id"] for o in listed] == [placed["order"]["id"]]
    assert cancelled == {"__typename": "OrderCancelled"}
