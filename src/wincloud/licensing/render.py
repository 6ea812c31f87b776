"""The licence report as text: ``table`` (for people), ``csv`` (one file, a ``section`` column,
for spreadsheets and scripts), ``json`` (everything, for machines); ``html`` (one page with a
plot, ``htmlpage.py``). Each states the period, the
rules used with their sources, and that it is an estimate, not a compliance statement."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, Final

from wincloud.licensing.report import DISCLAIMER, LicenceReport

FORMATS: Final = ("table", "csv", "json", "html")

CSV_COLUMNS: Final = (
    "section",
    "name",
    "value",
    "hostname",
    "cluster",
    "in_inventory",
    "hypervisor",
    "sockets",
    "cores_per_socket",
    "licensable_cores",
    "instances",
    "peak_vms",
    "counted_vms",
    "standard_packs",
    "datacenter_packs",
    "standard_cost",
    "datacenter_cost",
    "recommended",
    "licence",
    "licensed_vms",
    "over_licence",
    "project_id",
    "edition",
    "uuid",
    "key_source",
    "hosts",
    "instance_hours",
    "vcpu_hours",
    "peak_concurrent",
    "flag",
    "detail",
)


def render_report(report: LicenceReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report.to_document(), indent=2) + "\n"
    if fmt == "csv":
        return render_csv(report)
    if fmt == "html":  # matplotlib (wincloud[report]) is imported only for this one
        from wincloud.licensing.htmlpage import render_html

        return render_html(report)
    return render_text(report)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def render_csv(report: LicenceReport) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()

    def row(section: str, **values: Any) -> None:
        writer.writerow({"section": section, **{k: _cell(v) for k, v in values.items()}})

    row("period", name="month", value=report.month)
    row("period", name="start", value=report.period_start.isoformat())
    row("period", name="end", value=report.period_end.isoformat())
    row("period", name="generated_at", value=report.generated_at.isoformat())
    row("period", name="disclaimer", value=DISCLAIMER)
    rules = report.rules.to_document()
    row("rule", name="name", value=rules["name"], detail=" + ".join(rules["files"]))
    for key, entry in rules["rules"].items():
        row("rule", name=key, value=json.dumps(entry["value"]), detail=entry["source"])
    for host in report.hosts:
        row("host", **asdict(host))
    for usage in report.projects:
        row("project", **asdict(usage))
    for line in report.customer_key:
        row("customer_key", **asdict(line))
    for line in report.desktop:
        row("desktop", **asdict(line))
    for flag in report.flags:
        row("flag", **asdict(flag))
    for key, value in report.totals.items():
        row("total", name=key, value=value)
    return out.getvalue()


HOSTS_TITLE: Final = "Hosts (Windows Server VMs counted for the provider)"
HOST_COLUMNS: Final = (
    "host", "cluster", "cores", "licensable", "peak", "counted", "std packs", "dc packs",
    "std cost", "dc cost", "cheaper", "note",
)  # fmt: skip


def host_rows(report: LicenceReport) -> list[tuple[Any, ...]]:
    """One row per host, in HOST_COLUMNS' order (the text and HTML reports)."""
    return [
        (
            h.hostname, h.cluster, None if h.sockets is None else
            f"{h.sockets}x{h.cores_per_socket}", h.licensable_cores, h.peak_vms,
            h.counted_vms, h.standard_packs, h.datacenter_packs, h.standard_cost,
            h.datacenter_cost, h.recommended,
            "not in inventory" if not h.in_inventory
            else "over its Standard licence" if h.over_licence else "",
        )
        for h in report.hosts
    ]  # fmt: skip


def _table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    cells = [[_cell(v) for v in r] for r in rows]
    widths = [len(h) for h in headers]
    for r in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, r, strict=True)]
    lines = [f"{title}:"]
    if not cells:
        return [*lines, "  (none)", ""]
    for r in [list(headers), *cells]:
        lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return [*lines, ""]


def render_text(report: LicenceReport) -> str:
    rules = report.rules
    t = report.totals
    lines = [
        f"Windows licence report for {report.month} "
        f"({report.period_start:%Y-%m-%d} to {report.period_end:%Y-%m-%d} UTC, "
        f"generated {report.generated_at:%Y-%m-%d %H:%M} UTC)",
        DISCLAIMER,
        f"Rules: {rules.name} ({' + '.join(rules.files)}): packs of {rules.pack_size} cores, "
        f"at least {rules.min_cores_per_processor} per processor and "
        f"{rules.min_cores_per_server} per server; Standard covers "
        f"{rules.standard_vms_per_licence} VMs per licensing of all cores; price per pack "
        f"Standard {rules.standard_price_per_pack:g}, Datacenter "
        f"{rules.datacenter_price_per_pack:g}; cluster peak "
        f"{'on' if rules.cluster_peak else 'off'}; customer key sources "
        f"{', '.join(sorted(rules.customer_key_sources))}. Sources: --format json.",
        "",
    ]
    lines += _table(HOSTS_TITLE, HOST_COLUMNS, host_rows(report))
    lines += _table(
        "Usage per project and edition (provider licences)",
        ("project", "edition", "instances", "instance-hours", "vCPU-hours", "peak"),
        [
            (u.project_id, u.edition, u.instances, u.instance_hours, u.vcpu_hours,
             u.peak_concurrent)
            for u in report.projects
        ],
    )  # fmt: skip
    for title, group in (
        ("Customer-key instances (excluded from the provider count)", report.customer_key),
        ("Desktop Windows (not Windows Server; listed apart)", report.desktop),
    ):
        lines += _table(
            title,
            ("uuid", "project", "edition", "key source", "hosts", "instance-hours"),
            [(i.uuid, i.project_id, i.edition, i.key_source, i.hosts, i.instance_hours)
             for i in group],
        )  # fmt: skip
    lines += _table(
        "Flagged instances",
        ("flag", "uuid", "project", "detail"),
        [(f.flag, f.uuid, f.project_id, f.detail) for f in report.flags],
    )
    lines += _table("Totals", ("what", "value"), list(t.items()))
    return "\n".join(lines).rstrip() + "\n"
