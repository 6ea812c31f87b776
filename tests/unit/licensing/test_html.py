"""`--format html`: one self-contained page with the table format's content and a plot of
concurrent Windows Server VMs per host, drawn by matplotlib from the report's own intervals."""

from __future__ import annotations

import json
import re
import sys
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from tests.unit.licensing.test_report import NOV, History
from wincloud.cli import main
from wincloud.errors import ConfigError
from wincloud.licensing.htmlpage import plot_svg, render_html
from wincloud.licensing.render import render_report
from wincloud.licensing.timeline import concurrency, peak
from wincloud.store.hosts import Host

HOSTILE_HOST = "<script>alert('host')</script>"
HOSTILE_PROJECT = 'p<img src=x onerror=alert(1)>&"'


def sample_report():
    """Three hosts through a month: staggered starts, deletes, a move, one host over its
    Standard licence, one not in the inventory with a hostile name, a hostile project, and a
    customer-key, a desktop and a never-reported instance."""
    h = History()
    day = timedelta(days=1)
    for n in range(5):  # hv1: 1, 2, 3, 4, 5 VMs on days 0..4, then two leave
        h.windows(f"a{n}", "hv1", start=NOV + n * day)
    h.delete("a0", NOV + 12 * day)
    h.delete("a1", NOV + 18 * day)
    h.move("a2", NOV + 20 * day, "hv2")  # hv1 down to 2, hv2 up by one
    for n in range(3):
        h.windows(f"b{n}", "hv2", start=NOV + (6 + 3 * n) * day, project=HOSTILE_PROJECT)
    h.windows("c0", HOSTILE_HOST, start=NOV + 10 * day)
    h.windows("c1", HOSTILE_HOST, start=NOV + 14 * day)
    h.delete("c0", NOV + 24 * day)
    h.windows("byol", "hv2", start=NOV + 2 * day, key_source="meta")
    h.windows("desk", "hv2", start=NOV + 3 * day, edition="Professional")
    h.create("silent", NOV + 8 * day, "hv1", os_type="windows")  # never reports
    hosts = [
        Host("hv1", 2, 6, "c1", licence="standard", licensed_vms=2),
        Host("hv2", 2, 20, "c2"),
    ]
    return h.run(hosts)


class Page(HTMLParser):
    """The page's tables (section id -> rows of cell texts), tags seen and URL-bearing
    attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.section: str | None = None
        self.tables: dict[str, list[list[str]]] = {}
        self.cell: list[str] | None = None
        self.urls: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in {"src", "href", "xlink:href", "action", "srcset", "poster", "data"}:
                self.urls.append((tag, name, value or ""))
        if tag == "section":
            self.section = dict(attrs)["id"]
        elif tag == "tr":
            self.tables.setdefault(self.section or "", []).append([])
        elif tag in {"td", "th"}:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in {"td", "th"} and self.cell is not None:
            self.tables[self.section or ""][-1].append("".join(self.cell))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def parse(page: str) -> Page:
    parser = Page()
    parser.feed(page)
    parser.close()
    return parser


def shown(value) -> str:
    """A JSON value as the table format prints it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, list):
        return " ".join(value)
    return str(value)


@pytest.fixture(scope="module")
def report():
    return sample_report()


@pytest.fixture(scope="module")
def page(report):
    return render_html(report)


def test_the_page_holds_every_number_of_the_json_report(report, page):
    doc = json.loads(render_report(report, "json"))
    tables = parse(page).tables
    hosts = {row[0]: row for row in tables["hosts"][1:]}
    assert set(hosts) == {line["hostname"] for line in doc["hosts"]}
    for line in doc["hosts"]:
        row = hosts[line["hostname"]]
        for key, column in (
            ("licensable_cores", 3),
            ("peak_vms", 4),
            ("counted_vms", 5),
            ("standard_packs", 6),
            ("datacenter_packs", 7),
            ("standard_cost", 8),
            ("datacenter_cost", 9),
            ("recommended", 10),
        ):
            assert row[column] == shown(line[key]), (line["hostname"], key)  # fmt: skip
    projects = [row for row in tables["projects"][1:]]
    assert projects == [
        [u["project_id"], u["edition"], *(shown(u[k]) for k in
         ("instances", "instance_hours", "vcpu_hours", "peak_concurrent"))]
        for u in doc["projects"]
    ]  # fmt: skip
    assert {row[0]: row[1] for row in tables["totals"][1:]} == {
        key: shown(value) for key, value in doc["totals"].items()
    }
    assert [row[0] for row in tables["customer-key"][1:]] == ["byol"]
    assert [row[0] for row in tables["desktop"][1:]] == ["desk"]
    assert sorted((row[0], row[1]) for row in tables["flags"][1:]) == sorted(
        (f["flag"], f["uuid"]) for f in doc["flags"]
    )
    assert {row[0] for row in tables["rules"][1:]} == set(doc["rules"]["rules"])
    # the sample is not trivial: the numbers the page shows are the report's real ones
    assert doc["totals"]["hosts_over_standard_licence"] == 1
    assert hosts["hv1"][4] == "6" and hosts["hv1"][11] == "over its Standard licence"


def test_the_page_states_the_period_the_rules_and_that_it_is_no_compliance_statement(page):
    text = re.sub(r"\s+", " ", page)
    assert "not a statement of licence compliance" in text
    assert "2026-11-01 to 2026-12-01 UTC" in text
    assert "<h2>Rules used</h2>" in page


def test_hostile_names_from_records_are_escaped(page):
    parsed = parse(page)
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "script" not in parsed.tags and "img" not in parsed.tags
    hosts = [row[0] for row in parsed.tables["hosts"][1:]]
    assert HOSTILE_HOST in hosts  # shown as text, intact
    assert HOSTILE_PROJECT in [row[0] for row in parsed.tables["projects"][1:]]
    assert "&lt;script&gt;alert(&#x27;host&#x27;)&lt;/script&gt;" in page


def test_the_page_fetches_nothing(page):
    parsed = parse(page)
    # no src/href but the inline SVG's references to its own elements (#id)
    assert parsed.urls
    assert [url for url in parsed.urls if not url[2].startswith("#")] == []
    assert {"link", "script", "iframe", "object", "embed", "img"}.isdisjoint(parsed.tags)
    assert re.findall(r"url\((?!#)", page) == [] and "@import" not in page  # url(#clip) only
    # the only URLs are XML namespace names on the inline <svg>
    for found in re.finditer(r"[a-z]+://", page):
        before = page[max(0, found.start() - 20) : found.start()]
        assert re.search(r'xmlns(:\w+)?="$', before), page[found.start() - 40 : found.end() + 40]
    assert "default-src 'none'" in page  # and the browser is told so


def test_the_plot_is_an_inline_svg_drawn_from_the_report_intervals(report, page):
    parsed = parse(page)
    assert parsed.tags.count("svg") == 1
    assert 'id="concurrency-plot"' in page
    # one step line per host that ran Windows Server VMs, in the legend with its peak
    busy = [h for h in report.hosts if h.peak_vms]
    assert len(busy) == 3
    for line in busy:
        steps = concurrency(report.host_stretches[line.hostname])
        assert (
            max(n for _, n in steps) == line.peak_vms == peak(report.host_stretches[line.hostname])
        )
    hv1 = concurrency(report.host_stretches["hv1"])
    # hv1: one more VM each day from the 1st to the 5th, then the silent one, deletes, a move
    assert [n for _, n in hv1] == [1, 2, 3, 4, 5, 6, 5, 4, 3, 0]  # 0: the month ends


def test_concurrency_applies_the_changes_of_one_instant_together():
    t = [NOV + timedelta(hours=h) for h in range(5)]
    # a leaves as b arrives (a move): never 2; c and d are all of t2..t3
    steps = concurrency([(t[0], t[1]), (t[1], t[3]), (t[2], t[3]), (t[2], t[4])])
    assert steps == [(t[0], 1), (t[2], 3), (t[3], 1), (t[4], 0)]
    assert concurrency([]) == []
    assert peak([]) == 0


def test_the_output_is_deterministic(report, page):
    assert render_html(report) == page
    assert "<dc:date>" not in page and "<metadata>" not in page


def test_a_month_without_windows_server_has_no_plot_but_a_page():
    empty = History().run([Host("hv1", 1, 8)])
    assert plot_svg(empty) is None
    page = render_html(empty)
    assert "<svg" not in page
    assert "No Windows Server VM counted for the provider ran" in page


def test_without_matplotlib_the_error_names_the_extra(report, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # what an import of a missing one does
    with pytest.raises(ConfigError) as caught:
        render_html(report)
    assert caught.value.hint == "pip install 'wincloud[report]'"


def test_the_cli_writes_the_page(capsys, tmp_path):
    db = f"sqlite:///{tmp_path / 'store.db'}"
    out = tmp_path / "2026-11.html"
    for argv in (["db", "init", "--db", db],
                 ["report", "licences", "--month", "2026-11", "--format", "html", "-o", str(out),
                  "--db", db]):  # fmt: skip
        try:
            main(argv)
        except SystemExit as stopped:
            assert stopped.code in (0, None)
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "Windows licence report 2026-11" in page


def test_the_admin_api_serves_the_page_with_a_policy_that_forbids_fetching(repo):
    import httpx

    from tests.server_harness import running_server
    from wincloud.secret import Secret
    from wincloud.server.settings import ServerSettings

    token = "admin-token-0123456789abcdef"
    settings = ServerSettings(admin_token=Secret(token))
    with (
        running_server(repo, settings, admin=True) as srv,
        httpx.Client(
            base_url=srv.admin_url, timeout=30, headers={"Authorization": f"Bearer {token}"}
        ) as admin,
    ):
        answer = admin.get("/v1/licences/2026-11", params={"format": "html"})
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "text/html; charset=utf-8"
        assert "default-src 'none'" in answer.headers["content-security-policy"]
        assert answer.text.startswith("<!DOCTYPE html>")
        assert parse(answer.text).tables["totals"][1:]  # the totals table is there
        assert admin.get("/v1/licences/2026-11", params={"format": "pdf"}).status_code == 400


def test_the_cli_without_matplotlib_prints_one_line_with_the_hint(capsys, tmp_path, monkeypatch):
    db = f"sqlite:///{tmp_path / 'store.db'}"
    try:
        main(["db", "init", "--db", db])
    except SystemExit as stopped:
        assert stopped.code in (0, None)
    capsys.readouterr()
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(SystemExit) as stopped:
        main(["report", "licences", "--month", "2026-11", "--format", "html", "--db", db])
    err = capsys.readouterr().err
    assert stopped.value.code == 2
    assert err.startswith("error[config-error]: the HTML report needs matplotlib")
    assert "pip install 'wincloud[report]'" in err
    assert "Traceback" not in err
