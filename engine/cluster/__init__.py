"""Many processes: one engine process holds the sequencer (a PostgreSQL lease), API processes
keep a read replica of it and send it commands over a Redis Stream.

Roles: `all` (one process, the default), `engine` (sequencer, timers, price pump, simulated
makers; holds the lease), `api` (HTTP and WebSocket only). docs/operations.md has the topology.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.engine import make_url

Role = Literal["all", "engine", "api"]
ROLE_ALL: Role = "all"
ROLE_ENGINE: Role = "engine"
ROLE_API: Role = "api"


class ClusterConfigurationError(ValueError):
    """A role other than `all` without the PostgreSQL and Redis it needs."""


def require_cluster_backing(role: str, database_url: str, redis_url: str | None) -> None:
    if role == ROLE_ALL:
        return
    if make_url(database_url).get_backend_name() != "postgresql":
        raise ClusterConfigurationError(
            f"GODARK_ROLE={role} needs PostgreSQL (GODARK_DATABASE_URL=postgresql+asyncpg://...): "
            "the engine's lease and the shared journal live there; SQLite serves one process"
        )
    if redis_url is None:
        raise ClusterConfigurationError(
            f"GODARK_ROLE={role} needs Redis (GODARK_REDIS_URL): commands and events travel there"
        )


DEFAULT_REDIS_PREFIX = "godark"


@dataclass(frozen=True, slots=True)
class ClusterKeys:
    """Redis keys of one venue: under the configured prefix (GODARK_REDIS_PREFIX) and named
    after its database, so venues sharing a Redis do not mix."""

    venue: str
    prefix: str = DEFAULT_REDIS_PREFIX

    @classmethod
    def of(cls, database_url: str, prefix: str = DEFAULT_REDIS_PREFIX) -> ClusterKeys:
        return cls(make_url(database_url).database or "godark", prefix)

    @property
    def _base(self) -> str:
        return f"{self.prefix}:cluster:{self.venue}"

    @property
    def commands(self) -> str:
        return f"{self._base}:commands"

    @property
    def vault_requests(self) -> str:
        """Vault and wallet operations for the engine's chain (engine/cluster/vaults.py)."""
        return f"{self._base}:vaults"

    @property
    def journaled(self) -> str:
        return f"{self._base}:journaled"

    def reply_channel(self, process: str) -> str:
        return f"{self._base}:reply:{process}"

    def result(self, request: str) -> str:
        return f"{self._base}:result:{request}"


# The consumer group of engine processes and the one consumer name they all use: a new
# leaseholder inherits the entries its predecessor read but did not acknowledge.
ENGINE_GROUP = "engine"
ENGINE_CONSUMER = "leaseholder"
