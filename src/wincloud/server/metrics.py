"""Metrics: plain integer counters on the request path, turned into Prometheus families only
when scraped.

A request costs one list increment. With several worker processes each worker copies its
counters into its own row of a shared memory block once a second (``SharedRows``); the admin
listener sums the rows at scrape time.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Iterator, Sequence
from typing import Final

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from wincloud import __version__

STATUSES: Final = (200, 204, 400, 401, 403, 404, 405, 408, 409, 413, 415, 431, 500, 503)
APIS: Final = ("openstack", "ec2")
CONNECTION_EVENTS: Final = (
    "accepted",
    "refused_client_cap",
    "refused_total_cap",
    "evicted_idle",
    "timed_out",
    "bad_request",
)
PASSWORD_RESULTS: Final = ("stored", "conflict", "too-large", "empty", "unavailable")
STORE_BUCKETS: Final = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0)
GAUGES: Final = ("open_connections", "cached_trees", "cache_bytes", "instances")
CACHE_EVENTS: Final = ("hits", "misses", "evictions")


def _layout() -> dict[str, int]:
    names = [f"req:{api}:{status}" for api in APIS for status in (*STATUSES, 0)]
    names += [f"conn:{event}" for event in CONNECTION_EVENTS]
    names += [f"pw:{result}" for result in PASSWORD_RESULTS]
    names += [f"store:le:{bucket}" for bucket in STORE_BUCKETS]
    names += ["store:count", "store:sum_us", "store:errors", "store:outages"]
    names += [f"gauge:{gauge}" for gauge in GAUGES]
    names += [f"cache:{event}" for event in CACHE_EVENTS]
    return {name: i for i, name in enumerate(names)}


SLOTS: Final = _layout()
_OPENSTACK_SLOT: Final = {status: SLOTS[f"req:openstack:{status}"] for status in STATUSES}
_EC2_SLOT: Final = {status: SLOTS[f"req:ec2:{status}"] for status in STATUSES}
_REQUEST_SLOTS: Final = tuple(slot for name, slot in SLOTS.items() if name.startswith("req:"))


class Metrics:
    """The counters of one process."""

    def __init__(self) -> None:
        self.values = [0] * len(SLOTS)
        self.shared: SharedRows | None = None
        self.registry = CollectorRegistry()
        self.registry.register(_Collector(self))
        self.registry.register(ProcessCollector(registry=None))

    def request(self, openstack: bool, status: int) -> None:
        slot = (_OPENSTACK_SLOT if openstack else _EC2_SLOT).get(status)
        if slot is None:
            slot = SLOTS["req:openstack:0" if openstack else "req:ec2:0"]
        self.values[slot] += 1

    def answered(self) -> int:
        """Requests answered so far by this process (summed when asked: nothing more is
        counted per request)."""
        values = self.values
        return sum(values[slot] for slot in _REQUEST_SLOTS)

    def count(self, name: str, by: int = 1) -> None:
        self.values[SLOTS[name]] += by

    def gauge(self, name: str, value: int) -> None:
        self.values[SLOTS[f"gauge:{name}"]] = value

    def store_call(self, seconds: float, *, failed: bool) -> None:
        values = self.values
        for bucket in STORE_BUCKETS:
            if seconds <= bucket:
                values[SLOTS[f"store:le:{bucket}"]] += 1
        values[SLOTS["store:count"]] += 1
        values[SLOTS["store:sum_us"]] += int(seconds * 1e6)
        if failed:
            values[SLOTS["store:errors"]] += 1

    def carry_on(self, previous: Sequence[int]) -> None:
        """Start from the counters a previous process in this slot left (gauges at 0), so a
        restarted worker does not make the sums go backwards."""
        gauges = {SLOTS[f"gauge:{gauge}"] for gauge in GAUGES}
        self.values = [0 if i in gauges else v for i, v in enumerate(previous)]

    def totals(self) -> Sequence[int]:
        """This process's counters, or every worker's summed (gauges too; ``instances``
        is the largest any worker holds)."""
        if self.shared is None:
            return self.values
        return self.shared.totals()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class SharedRows:
    """One row of counters per worker process in an anonymous shared mapping (made before
    the workers fork)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._row = struct.Struct(f"<{len(SLOTS)}q")
        self._map = mmap.mmap(-1, self._row.size * workers)

    def publish(self, worker: int, values: Sequence[int]) -> None:
        self._row.pack_into(self._map, worker * self._row.size, *values)

    def row(self, worker: int) -> tuple[int, ...]:
        return tuple(self._row.unpack_from(self._map, worker * self._row.size))

    def totals(self) -> list[int]:
        rows = [self.row(i) for i in range(self.workers)]
        out = [sum(column) for column in zip(*rows, strict=True)]
        at = SLOTS["gauge:instances"]
        out[at] = max(row[at] for row in rows)
        return out


class _Collector:
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        v = self._metrics.totals()
        requests = CounterMetricFamily(
            "wincloud_metadata_requests",
            "Metadata requests answered, by API family and HTTP status (0: other).",
            labels=["api", "status"],
        )
        for api in APIS:
            for status in (*STATUSES, 0):
                requests.add_metric([api, str(status)], v[SLOTS[f"req:{api}:{status}"]])
        yield requests
        connections = CounterMetricFamily(
            "wincloud_metadata_connections",
            "Guest connections by event: accepted, refused (per-client or total cap), idle "
            "ones closed to make room, timed out, closed on a malformed request.",
            labels=["event"],
        )
        for event in CONNECTION_EVENTS:
            connections.add_metric([event], v[SLOTS[f"conn:{event}"]])
        yield connections
        passwords = CounterMetricFamily(
            "wincloud_metadata_password_posts", "Password posts by result.", labels=["result"]
        )
        for result in PASSWORD_RESULTS:
            passwords.add_metric([result], v[SLOTS[f"pw:{result}"]])
        yield passwords
        yield HistogramMetricFamily(
            "wincloud_metadata_store_seconds",
            "Time of the store calls made while answering (tree loads, passwords, reports).",
            buckets=[(str(b), v[SLOTS[f"store:le:{b}"]]) for b in STORE_BUCKETS]
            + [("+Inf", v[SLOTS["store:count"]])],
            sum_value=v[SLOTS["store:sum_us"]] / 1e6,
        )
        yield CounterMetricFamily(
            "wincloud_metadata_store_errors",
            "Store calls that failed (the guest got 503).",
            value=v[SLOTS["store:errors"]],
        )
        yield CounterMetricFamily(
            "wincloud_metadata_store_outages",
            "Times the store became unreachable.",
            value=v[SLOTS["store:outages"]],
        )
        cache = CounterMetricFamily(
            "wincloud_metadata_tree_cache", "Rendered-tree cache events.", labels=["event"]
        )
        for event in CACHE_EVENTS:
            cache.add_metric([event], v[SLOTS[f"cache:{event}"]])
        yield cache
        helps = {
            "open_connections": "Guest connections open now.",
            "cached_trees": "Rendered instance trees held in memory.",
            "cache_bytes": "Bytes held by rendered trees (estimate).",
            "instances": "Instances in the service's index (the store's view).",
        }
        for gauge, text in helps.items():
            yield GaugeMetricFamily(
                f"wincloud_metadata_{gauge}", text, value=v[SLOTS[f"gauge:{gauge}"]]
            )
        info = GaugeMetricFamily(
            "wincloud_build_info", "wincloud's version (value 1).", labels=["version", "pid"]
        )
        info.add_metric([__version__, str(os.getpid())], 1)
        yield info
