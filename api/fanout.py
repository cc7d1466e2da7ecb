"""Subscription fan-out: one GraphQL execution per distinct public subscription.

Subscribers that ask for the same public document with the same variables get the same
bytes: the stream runs once, each result is encoded to JSON once, and only the
operation id differs per subscriber. Private subscriptions (orders, positions, bets)
depend on who asks and keep their own execution.

Every socket writes through a bounded queue drained by its own task, so a slow reader
never holds up the stream or the other readers: when its queue is full it is closed
with SLOW_CONSUMER_CLOSE_CODE and its subscriptions are dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

import structlog
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from graphql.error import GraphQLSyntaxError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

log = structlog.get_logger("godark.fanout")

# Root subscription fields whose results are the same for every caller.
PUBLIC_SUBSCRIPTIONS = frozenset(
    {
        "heartbeat",
        "trades",
        "funding",
        "liquidations",
        "marketStatus",
        "ticker",
        "referenceBook",
        "liveEvent",
        "flashTicker",
        "flashMarket",
        "microMarkets",
        "settlements",
    }
)
OUTBOX_SIZE = 1_024
# A socket whose unsent bytes pass this is a reader too far behind: it is dropped.
SLOW_CONSUMER_BYTES = 1 << 20
SLOW_CONSUMER_CLOSE_CODE = 4408
PARSE_CACHE_SIZE = 1_024


class Subscriber(Protocol):
    operation_id: str

    def deliver(self, frame: str) -> None:
        """Queue a finished graphql-transport-ws frame for this subscriber's socket."""

    def finish(self, frame: str) -> None:
        """Queue the stream's last frame (complete or error); the operation ends."""


@lru_cache(maxsize=PARSE_CACHE_SIZE)
def shareable(query: str, operation_name: str | None) -> bool:
    """A subscription whose every root field is public (so its result has no owner)."""
    try:
        document = parse(query)
    except GraphQLSyntaxError:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [
        o
        for o in operations
        if operation_name is None or (o.name is not None and o.name.value == operation_name)
    ]
    if len(chosen) != 1 or chosen[0].operation is not OperationType.SUBSCRIPTION:
        return False
    if any(not hasattr(s, "name") for s in chosen[0].selection_set.selections):
        return False  # fragments at the root: not worth resolving here
    names = {s.name.value for s in chosen[0].selection_set.selections}  # type: ignore[attr-defined]
    return bool(names) and names <= PUBLIC_SUBSCRIPTIONS


def stream_key(query: str, variables: dict[str, Any] | None, operation_name: str | None) -> str:
    return json.dumps([query, variables or {}, operation_name], sort_keys=True)


def frame(operation_id: str, kind: str, payload_json: str | None = None) -> str:
    """A graphql-transport-ws message, built around an already encoded payload."""
    head = '{"id":' + json.dumps(operation_id) + ',"type":"' + kind + '"'
    return head + ("}" if payload_json is None else ',"payload":' + payload_json + "}")


class DirectTextFrames:
    """Writes finished text frames straight onto a uvicorn WebSocket's transport.

    A shared stream sends one payload to thousands of sockets; through the ASGI send path
    each frame costs a queue hop, a task switch and the websockets frame builder, which
    capped a process near 12,000 frames/s. A server frame is never masked, and a message
    without RSV1 is a valid uncompressed message even when permessage-deflate was agreed
    (RFC 7692 section 6), so a frame is a short header and the bytes.
    """

    frames_written = 0  # by every socket of the process, for /metrics

    def __init__(self, protocol: WebSocketsSansIOProtocol) -> None:
        self._protocol = protocol

    @classmethod
    def of(cls, send: Any) -> DirectTextFrames | None:
        """The writer for the socket behind an ASGI `send`, when uvicorn's sans-I/O
        websockets protocol serves it (other servers keep the ASGI path)."""
        protocol = getattr(send, "__self__", None)
        return cls(protocol) if isinstance(protocol, WebSocketsSansIOProtocol) else None

    def write(self, text: str) -> bool:
        """Sends one frame; False when the reader has fallen too far behind."""
        protocol = self._protocol
        transport = protocol.transport
        if protocol.close_sent or transport.is_closing():
            return True  # the socket is closing: nothing more goes out
        if transport.get_write_buffer_size() > SLOW_CONSUMER_BYTES:
            return False
        transport.write(text_frame(text.encode()))
        DirectTextFrames.frames_written += 1
        return True


def text_frame(data: bytes) -> bytes:
    """A final, unmasked text frame (RFC 6455 section 5.2)."""
    length = len(data)
    if length < 126:
        return struct.pack("!BB", 0x81, length) + data
    if length < 1 << 16:
        return struct.pack("!BBH", 0x81, 126, length) + data
    return struct.pack("!BBQ", 0x81, 127, length) + data


@dataclass
class _Stream:
    subscribers: dict[int, Subscriber] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None


class SharedStreams:
    """The running shared streams of one server process."""

    def __init__(self, schema: Any, context_factory: Callable[[str], Any]) -> None:
        self._schema = schema
        self._context_factory = context_factory
        self._streams: dict[str, _Stream] = {}
        self.executions_started = 0

    def join(
        self,
        subscriber: Subscriber,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> None:
        key = stream_key(query, variables, operation_name)
        stream = self._streams.get(key)
        if stream is None:
            stream = self._streams[key] = _Stream()
            stream.task = asyncio.create_task(
                self._run(key, stream, query, variables, operation_name),
                name="shared-subscription",
            )
            self.executions_started += 1
        stream.subscribers[id(subscriber)] = subscriber

    def leave(self, subscriber: Subscriber, query: str, variables: Any, name: Any) -> None:
        key = stream_key(query, variables, name)
        stream = self._streams.get(key)
        if stream is None:
            return
        stream.subscribers.pop(id(subscriber), None)
        if not stream.subscribers and stream.task is not None:
            stream.task.cancel()
            del self._streams[key]

    @property
    def streams(self) -> int:
        return len(self._streams)

    async def _run(
        self,
        key: str,
        stream: _Stream,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> None:
        ending, ending_payload = "complete", None  # the frame every subscriber ends with
        try:
            source = await self._schema.stream(
                query,
                variable_values=variables,
                context_value=self._context_factory(f"shared-{self.executions_started}"),
                operation_name=operation_name,
            )
            async with contextlib.aclosing(source):
                async for result in source:
                    if isinstance(result, PreExecutionError) or not isinstance(
                        result, ExecutionResult
                    ):
                        ending, ending_payload = "error", _errors_json(result)
                        break
                    payload = _payload_json(result)
                    for subscriber in list(stream.subscribers.values()):
                        subscriber.deliver(frame(subscriber.operation_id, "next", payload))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("shared_subscription_failed")
        if self._streams.get(key) is stream:
            del self._streams[key]
        for subscriber in list(stream.subscribers.values()):
            subscriber.finish(frame(subscriber.operation_id, ending, ending_payload))


def _payload_json(result: ExecutionResult) -> str:
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return json.dumps(payload, default=str, separators=(",", ":"))


def _errors_json(result: Any) -> str:
    errors = getattr(result, "errors", None) or [GraphQLError("subscription failed")]
    return json.dumps([error.formatted for error in errors], default=str)
