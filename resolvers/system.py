"""serverInfo and the heartbeat subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from resolvers.context import Info
from schema.system import Heartbeat, ServerInfo, ServerMode


def server_info(info: Info) -> ServerInfo:
    venue = info.context.venue
    return ServerInfo(
        version=info.context.version,
        server_time=venue.clock.now(),
        mode=ServerMode.DEMO if venue.config.demo_mode else ServerMode.PRODUCTION,
        terms_version=venue.accounts.config.terms_version,
    )


async def heartbeat(info: Info) -> AsyncGenerator[Heartbeat, None]:
    async for tick in info.context.venue.heartbeat.ticks():
        yield Heartbeat(sequence=tick.sequence, server_time=tick.server_time)
