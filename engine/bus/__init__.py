"""Event publication: in-process by default, Redis pub/sub when configured."""

from engine.bus.base import Event, EventBus
from engine.bus.memory import InProcessBus
from engine.bus.redis import RedisBus


def bus_for(redis_url: str | None, redis_prefix: str = "godark") -> EventBus:
    """`redis_prefix` names the channels (`<prefix>:<topic>`): venues sharing a Redis differ."""
    return InProcessBus() if redis_url is None else RedisBus(redis_url, f"{redis_prefix}:")


__all__ = ["Event", "EventBus", "InProcessBus", "RedisBus", "bus_for"]
