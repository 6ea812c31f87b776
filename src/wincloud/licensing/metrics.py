"""Prometheus gauges for licence accounting, on the admin listener's /metrics:

wincloud_windows_vms{edition, activation}   running Windows VMs by edition (as the report
                                            names it; "unknown" before a report) and
                                            activation (activated, failed, not-attempted,
                                            no-report); customer-key and desktop VMs included
wincloud_licensing_host_windows_vms{host}   running provider-counted Windows Server VMs per host
wincloud_licensing_hosts_over_standard      hosts licensed Standard running more Windows Server
                                            VMs than their licensed_vms
wincloud_licensing_up                       1 when the figures could be read, else 0

Computed from the history and the inventory at scrape time, at most once per ``ttl`` seconds
(the last figures are served in between), so a scrape costs one history read per ttl.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from prometheus_client.core import GaugeMetricFamily, Metric

from wincloud.errors import StoreError
from wincloud.licensing.report import classify
from wincloud.licensing.rules import Rules, load_rules
from wincloud.licensing.timeline import build_lives

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from wincloud.store import SqlInstanceRepo

log = logging.getLogger(__name__)

DEFAULT_TTL_S: Final = 30.0
_REGISTERED: Final[weakref.WeakSet[CollectorRegistry]] = weakref.WeakSet()


class Figures:
    def __init__(self) -> None:
        self.vms: Counter[tuple[str, str]] = Counter()
        self.per_host: Counter[str] = Counter()
        self.hosts_over_standard = 0


def current_figures(repo: SqlInstanceRepo, rules: Rules, now: datetime) -> Figures:
    figures = Figures()
    for life in build_lives(repo.history.around(now, now)):
        if not life.segments or life.segments[-1].end is not None:
            continue  # not running
        kind = classify(life, rules)
        if not kind.windows:
            continue
        act = life.activation
        status = (act.activation or "unknown") if act is not None else "no-report"
        figures.vms[(kind.edition, status)] += 1
        where = life.segments[-1].host
        if where is not None and not kind.desktop and not kind.customer:
            figures.per_host[where] += 1
    for host in repo.hosts.list():
        if host.licence == "standard" and host.licensed_vms is not None:
            figures.hosts_over_standard += figures.per_host[host.hostname] > host.licensed_vms
    return figures


class LicensingCollector:
    """A prometheus_client custom collector over one store."""

    def __init__(
        self,
        repo: SqlInstanceRepo,
        rules: Rules | None = None,
        *,
        ttl: float = DEFAULT_TTL_S,
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._repo = repo
        self._rules = rules or load_rules()
        self._ttl = ttl
        self._monotonic = monotonic
        self._now = now
        self._lock = threading.Lock()
        self._cached: tuple[float, Figures | None] | None = None

    def _figures(self) -> Figures | None:
        with self._lock:
            if self._cached is not None and self._monotonic() - self._cached[0] < self._ttl:
                return self._cached[1]
            try:
                figures: Figures | None = current_figures(self._repo, self._rules, self._now())
            except StoreError as err:
                log.warning("licensing metrics unavailable: %s", err)
                figures = None
            self._cached = (self._monotonic(), figures)
            return figures

    def collect(self) -> Iterator[Metric]:
        figures = self._figures()
        up = GaugeMetricFamily(
            "wincloud_licensing_up", "1 when the licensing figures could be read from the store"
        )
        up.add_metric([], 0 if figures is None else 1)
        yield up
        if figures is None:
            return
        vms = GaugeMetricFamily(
            "wincloud_windows_vms",
            "Running Windows VMs by edition and activation status",
            labels=["edition", "activation"],
        )
        for (edition, status), n in sorted(figures.vms.items()):
            vms.add_metric([edition, status], n)
        yield vms
        per_host = GaugeMetricFamily(
            "wincloud_licensing_host_windows_vms",
            "Running provider-licensed Windows Server VMs per compute host",
            labels=["host"],
        )
        for host, n in sorted(figures.per_host.items()):
            per_host.add_metric([host], n)
        yield per_host
        over = GaugeMetricFamily(
            "wincloud_licensing_hosts_over_standard",
            "Hosts licensed Standard running more Windows Server VMs than their licensed_vms",
        )
        over.add_metric([], figures.hosts_over_standard)
        yield over


def register_collector(metrics: Any, repo: SqlInstanceRepo) -> None:
    """Register the licensing gauges on ``metrics.registry`` once (an admin app built twice
    over one service registers nothing the second time; no registry: nothing to do)."""
    registry = getattr(metrics, "registry", None)
    if registry is None or registry in _REGISTERED:
        return
    registry.register(LicensingCollector(repo))
    _REGISTERED.add(registry)
