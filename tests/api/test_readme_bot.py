"""The README's example bot, run as written against a live server."""

from __future__ import annotations

import ast
import asyncio
import re
import sys

from tests.api.conftest import LiveServer
from tests.conftest import REPOSITORY_ROOT


def readme_bot() -> str:
    readme = (REPOSITORY_ROOT / "README.md").read_text()
    section = readme.split("## A bot", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "the README lost its example bot"
    return match.group(1)


async def test_the_readme_bot_prints_heartbeats(live_server: LiveServer) -> None:
    code = readme_bot().replace("ws://127.0.0.1:8000/graphql", live_server.ws_url)
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stdout=asyncio.subprocess.PIPE
    )
    assert bot.stdout is not None
    try:
        lines = [await asyncio.wait_for(bot.stdout.readline(), timeout=15) for _ in range(2)]
    finally:
        bot.kill()
        await bot.wait()
    ticks = [ast.literal_eval(line.decode()) for line in lines]
    assert ticks[1]["sequence"] == ticks[0]["sequence"] + 1
