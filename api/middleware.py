"""Request ids, access logs and metrics for every HTTP request and WebSocket connection."""

from __future__ import annotations

import logging
import re
import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.fanout import DirectTextFrames
from api.metrics import (
    HTTP_LATENCY,
    HTTP_REQUESTS,
    WEBSOCKET_CONNECTIONS,
    labelled,
    route_label,
)

REQUEST_ID_HEADER = b"x-request-id"
# A caller's id is kept for tracing across services when it is short and plain.
_CLIENT_REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{8,64}")
# Health checks and scrapes would drown the access log at info level.
_QUIET_PATHS = frozenset({"/healthz", "/metrics"})

log = structlog.get_logger("godark.api")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            if scope["type"] == "http":
                await self._http(scope, receive, send, request_id)
            else:
                await self._websocket(scope, receive, send, request_id)

    async def _http(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            path, method = scope["path"], scope["method"]
            route = route_label(path)
            labelled(HTTP_REQUESTS, method, route, str(status)).inc()
            labelled(HTTP_LATENCY, method, route).observe(elapsed)
            log.log(
                logging.DEBUG if path in _QUIET_PATHS else logging.INFO,
                "http_request",
                method=method,
                path=path,
                status=status,
                duration_ms=round(elapsed * 1000, 3),
            )

    async def _websocket(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        async def send_with_id(message: Message) -> None:
            if message["type"] == "websocket.accept":
                headers = list(message.get("headers") or [])
                message["headers"] = [*headers, (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        # Shared subscription frames skip the ASGI path and go straight to this socket.
        scope["state"]["direct_frames"] = DirectTextFrames.of(send)
        WEBSOCKET_CONNECTIONS.inc()
        log.info("websocket_open", path=scope["path"])
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            WEBSOCKET_CONNECTIONS.dec()
            log.info("websocket_closed", duration_s=round(time.perf_counter() - started, 3))


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER and _CLIENT_REQUEST_ID.fullmatch(value):
            return str(value.decode())
    return uuid.uuid4().hex
