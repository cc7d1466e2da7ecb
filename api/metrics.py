"""Prometheus metrics of the API process."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.registry import Collector

from api.fanout import DirectTextFrames
from engine.venue import Venue

HTTP_REQUESTS = Counter(
    "godark_http_requests_total", "HTTP requests served", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "godark_http_request_duration_seconds",
    "Time from request to the end of the response",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
GRAPHQL_OPERATIONS = Counter(
    "godark_graphql_operations_total", "GraphQL operations executed", ["type", "outcome"]
)
GRAPHQL_LATENCY = Histogram(
    "godark_graphql_operation_duration_seconds",
    "GraphQL operation execution time (subscriptions: until the first result)",
    ["type"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
WEBSOCKET_CONNECTIONS = Gauge("godark_websocket_connections", "Open WebSocket connections")

# Fixed label values keep the metric's cardinality bounded whatever paths clients send.
_KNOWN_ROUTES = ("/graphql", "/healthz", "/metrics", "/widget.js", "/solana")


Labelled = TypeVar("Labelled", bound=MetricWrapperBase)


@functools.lru_cache(maxsize=512)
def labelled(metric: Labelled, *values: str) -> Labelled:
    """The child of `metric` for these label values, looked up once: `labels()` takes a
    lock and validates its values at every call, on every request. Bounded, as the label
    values are (known routes, HTTP methods and statuses, operation kinds)."""
    return metric.labels(*values)


def route_label(path: str) -> str:
    if path in _KNOWN_ROUTES:
        return path
    if path.startswith("/assets/"):
        return "/assets"
    return "/app"


class VenueCollector(Collector):
    """Reads the engine's own counters at scrape time, so the engine needs no metrics library."""

    def __init__(self, venue: Venue) -> None:
        self._venue = venue

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "godark_websocket_direct_frames",
            "Shared-subscription frames written straight to the socket (no ASGI send path)",
            value=DirectTextFrames.frames_written,
        )
        oracle = self._venue.oracle
        rejected = CounterMetricFamily(
            "godark_oracle_rejected_payloads",
            "Venue payloads refused by the oracle",
            labels=["source", "reason"],
        )
        for (source, reason), count in sorted(oracle.rejections.items()):
            rejected.add_metric([source, reason], count)
        yield rejected
        healthy = GaugeMetricFamily(
            "godark_oracle_healthy",
            "1 when at least two venues agree on the index",
            labels=["asset"],
        )
        confidence = GaugeMetricFamily(
            "godark_oracle_confidence", "Oracle confidence score in [0, 1]", labels=["asset"]
        )
        for asset in oracle.assets:
            latest = oracle.latest(asset)
            healthy.add_metric([asset], 1.0 if latest is not None and latest.healthy else 0.0)
            confidence.add_metric([asset], 0.0 if latest is None else latest.index.confidence)
        yield healthy
        yield confidence
        anomalies = CounterMetricFamily(
            "godark_oracle_anomalies", "Price anomalies raised by the manipulation guard"
        )
        anomalies.add_metric([], oracle.anomaly_count)
        yield anomalies
        yield from self._sports()
        yield from self._settlement()
        yield from self._sequencer()

    def _sequencer(self) -> Iterator[Metric]:
        sequencer = self._venue.sequencer
        if sequencer is None:  # an API process of a cluster: the engine process reports
            return
        stats = sequencer.stats
        batches = CounterMetricFamily(
            "godark_sequencer_batches", "Batches of commands journaled in one transaction"
        )
        batches.add_metric([], stats.batches)
        yield batches
        commands = CounterMetricFamily(
            "godark_sequencer_commands", "Commands applied and journaled by the sequencer"
        )
        commands.add_metric([], stats.commands)
        yield commands
        writes = CounterMetricFamily(
            "godark_sequencer_write_seconds",
            "Time spent in batch transactions (divide by batches for the mean write)",
        )
        writes.add_metric([], stats.write_seconds)
        yield writes
        snapshots = CounterMetricFamily(
            "godark_sequencer_snapshots", "Snapshots saved, and failed", labels=["result"]
        )
        snapshots.add_metric(["saved"], stats.snapshots)
        snapshots.add_metric(["failed"], stats.snapshot_failures)
        yield snapshots
        since = GaugeMetricFamily(
            "godark_sequencer_commands_since_snapshot",
            "Commands a restart would replay after the latest snapshot",
        )
        since.add_metric([], sequencer.exchange.sequence - stats.last_snapshot_sequence)
        yield since

    def _settlement(self) -> Iterator[Metric]:
        runtime = self._venue.settlement
        lag = GaugeMetricFamily(
            "godark_settlement_lag_seconds",
            "How long the oldest trade not yet confirmed on chain has waited",
        )
        lag.add_metric([], runtime.lag_seconds)
        yield lag
        batches = GaugeMetricFamily(
            "godark_settlement_batches", "Settlement batches by status", labels=["status"]
        )
        for status in ("MATCHED", "PENDING", "CONFIRMED", "FAILED"):
            batches.add_metric([status], runtime.batch_counts.get(status, 0))
        yield batches
        last = runtime.vaults.last_reconciliation
        difference = GaugeMetricFamily(
            "godark_vault_reconciliation_difference",
            "On-chain vault balance minus what the ledger's vault movements expect (micro-USDT)",
        )
        difference.add_metric([], 0 if last is None else last.difference)
        yield difference
        halted = GaugeMetricFamily(
            "godark_vault_withdrawals_halted", "1 while reconciliation halts vault withdrawals"
        )
        halted.add_metric([], 1.0 if runtime.vaults.withdrawals_halted else 0.0)
        yield halted

    def _sports(self) -> Iterator[Metric]:
        sports = self._venue.sports
        if sports is None:
            return
        closed = GaugeMetricFamily(
            "godark_sports_provider_circuit_closed",
            "1 while the provider's circuit breaker lets requests through",
            labels=["provider"],
        )
        requests = CounterMetricFamily(
            "godark_sports_provider_requests",
            "Polls of a provider by result",
            labels=["provider", "result"],
        )
        rejected = CounterMetricFamily(
            "godark_sports_rejected_payloads",
            "Provider data refused by the sports oracle",
            labels=["provider", "reason"],
        )
        for health in sports.provider_health():
            provider = health.provider.value
            closed.add_metric([provider], 1.0 if health.circuit.value == "CLOSED" else 0.0)
            requests.add_metric([provider, "success"], health.successes)
            requests.add_metric([provider, "failure"], health.failures)
            requests.add_metric([provider, "rate_limited"], health.rate_limited_responses)
            for reason, count in health.rejections:
                rejected.add_metric([provider, reason], count)
        yield closed
        yield requests
        yield rejected


def venue_registry(venue: Venue) -> CollectorRegistry:
    """A registry per app, so tests that build many apps never register twice."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(VenueCollector(venue))
    return registry
