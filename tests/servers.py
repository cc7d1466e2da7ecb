"""A real `godark serve` in a subprocess, for tests that talk to it over loopback."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_until_healthy(
    url: str, process: subprocess.Popen[bytes], output: Callable[[], str], what: str
) -> None:
    """Polls `url`/healthz until it answers 200 (about 60 s); fails with the process's own
    output if it exits first or never does."""
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            try:
                if (await client.get(f"{url}/healthz", timeout=1)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                raise RuntimeError(output()[-3000:])
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{what} did not become healthy:\n" + output()[-3000:])


@contextlib.contextmanager
def running_server(directory: Path, **settings: str) -> Iterator[str]:
    """Starts a demo server on a fresh SQLite database in `directory`; yields its base URL.

    `settings` are extra GODARK_* variables (without the prefix), e.g. RATE_LIMITS="false".
    The server's own output goes to `directory/server.log`, quoted when it fails to start.
    """
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("GODARK_")}
    env.update(
        GODARK_DATABASE_URL=f"sqlite+aiosqlite:///{directory}/godark.db",
        GODARK_BIND=f"127.0.0.1:{port}",
        GODARK_DEMO="true",
    )
    env.update({f"GODARK_{name}": value for name, value in settings.items()})
    godark = str(Path(sys.executable).parent / "godark")
    log_path = directory / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([godark, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, process, log_path)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(log_path.read_text())
        time.sleep(0.2)
