"""The licence report as one self-contained HTML page: the table format's sections as HTML
tables, the rules with their sources, and a plot of concurrent provider-counted Windows Server
VMs per host over the month (matplotlib, drawn as an inline SVG).

The page fetches nothing: inline CSS, inline SVG, no script, and a Content-Security-Policy that
forbids any other source. Every value taken from records is escaped (``html.escape``); the
plot draws text as glyph paths. The output is deterministic for a given report: fixed figure
size, no date in the SVG metadata, fixed SVG ids. matplotlib is optional (``wincloud[report]``)
and imported only here, when a page is drawn.
"""

from __future__ import annotations

import html
import io
import json
import re
import threading
from collections.abc import Sequence
from datetime import UTC
from typing import TYPE_CHECKING, Any, Final

from wincloud.errors import ConfigError
from wincloud.licensing.render import HOST_COLUMNS, HOSTS_TITLE, _cell, host_rows
from wincloud.licensing.report import DISCLAIMER, LicenceReport
from wincloud.licensing.timeline import concurrency

if TYPE_CHECKING:
    from types import ModuleType

    from matplotlib.lines import Line2D

MAX_PLOTTED: Final = 12  # hosts drawn, the highest peaks first; the table lists them all
FIGURE_INCHES: Final = (10.0, 4.8)
_SVG_RC: Final = {
    "svg.hashsalt": "wincloud-licence-report",  # stable ids instead of random ones
    "svg.fonttype": "path",  # glyphs as paths: no font needed where the page is opened
    "text.parse_math": False,  # a '$' in a hostname is text, not mathtext
    "font.family": "DejaVu Sans",  # ships with matplotlib
}
_PLOT_LOCK = threading.Lock()  # rcParams are process-wide; the admin API renders in threads
PAGE_CSP: Final = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_CSS: Final = """
body { font: 14px/1.4 "DejaVu Sans", Arial, sans-serif; color: #1b1b1b; margin: 24px;
       max-width: 1200px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 6px; border-bottom: 1px solid #ccc; }
p.disclaimer { background: #fff4d6; border-left: 4px solid #e0a800; padding: 6px 10px; }
table { border-collapse: collapse; margin: 4px 0 8px; }
th, td { border: 1px solid #d0d0d0; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #eef1f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.over td { background: #fde2e1; }
p.none { color: #666; font-style: italic; }
figure { margin: 8px 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { color: #444; font-size: 13px; }
"""


def _matplotlib() -> ModuleType:
    try:
        import matplotlib
    except ImportError:
        raise ConfigError(
            "the HTML report needs matplotlib, which is not installed",
            subject="--format html",
            hint="pip install 'wincloud[report]'",
        ) from None
    return matplotlib


def _e(value: Any) -> str:
    return html.escape(_cell(value), quote=True)


def _table(
    ident: str,
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    row_classes: Sequence[str] = (),
) -> list[str]:
    out = [f'<section id="{ident}">', f"<h2>{html.escape(title)}</h2>"]
    if not rows:
        return [*out, '<p class="none">(none)</p>', "</section>"]
    out.append("<table>")
    out.append("<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers) + "</tr>")
    for n, row in enumerate(rows):
        css = row_classes[n] if n < len(row_classes) else ""
        cells = "".join(
            f'<td class="num">{_e(v)}</td>'
            if isinstance(v, int | float) and not isinstance(v, bool)
            else f"<td>{_e(v)}</td>"
            for v in row
        )
        out.append(f'<tr class="{css}">{cells}</tr>' if css else f"<tr>{cells}</tr>")
    return [*out, "</table>", "</section>"]


def plot_svg(report: LicenceReport) -> str | None:
    """Concurrent provider-counted Windows Server VMs per host over the month as an ``<svg>``
    element (a step line per host), or None when no host ran any."""
    mpl = _matplotlib()
    busy = sorted((h for h in report.hosts if h.peak_vms), key=lambda h: (-h.peak_vms, h.hostname))
    if not busy:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import DateFormatter, DayLocator, date2num
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    start = report.period_start
    horizon = min(report.period_end, report.generated_at)
    styles = ("-", "--", ":")
    with _PLOT_LOCK, mpl.rc_context(_SVG_RC):
        fig = Figure(figsize=FIGURE_INCHES, dpi=100, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        drawn: list[Line2D] = []
        labels: list[str] = []
        for n, line in enumerate(busy[:MAX_PLOTTED]):
            steps = concurrency(report.host_stretches.get(line.hostname, []))
            steps = [(when, count) for when, count in steps if when < horizon]  # cut there
            at = [start, *(when for when, _ in steps), horizon]
            xs = date2num(at)  # type: ignore[no-untyped-call]
            ys = [0, *(count for _, count in steps), steps[-1][1] if steps else 0]
            name = line.hostname if len(line.hostname) <= 40 else line.hostname[:39] + "…"
            drawn += ax.step(xs, ys, where="post", linewidth=1.6, linestyle=styles[n // 10 % 3])
            labels.append(f"{name} (peak {line.peak_vms})")
        ax.set_xlim(*date2num([start, report.period_end]))  # type: ignore[no-untyped-call]
        ax.set_ylim(0, busy[0].peak_vms + 0.5)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        weekly = DayLocator((1, 8, 15, 22), tz=UTC)  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(weekly)
        ax.xaxis.set_minor_locator(DayLocator(tz=UTC))  # type: ignore[no-untyped-call]
        day = DateFormatter("%d %b", tz=UTC)  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_formatter(day)
        ax.grid(True, color="#dddddd", linewidth=0.6)
        ax.set_xlabel(f"{report.month} (UTC)")
        ax.set_ylabel("Windows Server VMs running")
        ax.set_title("Concurrent Windows Server VMs per host (provider licences)")
        # labels given, not collected: a hostname starting with '_' would be left out
        ax.legend(
            drawn,
            labels,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize="small",
            frameon=False,
        )
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None})
    svg = out.getvalue()
    svg = svg[svg.index("<svg") :]  # no XML declaration or DOCTYPE inside HTML
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.DOTALL)
    svg = re.sub(r"<!--.*?-->\s*", "", svg, flags=re.DOTALL)
    return svg.replace("<svg ", '<svg role="img" aria-label="concurrent VMs per host" ', 1)


def _plot_section(report: LicenceReport) -> list[str]:
    out = ['<section id="plot">', "<h2>Concurrent Windows Server VMs per host</h2>"]
    svg = plot_svg(report)
    if svg is None:
        return [*out, '<p class="none">No Windows Server VM counted for the provider ran on '
                "any host this month.</p>", "</section>"]  # fmt: skip
    busy = sum(1 for h in report.hosts if h.peak_vms)
    notes = [
        "Each line is one host: how many provider-counted Windows Server VMs ran on it at each "
        "instant (customer-key and desktop instances excluded), the same intervals the peaks "
        "in the table come from."
    ]
    if report.rules.cluster_peak:
        notes.append("Hosts counted at their cluster's peak are still drawn with their own.")
    if report.generated_at < report.period_end:
        notes.append(f"The month is counted up to {report.generated_at:%Y-%m-%d %H:%M} UTC.")
    if busy > MAX_PLOTTED:
        notes.append(f"The {MAX_PLOTTED} highest peaks of {busy} hosts are drawn; the table "
                     "lists them all.")  # fmt: skip
    caption = html.escape(" ".join(notes))
    return [*out, f'<figure id="concurrency-plot">{svg}<figcaption>{caption}</figcaption>'
            "</figure>", "</section>"]  # fmt: skip


def _rules_section(report: LicenceReport) -> list[str]:
    doc = report.rules.to_document()
    rows = [(key, json.dumps(entry["value"]), entry["source"]) for key, entry in
            doc["rules"].items()]  # fmt: skip
    out = _table("rules", "Rules used", ("rule", "value", "source"), rows)
    files = " + ".join(doc["files"])
    out.insert(2, f"<p>{html.escape(doc['name'])} ({html.escape(files)})</p>")
    return out


def render_html(report: LicenceReport) -> str:
    """The whole page (UTF-8 text)."""
    _matplotlib()  # the same answer for every report, drawn or not
    title = f"Windows licence report {report.month}"
    body = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{report.period_start:%Y-%m-%d} to {report.period_end:%Y-%m-%d} UTC, generated "
        f"{report.generated_at:%Y-%m-%d %H:%M} UTC</p>",
        f'<p class="disclaimer">{html.escape(DISCLAIMER)}</p>',
    ]
    hosts = report.hosts
    body += _table(
        "hosts",
        HOSTS_TITLE,
        HOST_COLUMNS,
        host_rows(report),
        ["over" if h.over_licence or not h.in_inventory else "" for h in hosts],
    )  # fmt: skip
    body += _plot_section(report)
    body += _table(
        "projects",
        "Usage per project and edition (provider licences)",
        ("project", "edition", "instances", "instance-hours", "vCPU-hours", "peak"),
        [(u.project_id, u.edition, u.instances, u.instance_hours, u.vcpu_hours,
          u.peak_concurrent) for u in report.projects],
    )  # fmt: skip
    for ident, title, group in (
        ("customer-key", "Customer-key instances (excluded from the provider count)",
         report.customer_key),
        ("desktop", "Desktop Windows (not Windows Server; listed apart)", report.desktop),
    ):  # fmt: skip
        body += _table(
            ident,
            title,
            ("uuid", "project", "edition", "key source", "hosts", "instance-hours"),
            [(i.uuid, i.project_id, i.edition, i.key_source, i.hosts, i.instance_hours)
             for i in group],
        )  # fmt: skip
    body += _table(
        "flags",
        "Flagged instances",
        ("flag", "uuid", "project", "detail"),
        [(f.flag, f.uuid, f.project_id, f.detail) for f in report.flags],
    )
    body += _table("totals", "Totals", ("what", "value"), list(report.totals.items()))
    body += _rules_section(report)
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{PAGE_CSP}">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
    ]
    return "\n".join([*head, *body, "</body>", "</html>"]) + "\n"
