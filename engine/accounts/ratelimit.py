"""Rate limits for the API: token buckets per principal and tier, bans for repeat offenders,
and login throttling against credential stuffing. Storage is a `BucketStore`: in-process
here, Redis in `engine.accounts.ratelimit_redis` so limits hold across API processes."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Protocol

from engine.clock import Clock

# Below this many tokens of shortfall a bucket counts as having enough: refills are computed
# in floating point and must not refuse a call that is due by a rounding error.
TOKEN_TOLERANCE = 1e-9

# Trading buckets hold this many seconds of their per-minute rate (1/6 of a minute): a market
# maker can requote a book in one burst, yet no 60-second window exceeds 7/6 of the limit.
TRADING_BURST_SECONDS = 10.0

# Login throttling (credential stuffing): failures counted over a rolling window; reaching
# the limit locks the account key (or IP) for one full window from that failure.
LOGIN_WINDOW_SECONDS = 15 * 60.0
LOGIN_FAILURES_PER_ACCOUNT = 5
LOGIN_FAILURES_PER_IP = 30


class Tier(StrEnum):
    FREE = "FREE"
    BASIC = "BASIC"
    PRO = "PRO"
    MARKET_MAKER = "MARKET_MAKER"

    @classmethod
    def named(cls, name: str) -> Tier:
        """The tier of that name; an unknown name (a stale token) gets the lowest."""
        try:
            return cls(name)
        except ValueError:
            return cls.FREE


@dataclass(frozen=True, slots=True)
class TierLimits:
    requests_per_minute: int
    requests_per_second: int
    burst: int
    ws_messages_per_second: int
    max_connections: int
    max_subscriptions: int
    orders_per_minute: int
    cancels_per_minute: int
    max_open_orders: int


# Seed 004, section 8 ("RATE_LIMITS": REST API, WebSocket and trading limits per tier).
TIER_LIMITS: Mapping[Tier, TierLimits] = MappingProxyType(
    {
        Tier.FREE: TierLimits(60, 2, 10, 10, 2, 10, 30, 60, 20),
        Tier.BASIC: TierLimits(300, 10, 50, 50, 5, 50, 150, 300, 100),
        Tier.PRO: TierLimits(1200, 40, 200, 200, 10, 200, 600, 1200, 500),
        Tier.MARKET_MAKER: TierLimits(6000, 200, 500, 1000, 20, 1000, 3000, 6000, 5000),
    }
)


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    retry_after: float  # seconds until the call would be allowed; 0.0 when allowed


ALLOWED = Decision(allowed=True, retry_after=0.0)


@dataclass(frozen=True, slots=True)
class BucketSpec:
    """One token bucket: `capacity` tokens at most, refilled at `rate` tokens per second."""

    key: str
    rate: float
    capacity: float
    cost: float = 1

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.capacity <= 0:
            raise ValueError(f"bucket {self.key!r} needs a positive rate and capacity")
        if not 0 <= self.cost <= self.capacity:
            raise ValueError(f"bucket {self.key!r} cost must be within 0..capacity")


class BucketStore(Protocol):
    """Where bucket levels, hit counters and bans live. `now` is Unix seconds from the
    caller's clock; stores never read the system time."""

    async def take(self, buckets: Sequence[BucketSpec], now: float) -> Decision:
        """Charge every bucket its cost if all have enough tokens, else charge none and
        return the longest wait among the buckets that lack."""
        ...

    async def hit(self, key: str, window: float, now: float) -> int:
        """Record one hit; return the hits of the last `window` seconds, this one included."""
        ...

    async def ban(self, key: str, until: float, now: float) -> None: ...

    async def banned_until(self, key: str, now: float) -> float | None: ...

    async def reset(self, key: str) -> None:
        """Forget the bucket, hits and ban stored under `key`."""
        ...


def to_micros(seconds: float) -> int:
    """Whole microseconds: time differences are then exact, whatever the float rounding."""
    return round(seconds * 1_000_000)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated_us: int
    full_at_us: int


@dataclass(slots=True)
class _Hits:
    window_us: int
    times_us: deque[int]


def _recent(hits: _Hits, now_us: int) -> bool:
    return bool(hits.times_us) and hits.times_us[-1] > now_us - hits.window_us


class UnlimitedBucketStore:
    """Allows everything: for measuring the engine without the limiter's policy in the way
    (`GODARK_RATE_LIMITS=false`, used by the benchmarks). Never in production."""

    async def take(self, buckets: Sequence[BucketSpec], now: float) -> Decision:
        return Decision(allowed=True, retry_after=0.0)

    async def hit(self, key: str, window: float, now: float) -> int:
        return 0

    async def ban(self, key: str, until: float, now: float) -> None:
        return None

    async def banned_until(self, key: str, now: float) -> float | None:
        return None

    async def reset(self, key: str) -> None:
        return None


class MemoryBucketStore:
    """A store for one process. Every `sweep_every` operations it drops what carries no
    information any more (buckets full again, hits out of their window, ended bans), so
    memory follows the number of recently active keys, not of all keys ever seen."""

    def __init__(self, *, sweep_every: int = 1024) -> None:
        self._buckets: dict[str, _Bucket] = {}
        self._hits: dict[str, _Hits] = {}
        self._bans: dict[str, int] = {}
        self._sweep_every = sweep_every
        self._operations = 0

    def __len__(self) -> int:
        return len(self._buckets) + len(self._hits) + len(self._bans)

    async def take(self, buckets: Sequence[BucketSpec], now: float) -> Decision:
        now_us = self._tick(now)
        levels = [self._level(spec, now_us) for spec in buckets]
        wait = max(
            (
                (spec.cost - level) / spec.rate
                for spec, level in zip(buckets, levels, strict=True)
                if level + TOKEN_TOLERANCE < spec.cost
            ),
            default=0.0,
        )
        if wait > 0:
            return Decision(allowed=False, retry_after=wait)
        for spec, level in zip(buckets, levels, strict=True):
            tokens = level - spec.cost
            updated_us = max(now_us, self._updated_us(spec.key))
            full_at_us = updated_us + math.ceil((spec.capacity - tokens) / spec.rate * 1e6)
            self._buckets[spec.key] = _Bucket(tokens, updated_us, full_at_us)
        return ALLOWED

    async def hit(self, key: str, window: float, now: float) -> int:
        now_us = self._tick(now)
        hits = self._hits.setdefault(key, _Hits(to_micros(window), deque()))
        hits.window_us = to_micros(window)
        hits.times_us.append(now_us)
        while hits.times_us and hits.times_us[0] <= now_us - hits.window_us:
            hits.times_us.popleft()
        return len(hits.times_us)

    async def ban(self, key: str, until: float, now: float) -> None:
        self._tick(now)
        self._bans[key] = to_micros(until)

    async def banned_until(self, key: str, now: float) -> float | None:
        until_us = self._bans.get(key)
        if until_us is None or until_us <= to_micros(now):
            return None
        return until_us / 1_000_000

    async def reset(self, key: str) -> None:
        self._buckets.pop(key, None)
        self._hits.pop(key, None)
        self._bans.pop(key, None)

    def _level(self, spec: BucketSpec, now_us: int) -> float:
        bucket = self._buckets.get(spec.key)
        if bucket is None:
            return spec.capacity
        elapsed_us = max(0, now_us - bucket.updated_us)
        return min(spec.capacity, bucket.tokens + elapsed_us * spec.rate / 1e6)

    def _updated_us(self, key: str) -> int:
        bucket = self._buckets.get(key)
        return 0 if bucket is None else bucket.updated_us

    def _tick(self, now: float) -> int:
        now_us = to_micros(now)
        self._operations += 1
        if self._operations % self._sweep_every == 0:
            self._sweep(now_us)
        return now_us

    def _sweep(self, now_us: int) -> None:
        for key in [k for k, b in self._buckets.items() if b.full_at_us <= now_us]:
            del self._buckets[key]
        for key in [k for k, h in self._hits.items() if not _recent(h, now_us)]:
            del self._hits[key]
        for key in [k for k, until_us in self._bans.items() if until_us <= now_us]:
            del self._bans[key]


class RateLimiter:
    """The API's limits per principal (account or API key) and tier. Every refused call is a
    violation; `violations_before_ban` of them within `violation_window` seconds ban the
    principal for `ban_seconds`, during which every call is refused."""

    def __init__(
        self,
        store: BucketStore,
        clock: Clock,
        *,
        violations_before_ban: int = 20,
        violation_window: float = 60.0,
        ban_seconds: float = 300.0,
    ) -> None:
        self._store = store
        self._clock = clock
        self._violations_before_ban = violations_before_ban
        self._violation_window = violation_window
        self._ban_seconds = ban_seconds

    async def request(self, principal: str, tier: Tier) -> Decision:
        limits = TIER_LIMITS[tier]
        per_minute = limits.requests_per_minute
        return await self._take(
            principal,
            BucketSpec(f"request:second:{principal}", limits.requests_per_second, limits.burst),
            BucketSpec(f"request:minute:{principal}", per_minute / 60, per_minute),
        )

    async def order(self, principal: str, tier: Tier) -> Decision:
        return await self._take(
            principal, _per_minute_bucket(f"order:{principal}", TIER_LIMITS[tier].orders_per_minute)
        )

    async def cancel(self, principal: str, tier: Tier) -> Decision:
        per_minute = TIER_LIMITS[tier].cancels_per_minute
        return await self._take(principal, _per_minute_bucket(f"cancel:{principal}", per_minute))

    async def ws_message(self, principal: str, tier: Tier) -> Decision:
        per_second = TIER_LIMITS[tier].ws_messages_per_second
        return await self._take(principal, BucketSpec(f"ws:{principal}", per_second, per_second))

    async def login_allowed(self, account_key: str, ip: str) -> Decision:
        """`account_key` identifies the login name (a hash of the normalised email) whether or
        not an account exists, so throttling reveals nothing about which accounts exist."""
        now = self._now()
        ends = [
            await self._store.banned_until(key, now)
            for key in (_login_account_key(account_key), _login_ip_key(ip))
        ]
        until = max((end for end in ends if end is not None), default=None)
        return ALLOWED if until is None else Decision(allowed=False, retry_after=until - now)

    async def record_login_failure(self, account_key: str, ip: str) -> None:
        now = self._now()
        for key, limit in (
            (_login_account_key(account_key), LOGIN_FAILURES_PER_ACCOUNT),
            (_login_ip_key(ip), LOGIN_FAILURES_PER_IP),
        ):
            if await self._store.hit(key, LOGIN_WINDOW_SECONDS, now) >= limit:
                await self._store.ban(key, now + LOGIN_WINDOW_SECONDS, now)

    async def record_login_success(self, account_key: str) -> None:
        """Clears the account's failures and lock; the IP's count stands, since one stuffer's
        IP can hold one valid credential among thousands."""
        await self._store.reset(_login_account_key(account_key))

    async def _take(self, principal: str, *buckets: BucketSpec) -> Decision:
        now = self._now()
        ban_key = f"principal:{principal}"
        banned_until = await self._store.banned_until(ban_key, now)
        if banned_until is not None:
            return Decision(allowed=False, retry_after=banned_until - now)
        decision = await self._store.take(buckets, now)
        if decision.allowed:
            return decision
        violations = await self._store.hit(ban_key, self._violation_window, now)
        if violations < self._violations_before_ban:
            return decision
        await self._store.reset(ban_key)  # after the ban, the principal starts with a clean slate
        await self._store.ban(ban_key, now + self._ban_seconds, now)
        return Decision(allowed=False, retry_after=self._ban_seconds)

    def _now(self) -> float:
        return self._clock.now().timestamp()


def _per_minute_bucket(key: str, per_minute: int) -> BucketSpec:
    return BucketSpec(key, per_minute / 60, per_minute * TRADING_BURST_SECONDS / 60)


def _login_account_key(account_key: str) -> str:
    return f"login:account:{account_key}"


def _login_ip_key(ip: str) -> str:
    return f"login:ip:{ip}"
