"""Prometheus metrics of an API process of many: how far its read replica is behind the
engine's journal (docs/operations.md, "Running many processes")."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from engine.venue import Venue


class ReplicaCollector(Collector):
    """Read at scrape time; a process without a replica (role `all`) reports nothing."""

    def __init__(self, venue: Venue) -> None:
        self._venue = venue

    def collect(self) -> Iterator[Metric]:
        replica = self._venue.replica
        if replica is None:
            return
        yield _gauge(
            "godark_replica_sequence",
            "Last journal sequence this replica applied",
            replica.sequence,
        )
        yield _gauge(
            "godark_replica_commands_behind",
            "Commands the engine journaled that this replica has not applied yet",
            replica.commands_behind,
        )
        yield _gauge(
            "godark_replica_seconds_behind",
            "How long this replica has been short of the engine's journal (0 when caught up)",
            replica.seconds_behind,
        )


def replica_health(venue: Venue) -> dict[str, float | int] | None:
    """The replica's lag for /healthz."""
    replica = venue.replica
    if replica is None:
        return None
    return {
        "sequence": replica.sequence,
        "commandsBehind": replica.commands_behind,
        "secondsBehind": round(replica.seconds_behind, 3),
    }


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, documentation)
    gauge.add_metric([], value)
    return gauge
