"""What every resolver can reach: the running venue and the request it serves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from engine.venue import Venue


@dataclass
class Context:
    venue: Venue
    version: str
    request_id: str
    request: Request | WebSocket | None = None
    response: Response | WebSocket | None = None
    connection_params: dict[str, Any] = field(default_factory=dict)


Info = StrawberryInfo[Context, None]
