"""Live price feeds: the real venue adapters streaming into the oracle.

Used when GODARK_PRICE_SOURCES names venues; the demo otherwise runs on simulated venues.
Each venue gets a WebSocket stream (trades, quotes) and a REST poll of its book.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence

import httpx
import structlog

from engine.clock import Clock
from engine.oracle.model import SourceEvent, SourceName
from engine.oracle.venues import ADAPTERS, VenueAdapter, poll_books, stream

BOOK_POLL_SECONDS = 1.0
HTTP_TIMEOUT_SECONDS = 5.0

log = structlog.get_logger("godark.oracle.feeds")


def adapters_for(names: Sequence[str]) -> list[VenueAdapter]:
    """Adapters by venue name (case-insensitive); an unknown name is a configuration error."""
    adapters = []
    for name in names:
        try:
            source = SourceName(name.strip().upper())
        except ValueError:
            known = ", ".join(source.value.lower() for source in SourceName)
            raise ValueError(f"unknown price source {name!r}; known: {known}") from None
        adapters.append(ADAPTERS[source]())
    return adapters


class LiveVenueFeed:
    def __init__(
        self,
        adapters: Sequence[VenueAdapter],
        assets: Sequence[str],
        clock: Clock,
        sink: Callable[[SourceEvent], object],
        on_rejected: Callable[[SourceName, str], None],
        book_poll_seconds: float = BOOK_POLL_SECONDS,
    ) -> None:
        self._adapters = list(adapters)
        self._assets = list(assets)
        self._clock = clock
        self._sink = sink
        self._on_rejected = on_rejected
        self._book_poll_seconds = book_poll_seconds
        self._tasks: list[asyncio.Task[None]] = []
        self._client: httpx.AsyncClient | None = None

    def start(self) -> None:
        if self._tasks:
            return
        self._client = httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS)
        for adapter in self._adapters:
            listed = [asset for asset in self._assets if asset in adapter.symbols]
            if not listed:
                continue
            log.info("venue_feed_started", source=adapter.name.value, assets=len(listed))
            self._tasks.append(
                asyncio.create_task(
                    stream(
                        adapter,
                        listed,
                        self._sink,
                        clock=self._clock,
                        on_rejected=self._on_rejected,
                    ),
                    name=f"stream-{adapter.name.value}",
                )
            )
            self._tasks.append(
                asyncio.create_task(
                    poll_books(
                        adapter,
                        listed,
                        self._sink,
                        client=self._client,
                        interval=self._book_poll_seconds,
                        clock=self._clock,
                        on_rejected=self._on_rejected,
                    ),
                    name=f"books-{adapter.name.value}",
                )
            )

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
