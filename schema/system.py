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


@strawberry.type(description="Sent every second while the server is alive.")
class Heartbeat:
    sequence: int
    server_time: datetime
