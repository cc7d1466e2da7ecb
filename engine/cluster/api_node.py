"""An API process's side of the cluster: commands go to the engine over a Redis Stream, and
their outcomes come from this process's read replica.

`submit` XADDs the encoded command with a fresh request id and the channel to answer on,
waits for the sequence the engine journaled it at (pub/sub, with a short-lived result key as
the fallback for a lost message), then waits for the replica to apply that sequence and
returns the Outcome the replica produced: the same one the engine produced. `request` is the
same round trip for other engine streams: the vault operations (vaults.py) use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from engine.clock import Clock
from engine.cluster import DEFAULT_REDIS_PREFIX, ClusterKeys
from engine.cluster.replica import JournalReplica, ReplicaBehind
from engine.cluster.vaults import RemoteVaults
from engine.store.database import Database
from engine.trading.commands import Command, encode
from engine.trading.exchange import Outcome
from engine.trading.sequencer import SequencerStopped

# Bounded: the stream keeps about this many commands, acknowledged or not.
COMMAND_STREAM_LENGTH = 100_000
# How long a caller waits for the engine (a standby takes over within a few seconds).
REPLY_TIMEOUT_SECONDS = 15.0
RESULT_CHECK_SECONDS = 1.0
REPLICA_TIMEOUT_SECONDS = 10.0

log = structlog.get_logger("godark.cluster.api")


class ApiNode:
    def __init__(
        self,
        database: Database,
        redis_url: str,
        clock: Clock,
        redis_prefix: str = DEFAULT_REDIS_PREFIX,
    ) -> None:
        self.keys = ClusterKeys.of(database.url, redis_prefix)
        self.process = uuid.uuid4().hex[:12]
        self.replica = JournalReplica(database, clock)
        self.vaults = RemoteVaults(self, lambda: self.replica.exchange)
        self._redis = Redis.from_url(redis_url)
        self._replies: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    async def start(self) -> None:
        await self.replica.start(self._redis, self.keys.journaled)
        self._listener = asyncio.create_task(self._listen(), name="cluster-replies")
        async with asyncio.timeout(REPLY_TIMEOUT_SECONDS):
            await self._subscribed.wait()
        self.vaults.start()

    async def stop(self) -> None:
        await self.vaults.stop()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self.replica.stop()
        await self._redis.aclose()

    async def submit(self, command: Command) -> Outcome:
        kind, payload = encode(command)
        answer = await self.request(
            self.keys.commands,
            {"kind": kind, "payload": json.dumps(payload, separators=(",", ":"))},
        )
        if "sequence" not in answer:
            raise SequencerStopped(str(answer.get("message", "the engine refused the command")))
        return await self.outcome_of(int(answer["sequence"]))

    async def outcome_of(self, sequence: int) -> Outcome:
        """Once this process's replica has applied `sequence`: read-your-writes."""
        try:
            return await self.replica.outcome_of(sequence, REPLICA_TIMEOUT_SECONDS)
        except ReplicaBehind as behind:
            raise SequencerStopped(str(behind)) from None

    async def request(self, stream: str, fields: dict[str, str]) -> dict[str, Any]:
        """XADD `fields` with a fresh request id and this process's reply channel to the
        engine's `stream`; the engine's answer (a JSON object with the same request id)."""
        request = uuid.uuid4().hex
        entry: dict[Any, Any] = {
            **fields,
            "request": request,
            "reply": self.keys.reply_channel(self.process),
        }
        reply: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._replies[request] = reply
        try:
            try:
                await self._redis.xadd(
                    stream,
                    entry,
                    maxlen=COMMAND_STREAM_LENGTH,
                    approximate=True,
                )
            except (RedisError, OSError) as error:
                raise SequencerStopped("the trading engine is unreachable") from error
            return await self._await_reply(request, reply)
        finally:
            self._replies.pop(request, None)

    async def _await_reply(
        self, request: str, reply: asyncio.Future[dict[str, Any]]
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REPLY_TIMEOUT_SECONDS
        while loop.time() < deadline:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(RESULT_CHECK_SECONDS):  # wait_for: see Sequencer
                    return await asyncio.shield(reply)
            # A reply published while this process was resubscribing is in the result key.
            with contextlib.suppress(RedisError, OSError):
                stored = await self._redis.get(self.keys.result(request))
                if stored is not None:
                    answer: dict[str, Any] = json.loads(stored)
                    return answer
        raise SequencerStopped("the trading engine did not answer in time")

    async def _listen(self) -> None:
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.keys.reply_channel(self.process))
                self._subscribed.set()
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self._answer(json.loads(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("cluster_replies_unavailable", error=type(error).__name__)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(RESULT_CHECK_SECONDS)

    def _answer(self, answer: dict[str, Any]) -> None:
        waiting = self._replies.get(str(answer.get("request")))
        if waiting is not None and not waiting.done():
            waiting.set_result(answer)
