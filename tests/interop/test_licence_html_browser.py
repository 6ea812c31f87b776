"""The HTML licence report in a real browser: Debian's chromium, headless, opens the page from
a file (no server, no network), and what it built (--dump-dom) and drew (--screenshot) is
checked: the table rows and the inline plot are there, no script element appeared, and the
picture has the page's size, many colours and the plot's line colours in it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.unit.licensing.test_html import HOSTILE_HOST, parse, sample_report
from wincloud.licensing.htmlpage import render_html

pytestmark = pytest.mark.interop

WIDTH, HEIGHT = 1280, 1600
# matplotlib's first three default colours (tab10): the plot's step lines
LINE_COLOURS = {(31, 119, 180), (255, 127, 14), (44, 160, 44)}


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium missing in CI: .ci/run installs it")
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    return found


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
    ]
    env = {**os.environ, "HOME": str(tmp_path)}  # nothing written outside tmp_path
    return subprocess.run(
        command, check=False, capture_output=True, text=True, timeout=120, env=env
    )


@pytest.fixture(scope="module")
def page_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("page") / "licences-2026-11.html"
    path.write_text(render_html(sample_report()), encoding="utf-8")
    return path


def test_chromium_builds_the_tables_and_the_plot(tmp_path, page_file):
    done = run_chromium(tmp_path, "--dump-dom", page_file.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = parse(done.stdout)
    assert [row[0] for row in dom.tables["hosts"][1:]] == [HOSTILE_HOST, "hv1", "hv2"]
    assert len(dom.tables["projects"]) == 1 + 3
    assert dom.tables["flags"][1][:2] == ["no-activation-report", "silent"]
    assert "not a statement of licence compliance" in done.stdout
    # the plot survived parsing as SVG: its element, its step lines and its legend
    assert dom.tags.count("svg") == 1
    assert 'id="concurrency-plot"' in done.stdout
    assert dom.tags.count("path") > 50
    # the hostile hostname stayed text: the browser made no element of it
    assert "script" not in dom.tags
    assert "&lt;script&gt;" in done.stdout


def test_chromium_draws_the_page(tmp_path, page_file):
    shot = tmp_path / "page.png"
    done = run_chromium(
        tmp_path, f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}", page_file.as_uri()
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.is_file()
    from PIL import Image  # Pillow comes with matplotlib (wincloud[report])

    with Image.open(shot) as image:
        assert image.size == (WIDTH, HEIGHT)
        colours = image.convert("RGB").getcolors(maxcolors=WIDTH * HEIGHT)
    assert colours is not None
    # a blank or failed page has a handful of colours; text, tables and the plot have many
    assert len(colours) > 200, len(colours)
    seen = {colour for count, colour in colours if count >= 200}
    assert seen >= LINE_COLOURS, "the plot's step lines are not on the screenshot"
    # the page is mostly white with something drawn on it
    white = next((count for count, colour in colours if colour == (255, 255, 255)), 0)
    assert 0.3 < white / (WIDTH * HEIGHT) < 0.98
