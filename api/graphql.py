"""The /graphql endpoint: HTTP, GraphiQL and graphql-transport-ws with server keep-alive."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import Counter
from datetime import timedelta
from typing import Any, cast

from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    PongMessage,
)
from strawberry.types.unset import UNSET

from api.auth import (
    AccessPolicy,
    RateLimited,
    authenticate_connection_init,
    authenticate_request,
    request_meta,
)
from api.fanout import (
    OUTBOX_SIZE,
    SLOW_CONSUMER_CLOSE_CODE,
    DirectTextFrames,
    SharedStreams,
    shareable,
)
from engine.accounts.ratelimit import TIER_LIMITS, Tier
from engine.accounts.roles import Forbidden
from engine.errors import DomainError
from engine.venue import Venue
from resolvers.context import Context

# graphql-transport-ws has no server-side keep-alive of its own (strawberry #2992): we
# ping, and a client that stops answering is closed so its subscriptions are freed.
KEEP_ALIVE_INTERVAL_SECONDS = 10.0
KEEP_ALIVE_TIMEOUT_SECONDS = 25.0
KEEP_ALIVE_CLOSE_CODE = 4499
CONNECTION_INIT_TIMEOUT = timedelta(seconds=5)
MAX_SUBSCRIPTIONS_PER_CONNECTION = 1_000  # the highest tier's; each tier's own applies
RATE_LIMITED_CLOSE_CODE = 4429
# The largest WebSocket message a client may send (uvicorn closes with 1009 beyond it):
# the biggest legitimate document is a few KB; 16 MB, uvicorn's default, invites abuse.
MAX_MESSAGE_BYTES = 256 * 1024


class KeepAliveTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """Server pings, and the tier's limits: connections per principal, subscriptions per
    connection, and client messages per second."""

    keep_alive_interval: float = KEEP_ALIVE_INTERVAL_SECONDS
    keep_alive_timeout: float = KEEP_ALIVE_TIMEOUT_SECONDS

    _keep_alive_task: asyncio.Task[None] | None = None
    _last_pong: float = 0.0
    _outbox: asyncio.Queue[str] | None = None
    _writer: asyncio.Task[None] | None = None
    _dropping: bool = False

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self._keep_alive_task is None:
            self._last_pong = time.monotonic()
            self._keep_alive_task = asyncio.create_task(self._keep_alive())

    async def handle_message(self, message: Any) -> None:
        if not isinstance(message, dict):
            # strawberry indexes the message by "type" and would crash on a JSON array.
            await self.websocket.close(4400, "Invalid message")
            return
        if self.connection_acknowledged and message.get("type") not in ("ping", "pong"):
            key, tier = self._limits_key()
            if tier is not None:
                limiter = self.context.venue.limiter
                if not (await limiter.ws_message(key, tier)).allowed:
                    await self.websocket.close(RATE_LIMITED_CLOSE_CODE, "Rate limited")
                    return
        await super().handle_message(cast(Any, message))

    async def send_message(self, message: Any) -> None:
        self.enqueue(self.view.encode_json(message))

    def enqueue(self, text: str | bytes) -> None:
        """Every frame goes through the socket's bounded outbox, written by one task."""
        if self._outbox is None:
            self._outbox = asyncio.Queue(maxsize=OUTBOX_SIZE)
            self._writer = asyncio.create_task(self._write(self._outbox), name="ws-writer")
        try:
            self._outbox.put_nowait(text if isinstance(text, str) else text.decode())
        except asyncio.QueueFull:
            self._drop()

    def deliver_shared(self, text: str) -> None:
        """A shared stream's frame: written straight to the socket when it can be, through
        the outbox while earlier frames still wait there (so order is kept)."""
        direct = self._direct_frames()
        if direct is None or (self._outbox is not None and not self._outbox.empty()):
            self.enqueue(text)
        elif not direct.write(text):
            self._drop()

    def _direct_frames(self) -> DirectTextFrames | None:
        socket = getattr(self.websocket, "ws", None)
        state = getattr(socket, "scope", {}).get("state") or {}
        direct: DirectTextFrames | None = state.get("direct_frames")
        return direct

    def _drop(self) -> None:
        if not self._dropping:
            self._dropping = True
            if self._writer is not None:
                self._writer.cancel()
            asyncio.create_task(self._drop_slow_consumer())  # noqa: RUF006

    async def _write(self, outbox: asyncio.Queue[str]) -> None:
        socket = self._socket()
        while True:
            text = await outbox.get()
            try:
                await socket.send_text(text)
            except Exception:
                return  # the socket is gone; the receive loop ends the connection

    async def _drop_slow_consumer(self) -> None:
        with contextlib.suppress(Exception):
            await self.websocket.close(SLOW_CONSUMER_CLOSE_CODE, "Slow consumer")

    def _socket(self) -> Any:
        """The ASGI socket under strawberry's adapter, to send prebuilt text frames."""
        adapter: Any = self.websocket
        return adapter.ws

    async def handle_subscribe(self, message: Any) -> None:
        if await self._subscribe_shared(message):
            return
        _key, tier = self._limits_key()
        if tier is not None and len(self.operations) >= TIER_LIMITS[tier].max_subscriptions:
            error = GraphQLError(
                f"the {tier.value} tier allows {TIER_LIMITS[tier].max_subscriptions} "
                "subscriptions per connection",
                extensions={"code": "RATE_LIMITED"},
            )
            await self.send_message(
                {"id": message["id"], "type": "error", "payload": [error.formatted]}
            )
            return
        await super().handle_subscribe(message)

    async def _subscribe_shared(self, message: Any) -> bool:
        """Public subscriptions join the one shared execution of their document."""
        payload = message.get("payload") or {}
        query, variables, name = (
            payload.get("query"),
            payload.get("variables"),
            payload.get("operationName"),
        )
        if (
            not self.connection_acknowledged
            or not isinstance(query, str)
            or message["id"] in self.operations
            or not isinstance(variables, dict | None)
            or not isinstance(name, str | None)
            or not shareable(query, name)
        ):
            return False
        _key, tier = self._limits_key()
        if tier is not None and len(self.operations) >= TIER_LIMITS[tier].max_subscriptions:
            return False  # the usual path answers with the limit's error
        operation: Operation[Context, None] = Operation(self, message["id"], query, variables, name)
        subscriber = _SharedSubscriber(self, operation)
        self.operations[operation.id] = operation
        operation.task = asyncio.create_task(
            subscriber.follow(self._view().shared_streams(), query, variables, name)
        )
        return True

    def _limits_key(self) -> tuple[str, Tier | None]:
        return _limits_key(self.context, self._view().policy)

    def _view(self) -> GoDarkGraphQL:
        view = self.view
        assert isinstance(view, GoDarkGraphQL)
        return view

    async def handle_pong(self, message: PongMessage) -> None:
        self._last_pong = time.monotonic()

    async def shutdown(self) -> None:
        if self.context.connection_key is not None:
            connections = self._view().connections
            connections[self.context.connection_key] -= 1
            if connections[self.context.connection_key] <= 0:
                del connections[self.context.connection_key]
            self.context.connection_key = None
        if self._writer is not None:
            self._writer.cancel()
        if self._keep_alive_task is not None:
            self._keep_alive_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keep_alive_task
        await super().shutdown()

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self.keep_alive_interval)
            if time.monotonic() - self._last_pong > self.keep_alive_timeout:
                await self.websocket.close(KEEP_ALIVE_CLOSE_CODE, "Keep-alive timeout")
                return
            try:
                await self.send_message({"type": "ping"})
            except Exception:
                return  # the socket is gone; the receive loop ends the connection


class _SharedSubscriber:
    """One operation of one socket, fed by a shared stream."""

    def __init__(self, handler: KeepAliveTransportWSHandler, operation: Any) -> None:
        self._handler = handler
        self._operation = operation
        self.operation_id: str = operation.id
        self._done = asyncio.Event()

    def deliver(self, frame: str) -> None:
        self._handler.deliver_shared(frame)

    def finish(self, frame: str) -> None:
        if self._done.is_set():
            return
        self._operation.completed = True
        self._handler.operations.pop(self.operation_id, None)
        self._handler.enqueue(frame)
        self._done.set()

    async def follow(
        self, streams: SharedStreams, query: str, variables: Any, name: str | None
    ) -> None:
        streams.join(self, query, variables, name)
        try:
            await self._done.wait()
        finally:
            streams.leave(self, query, variables, name)


class GoDarkGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = KeepAliveTransportWSHandler

    def __init__(
        self, schema: Any, venue: Venue, version: str, policy: AccessPolicy | None = None
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=False,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            connection_init_wait_timeout=CONNECTION_INIT_TIMEOUT,
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION,
        )
        self._venue = venue
        self._version = version
        self.policy = policy if policy is not None else AccessPolicy()
        # Open sockets per principal, for the tier's connection cap (this process).
        self.connections: Counter[str] = Counter()
        self._shared: SharedStreams | None = None

    def shared_streams(self) -> SharedStreams:
        if self._shared is None:
            self._shared = SharedStreams(
                self.schema,
                lambda request_id: Context(
                    venue=self._venue, version=self._version, request_id=request_id
                ),
            )
        return self._shared

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        response: Response
        try:
            if request.method == "POST":
                meta = request_meta(request, self.policy)
                principal = await authenticate_request(self._venue, request, meta, self.policy)
                scope["state"].update(principal=principal, meta=meta)
            response = await self.run(request)
        except DomainError as refusal:
            response = _refusal(scope, refusal)
        # Strawberry answers unreadable requests in plain text; clients expect GraphQL errors.
        except HTTPException as refusal:
            response = _error_response(scope, refusal.reason, "BAD_REQUEST", refusal.status_code)
        await response(scope, receive, send)

    def is_websocket_origin_allowed(self, request: WebSocket, origin: str) -> bool:
        """A page of any other site may open a socket: the odds widget (/widget.js) does.
        Nothing ambient rides on the handshake (no cookies: a socket is signed in only by its
        connection_init payload), and `on_ws_connect` keeps another site's socket anonymous,
        as CORS keeps its HTTP requests (api/app.py): it gets public data only."""
        request.state.cross_origin = True
        return True

    async def on_ws_connect(self, context: Context) -> Any:
        connection = context.request
        assert isinstance(connection, WebSocket)
        meta = request_meta(connection, self.policy)
        context.meta = meta
        if getattr(connection.state, "cross_origin", False) and _carries_credentials(
            context.connection_params
        ):
            raise ConnectionRejectionError(
                {"code": "FORBIDDEN", "message": "sockets from other sites are anonymous"}
            )
        try:
            context.principal = await authenticate_connection_init(
                self._venue, context.connection_params, meta, self.policy
            )
        except DomainError as refusal:
            raise ConnectionRejectionError(
                {"code": refusal.code, "message": refusal.message}
            ) from None
        key, tier = _limits_key(context, self.policy)
        if tier is not None and self.connections[key] >= TIER_LIMITS[tier].max_connections:
            raise ConnectionRejectionError({"code": "RATE_LIMITED"})
        self.connections[key] += 1
        context.connection_key = key
        return UNSET

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        state = request.scope.get("state", {})
        return Context(
            venue=self._venue,
            version=self._version,
            request_id=_request_id(request.scope),
            request=request,
            response=response,
            principal=state.get("principal"),
            meta=state.get("meta") or request_meta(request, self.policy),
        )


def _carries_credentials(payload: Any) -> bool:
    """The connection_init fields that sign a socket in (api/auth.py)."""
    credentials = ("authorization", "Authorization", "apiKey")
    return isinstance(payload, dict) and any(payload.get(field) for field in credentials)


def _limits_key(context: Context, policy: AccessPolicy) -> tuple[str, Tier | None]:
    """Whose allowance a socket spends: its principal's, or its IP's when anonymous. With
    GODARK_RATE_LIMITS=false no tier applies (capacity benchmarks)."""
    if not context.venue.config.rate_limits:
        key = context.principal.account_id if context.principal else f"ip:{context.meta.ip}"
        return key, None
    if context.principal is not None:
        return context.principal.account_id, Tier.named(context.principal.tier)
    return f"ip:{context.meta.ip}", policy.anonymous_tier


def _refusal(scope: Scope, refusal: DomainError) -> Response:
    if isinstance(refusal, RateLimited):
        response = _error_response(
            scope, refusal.message, refusal.code, 429, retryAfter=round(refusal.retry_after, 3)
        )
        response.headers["Retry-After"] = str(max(1, math.ceil(refusal.retry_after)))
        return response
    status = 403 if isinstance(refusal, Forbidden) or refusal.code.startswith("RESTRICTED") else 401
    return _error_response(scope, refusal.message, refusal.code, status)


def _error_response(
    scope: Scope, message: str, code: str, status: int, **extensions: Any
) -> JSONResponse:
    return JSONResponse(
        {
            "errors": [{"message": message, "extensions": {"code": code, **extensions}}],
            "extensions": {"requestId": _request_id(scope)},
        },
        status_code=status,
    )


def _request_id(scope: Scope) -> str:
    return str(scope.get("state", {}).get("request_id", ""))
