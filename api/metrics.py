"""Prometheus metrics of the API process."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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
_KNOWN_ROUTES = ("/graphql", "/healthz", "/metrics", "/widget.js")


def route_label(path: str) -> str:
    if path in _KNOWN_ROUTES:
        return path
    if path.startswith("/assets/"):
        return "/assets"
    return "/app"
