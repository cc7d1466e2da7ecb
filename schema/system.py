"""Server-level types: what is running, and the heartbeat."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry


@strawberry.enum
class ServerMode(Enum):
    DEMO = "DEMO"
    PRODUCTION = "PRODUCTION"


@strawberry.type
class ServerInfo:
    version: str
    server_time: datetime
    mode: ServerMode
    terms_version: str = strawberry.field(
        description="The Terms of Service version registration and trading need accepted."
    )


@strawberry.type(description="Sent every second while the server is alive.")
class Heartbeat:
    sequence: int
    server_time: datetime
