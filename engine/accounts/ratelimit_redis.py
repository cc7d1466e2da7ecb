"""The rate-limit store in Redis, so every API process draws on the same buckets, counters
and bans. Keys expire once they carry no information (a bucket full again, hits out of
their window, a ban over); expiry runs on Redis's clock, the levels on the caller's."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from engine.accounts.ratelimit import (
    ALLOWED,
    TOKEN_TOLERANCE,
    BucketSpec,
    BucketStore,
    Decision,
    to_micros,
)

log = structlog.get_logger("godark.ratelimit")

# Check every bucket, then charge all or none, in one atomic step.
# KEYS: bucket hashes {tokens, updated_us}. ARGV: now_us, tolerance, then rate, capacity, cost
# per bucket. Returns {1, "0"} when charged, else {0, seconds to wait as a string} (Lua
# numbers returned to Redis become integers, which would truncate the wait).
TAKE_SCRIPT = """
local now_us = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local levels, updated = {}, {}
local wait = 0
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[3 * i])
  local capacity = tonumber(ARGV[3 * i + 1])
  local cost = tonumber(ARGV[3 * i + 2])
  local state = redis.call('HMGET', key, 'tokens', 'updated_us')
  local tokens, last_us = capacity, now_us
  if state[1] then
    last_us = tonumber(state[2])
    local elapsed_us = math.max(0, now_us - last_us)
    tokens = math.min(capacity, tonumber(state[1]) + elapsed_us * rate / 1e6)
  end
  levels[i] = tokens
  updated[i] = math.max(now_us, last_us)
  if tokens + tolerance < cost then
    wait = math.max(wait, (cost - tokens) / rate)
  end
end
if wait > 0 then
  return {0, string.format('%.17g', wait)}
end
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[3 * i])
  local capacity = tonumber(ARGV[3 * i + 1])
  local tokens = levels[i] - tonumber(ARGV[3 * i + 2])
  redis.call('HSET', key, 'tokens', string.format('%.17g', tokens), 'updated_us',
    string.format('%d', updated[i]))
  redis.call('PEXPIRE', key, math.max(1, math.ceil((capacity - tokens) / rate * 1000)))
end
return {1, '0'}
"""


class RedisBucketStore:
    def __init__(self, redis: Redis, prefix: str = "godark:rl:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._take_script = redis.register_script(TAKE_SCRIPT)

    async def take(self, buckets: Sequence[BucketSpec], now: float) -> Decision:
        if not buckets:
            return ALLOWED
        args: list[str | int] = [to_micros(now), repr(TOKEN_TOLERANCE)]
        for spec in buckets:
            args += [repr(float(spec.rate)), repr(float(spec.capacity)), repr(float(spec.cost))]
        keys = [self._bucket_key(spec.key) for spec in buckets]
        allowed, wait = await self._take_script(keys=keys, args=args)
        return ALLOWED if allowed == 1 else Decision(allowed=False, retry_after=float(wait))

    async def hit(self, key: str, window: float, now: float) -> int:
        now_us, window_us = to_micros(now), to_micros(window)
        hits_key = self._hits_key(key)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(hits_key, {f"{now_us}:{uuid.uuid4().hex}": now_us})
            pipe.zremrangebyscore(hits_key, "-inf", now_us - window_us)
            pipe.zcard(hits_key)
            pipe.pexpire(hits_key, max(1, math.ceil(window * 1000)))
            results = await pipe.execute()
        return int(results[2])

    async def ban(self, key: str, until: float, now: float) -> None:
        milliseconds = math.ceil((until - now) * 1000)
        if milliseconds > 0:
            await self._redis.set(self._ban_key(key), repr(float(until)), px=milliseconds)

    async def banned_until(self, key: str, now: float) -> float | None:
        value = await self._redis.get(self._ban_key(key))
        if value is None:
            return None
        until = float(value)
        return until if to_micros(until) > to_micros(now) else None

    async def reset(self, key: str) -> None:
        await self._redis.delete(self._bucket_key(key), self._hits_key(key), self._ban_key(key))

    def _bucket_key(self, key: str) -> str:
        return f"{self._prefix}bucket:{key}"

    def _hits_key(self, key: str) -> str:
        return f"{self._prefix}hits:{key}"

    def _ban_key(self, key: str) -> str:
        return f"{self._prefix}ban:{key}"


class FallbackBucketStore:
    """Redis while it answers; this process's own buckets while it does not. An outage of
    Redis must not turn every request into an error, nor lift the limits: each process
    then enforces them alone, and goes back to the shared buckets as soon as Redis answers
    again (every call tries it first; the client reconnects by itself)."""

    def __init__(self, shared: BucketStore, local: BucketStore) -> None:
        self._shared = shared
        self._local = local
        self.using_local = False

    async def take(self, buckets: Sequence[BucketSpec], now: float) -> Decision:
        try:
            decision = await self._shared.take(buckets, now)
        except (RedisError, OSError) as error:
            self._fell_back(error)
            return await self._local.take(buckets, now)
        self._recovered()
        return decision

    async def hit(self, key: str, window: float, now: float) -> int:
        try:
            hits = await self._shared.hit(key, window, now)
        except (RedisError, OSError) as error:
            self._fell_back(error)
            return await self._local.hit(key, window, now)
        self._recovered()
        return hits

    async def ban(self, key: str, until: float, now: float) -> None:
        await self._local.ban(key, until, now)  # also here: the ban holds if Redis goes
        try:
            await self._shared.ban(key, until, now)
        except (RedisError, OSError) as error:
            self._fell_back(error)

    async def banned_until(self, key: str, now: float) -> float | None:
        local = await self._local.banned_until(key, now)
        try:
            shared = await self._shared.banned_until(key, now)
        except (RedisError, OSError) as error:
            self._fell_back(error)
            return local
        self._recovered()
        return shared if local is None else max(local, shared or local)

    async def reset(self, key: str) -> None:
        await self._local.reset(key)
        try:
            await self._shared.reset(key)
        except (RedisError, OSError) as error:
            self._fell_back(error)

    def _fell_back(self, error: BaseException) -> None:
        if not self.using_local:
            log.warning("rate_limits_local", reason=type(error).__name__)
        self.using_local = True

    def _recovered(self) -> None:
        if self.using_local:
            log.info("rate_limits_shared_again")
        self.using_local = False
