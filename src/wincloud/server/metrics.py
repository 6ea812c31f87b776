"""Prometheus metrics of one app instance (its own registry, so tests stay independent)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "wincloud_metadata_requests",
            "Metadata requests by API family and HTTP status.",
            ["api", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "wincloud_metadata_request_seconds",
            "Time to answer a metadata request.",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
            registry=self.registry,
        )
        self.refused = Counter(
            "wincloud_metadata_refused",
            "Requests refused before any data was served, by HTTP status.",
            ["status"],
            registry=self.registry,
        )
        self.passwords = Counter(
            "wincloud_metadata_password_posts",
            "Password posts by result.",
            ["result"],
            registry=self.registry,
        )
        self.cached_trees = Gauge(
            "wincloud_metadata_cached_trees",
            "Rendered instance trees held in memory.",
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
