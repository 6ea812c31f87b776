"""The monthly licence report: per host, the core licences the month's Windows Server VMs need
under Standard and under Datacenter; per project and edition, usage for chargeback; customer-key
and desktop instances apart; instances without a good activation flagged.

Pure arithmetic over lives (``timeline``), the host inventory and the rules; ``build_report``
reads what it needs from a store. The numbers are an estimate under the rules stated in the
report, not a statement of compliance.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from wincloud.errors import ConfigError
from wincloud.licensing.rules import Rules
from wincloud.licensing.timeline import Life, build_lives, peak
from wincloud.store.hosts import Host

if TYPE_CHECKING:
    from wincloud.store import SqlInstanceRepo

DISCLAIMER: Final = (
    "An estimate from wincloud's records under the rules listed; not a statement of licence "
    "compliance. Check it against your contract before you file it."
)
_MONTH: Final = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
UNKNOWN: Final = "unknown"


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """``YYYY-MM`` as [first instant, first instant of the next month) in UTC."""
    found = _MONTH.fullmatch(month)
    if found is None:
        raise ConfigError("a month is written YYYY-MM", subject=month, hint="e.g. --month 2026-11")
    year, mon = int(found[1]), int(found[2])
    start = datetime(year, mon, 1, tzinfo=UTC)
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=UTC)
    return start, end


@dataclass
class HostLine:
    hostname: str
    cluster: str | None
    in_inventory: bool
    hypervisor: str | None = None
    sockets: int | None = None
    cores_per_socket: int | None = None
    licensable_cores: int | None = None
    instances: int = 0
    peak_vms: int = 0
    counted_vms: int = 0
    standard_packs: int | None = None
    datacenter_packs: int | None = None
    standard_cost: float | None = None
    datacenter_cost: float | None = None
    recommended: str | None = None
    licence: str | None = None
    licensed_vms: int | None = None
    over_licence: bool = False


@dataclass
class UsageLine:
    project_id: str
    edition: str
    instances: int
    instance_hours: float
    vcpu_hours: float
    peak_concurrent: int


@dataclass
class InstanceLine:
    uuid: str
    project_id: str
    edition: str
    key_source: str | None
    hosts: list[str]
    instance_hours: float
    vcpu_hours: float


@dataclass
class Flag:
    uuid: str
    project_id: str
    flag: str
    detail: str


@dataclass
class LicenceReport:
    month: str
    period_start: datetime
    period_end: datetime
    generated_at: datetime
    rules: Rules
    hosts: list[HostLine] = field(default_factory=list)
    projects: list[UsageLine] = field(default_factory=list)
    customer_key: list[InstanceLine] = field(default_factory=list)
    desktop: list[InstanceLine] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)
    # per host, the provider-counted Windows Server stretches its peak came from (the HTML
    # report plots them with ``timeline.concurrency``); not part of the document
    host_stretches: dict[str, list[tuple[datetime, datetime]]] = field(default_factory=dict)

    def to_document(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "generated_at": self.generated_at.isoformat(),
            "disclaimer": DISCLAIMER,
            "rules": self.rules.to_document(),
            "totals": self.totals,
            "hosts": [asdict(line) for line in self.hosts],
            "projects": [asdict(line) for line in self.projects],
            "customer_key": [asdict(line) for line in self.customer_key],
            "desktop": [asdict(line) for line in self.desktop],
            "flags": [asdict(line) for line in self.flags],
        }


# -- classification ----------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    windows: bool
    desktop: bool
    customer: bool
    edition: str  # the report's name for it, UNKNOWN without a report


def classify(life: Life, rules: Rules) -> Kind:
    act = life.activation
    windows = act is not None or any(
        seg.os_type in rules.windows_os_types or seg.image_id in rules.windows_images
        for seg in life.segments
    )
    edition_id = act.edition if act is not None else None
    if not edition_id:
        return Kind(windows, False, _customer(life, rules), UNKNOWN)
    desktop = edition_id in rules.desktop_editions or not edition_id.startswith("Server")
    return Kind(
        windows, desktop, _customer(life, rules), rules.editions.get(edition_id, edition_id)
    )


def _customer(life: Life, rules: Rules) -> bool:
    act = life.activation
    return act is not None and act.key_source in rules.customer_key_sources


def _flags(life: Life, project: str, stretches: Sequence[Any], rules: Rules) -> list[Flag]:
    act = life.activation
    flags = []
    if act is None:
        flags.append(Flag(life.uuid, project, "no-activation-report", "the guest never reported"))
    elif act.activation == "failed":
        flags.append(
            Flag(life.uuid, project, "activation-failed", f"license_status={act.license_status}")
        )
    elif act.license_status is not None and act.license_status != "licensed":
        flags.append(
            Flag(life.uuid, project, "not-licensed", f"license_status={act.license_status}")
        )
    if any(seg.host is None for seg, _ in stretches):
        flags.append(Flag(life.uuid, project, "no-host", "the record names no compute host"))
    if any(_vcpus(seg, rules) is None for seg, _ in stretches):
        flags.append(Flag(life.uuid, project, "no-vcpus", "vCPU-hours counted as 0"))
    return flags


def _vcpus(seg: Any, rules: Rules) -> int | None:
    if seg.vcpus is not None:
        return int(seg.vcpus)
    return rules.flavor_vcpus.get(seg.flavor or "")


def _hours(stretches: Iterable[tuple[Any, tuple[datetime, datetime]]]) -> float:
    return sum((hi - lo).total_seconds() for _, (lo, hi) in stretches) / 3600


def _vcpu_hours(stretches: Iterable[tuple[Any, tuple[datetime, datetime]]], rules: Rules) -> float:
    return (
        sum((hi - lo).total_seconds() * (_vcpus(seg, rules) or 0) for seg, (lo, hi) in stretches)
        / 3600
    )


# -- host arithmetic ---------------------------------------------------------------------


def licensable_cores(host: Host, rules: Rules) -> int:
    """Physical cores, raised to the per-processor and per-server minimums."""
    per_socket = max(host.cores_per_socket, rules.min_cores_per_processor)
    return max(host.sockets * per_socket, rules.min_cores_per_server)


def price_host(line: HostLine, host: Host, rules: Rules) -> None:
    """Fill in the packs and costs for ``line.counted_vms`` Windows Server VMs on ``host``."""
    cores = licensable_cores(host, rules)
    full = math.ceil(cores / rules.pack_size)
    vms = line.counted_vms
    line.licensable_cores = cores
    line.standard_packs = full * math.ceil(vms / rules.standard_vms_per_licence)
    line.datacenter_packs = full if vms > 0 else 0
    line.standard_cost = round(line.standard_packs * rules.standard_price_per_pack, 2)
    line.datacenter_cost = round(line.datacenter_packs * rules.datacenter_price_per_pack, 2)
    if vms == 0:
        line.recommended = None
    elif line.standard_cost < line.datacenter_cost:
        line.recommended = "Standard"
    else:
        line.recommended = "Datacenter"
    if host.licence == "standard" and host.licensed_vms is not None:
        line.over_licence = line.counted_vms > host.licensed_vms


# -- the report --------------------------------------------------------------------------


def compute_report(
    lives: Iterable[Life],
    hosts: Sequence[Host],
    rules: Rules,
    month: str,
    *,
    generated_at: datetime,
) -> LicenceReport:
    start, end = month_bounds(month)
    report = LicenceReport(month, start, end, generated_at, rules)
    horizon = min(end, generated_at)  # a month in progress counts up to now
    inventory = {host.hostname: host for host in hosts}
    # provider-counted Windows Server stretches per host, and the instances behind them
    on_host: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    uuids_on_host: dict[str, set[str]] = defaultdict(set)
    moved_in: set[str] = set()  # clusters a counted VM moved within during the month
    usage: dict[tuple[str, str], list[Any]] = {}
    counted: set[str] = set()  # provider-counted Windows Server instances
    for life in lives:
        kind = classify(life, rules)
        if not kind.windows:
            continue
        stretches = [(seg, cut) for seg in life.segments if (cut := seg.clipped(start, horizon))]
        if not stretches:
            continue
        project = stretches[-1][0].project_id
        report.flags += _flags(life, project, stretches, rules)
        if kind.customer or kind.desktop:
            line = InstanceLine(
                life.uuid,
                project,
                kind.edition,
                life.activation.key_source if life.activation else None,
                sorted({seg.host for seg, _ in stretches if seg.host}),
                round(_hours(stretches), 2),
                round(_vcpu_hours(stretches, rules), 2),
            )
            (report.desktop if kind.desktop else report.customer_key).append(line)
            continue
        for seg, cut in stretches:
            if seg.host is not None:
                on_host[seg.host].append(cut)
                uuids_on_host[seg.host].add(life.uuid)
        for (a, _), (b, cut) in itertools.pairwise(stretches):
            known_a, known_b = inventory.get(a.host or ""), inventory.get(b.host or "")
            if (
                known_a is not None
                and known_b is not None
                and a.host != b.host
                and known_a.cluster is not None
                and known_a.cluster == known_b.cluster
                and cut[0] > start
            ):
                moved_in.add(known_a.cluster)
        counted.add(life.uuid)
        # chargeback by the project of each stretch: a project change splits the hours
        by_project: dict[str, list[Any]] = defaultdict(list)
        for stretch in stretches:
            by_project[stretch[0].project_id].append(stretch)
        for owner, part in by_project.items():
            bucket = usage.setdefault((owner, kind.edition), [0, 0.0, 0.0, []])
            bucket[0] += 1
            bucket[1] += _hours(part)
            bucket[2] += _vcpu_hours(part, rules)
            bucket[3] += [cut for _, cut in part]
    report.hosts = _host_lines(inventory, on_host, uuids_on_host, moved_in, rules)
    report.host_stretches = dict(on_host)
    report.projects = [
        UsageLine(project, edition, n, round(hours, 2), round(vcpu_hours, 2), peak(cuts))
        for (project, edition), (n, hours, vcpu_hours, cuts) in sorted(usage.items())
    ]
    report.customer_key.sort(key=lambda line: (line.project_id, line.uuid))
    report.desktop.sort(key=lambda line: (line.project_id, line.uuid))
    report.flags.sort(key=lambda f: (f.flag, f.project_id, f.uuid))
    report.totals = _totals(report, len(counted))
    return report


def _host_lines(
    inventory: dict[str, Host],
    on_host: dict[str, list[tuple[datetime, datetime]]],
    uuids_on_host: dict[str, set[str]],
    moved_in: set[str],
    rules: Rules,
) -> list[HostLine]:
    cluster_peak: dict[str, int] = {}
    if rules.cluster_peak:
        for cluster in moved_in:
            members = [h for h in inventory.values() if h.cluster == cluster]
            cluster_peak[cluster] = peak(c for h in members for c in on_host.get(h.hostname, []))
    lines = []
    for name in sorted(set(inventory) | set(on_host)):
        host = inventory.get(name)
        line = HostLine(name, host.cluster if host else None, host is not None)
        line.instances = len(uuids_on_host.get(name, ()))
        line.peak_vms = peak(on_host.get(name, []))
        line.counted_vms = line.peak_vms
        if host is not None:
            line.hypervisor = host.hypervisor
            line.sockets, line.cores_per_socket = host.sockets, host.cores_per_socket
            line.licence, line.licensed_vms = host.licence, host.licensed_vms
            if line.peak_vms and host.cluster in cluster_peak:
                line.counted_vms = cluster_peak[host.cluster]
            price_host(line, host, rules)
        lines.append(line)
    return lines


def _totals(report: LicenceReport, server_instances: int) -> dict[str, Any]:
    priced = [line for line in report.hosts if line.recommended is not None]
    standard = [line for line in priced if line.recommended == "Standard"]
    datacenter = [line for line in priced if line.recommended == "Datacenter"]
    return {
        "hosts_with_windows_server": sum(1 for line in report.hosts if line.peak_vms),
        "hosts_not_in_inventory": sum(
            1 for line in report.hosts if not line.in_inventory and line.peak_vms
        ),
        "recommended_standard_packs": sum(line.standard_packs or 0 for line in standard),
        "recommended_datacenter_packs": sum(line.datacenter_packs or 0 for line in datacenter),
        "recommended_cost": round(
            sum(line.standard_cost or 0 for line in standard)
            + sum(line.datacenter_cost or 0 for line in datacenter),
            2,
        ),
        "hosts_over_standard_licence": sum(1 for line in report.hosts if line.over_licence),
        "windows_server_instances": server_instances,  # each once, whatever its projects
        "instance_hours": round(sum(line.instance_hours for line in report.projects), 2),
        "vcpu_hours": round(sum(line.vcpu_hours for line in report.projects), 2),
        "customer_key_instances": len(report.customer_key),
        "desktop_instances": len(report.desktop),
        "flagged_instances": len({flag.uuid for flag in report.flags}),
    }


def build_report(
    repo: SqlInstanceRepo, rules: Rules, month: str, *, now: datetime | None = None
) -> LicenceReport:
    """The report for ``month`` from ``repo``'s history and host inventory."""
    start, end = month_bounds(month)
    generated = now or datetime.now(UTC)
    lives = build_lives(repo.history.around(start, min(end, generated)))
    return compute_report(lives, repo.hosts.list(), rules, month, generated_at=generated)
