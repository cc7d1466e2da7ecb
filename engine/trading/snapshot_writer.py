"""Encoding a snapshot without stopping the engine.

A snapshot of a busy exchange walks every resting order and every account's recent fills:
about a second of pure Python for tens of thousands of records. Done in the event loop, that
second stalls every request and the sequencer with it (it was the tail of `bench orders`).
So, as Redis does for its background saves, a forked copy of this process encodes the state
as it was at the fork, copy-on-write, and hands the JSON and its hash back through a pipe;
the engine goes on applying commands meanwhile. Where there is no fork, it is done inline.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from typing import Any

from engine.trading.exchange import Exchange
from engine.trading.snapshot import encoded_snapshot

_READ_CHUNK = 1 << 20


class SnapshotEncodingFailed(RuntimeError):
    """The forked encoder did not deliver a snapshot (it crashed or was killed)."""


def encode_snapshot(exchange: Exchange) -> Coroutine[Any, Any, tuple[str, str]]:
    """(canonical JSON, its SHA-256) of the exchange as it is at this call, which forks the
    encoder before it returns; awaiting the result waits for the encoder."""
    if not hasattr(os, "fork"):
        return _encoded(*encoded_snapshot(exchange))
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child, which leaves by os._exit
        _encode_in_child(exchange, read_end, write_end)
    os.close(write_end)
    return _receive(child, read_end)


async def _encoded(text: str, digest: str) -> tuple[str, str]:
    return text, digest


async def _receive(child: int, read_end: int) -> tuple[str, str]:
    try:
        received = await asyncio.to_thread(_read_all, read_end)
    finally:
        os.close(read_end)
        _, status = await asyncio.to_thread(os.waitpid, child, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        raise SnapshotEncodingFailed(f"the snapshot encoder ended with status {status}")
    digest, _, text = received.decode().partition("\n")
    return text, digest


def _encode_in_child(exchange: Exchange, read_end: int, write_end: int) -> None:
    """The child touches nothing of the parent's but the exchange and the pipe, and leaves
    by os._exit: no atexit handlers, no event loop, no database connection is used."""
    status = 1
    try:
        os.close(read_end)
        text, digest = encoded_snapshot(exchange)
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(f"{digest}\n{text}".encode())
        status = 0
    finally:
        os._exit(status)


def _read_all(descriptor: int) -> bytes:
    chunks = []
    while chunk := os.read(descriptor, _READ_CHUNK):
        chunks.append(chunk)
    return b"".join(chunks)
