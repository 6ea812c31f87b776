"""Agent boot: what one `wincloud agent run` costs, and what importing the agent costs.

1. A full first boot against a local metadata service (`wincloud metadata serve` on
   127.0.0.1, a SQLite file): host name, admin user (useradd/chpasswd on a scratch root),
   a generated password sealed with a real RSA key and posted, SSH keys, one user-data
   script. Each run gets a fresh root and a fresh instance (new uuid, so the write-once
   password endpoint is empty again). Figures: the process's wall time, the agent's own
   `duration_ms`, and the peak RSS of the agent process (GNU time's %M).
2. Import time of the agent entry point (what `wincloud agent run` imports before it
   reads any metadata), from `python -X importtime`, beside Debian cloud-init's OpenStack
   datasource as a yardstick (`/usr/bin/python3 -X importtime -c 'import
   cloudinit.sources.DataSourceOpenStack'`): the sum of the cumulative times of the
   top-level imports. Medians of --import-runs runs.

Prints figures; asserts nothing. Needs root for the user plugins (without root they are
left out and the run says so).

    python bench/agent_boot.py [--runs 10] [--import-runs 15]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from _serving import free_port, wait_listening

AGENT_ENTRY = (
    "wincloud.cli",
    "wincloud.cli.agent",
    "wincloud.agent.config",
    "wincloud.agent.logsetup",
    "wincloud.agent.run",
    "wincloud.platform",
)
YARDSTICK = ("cloudinit.sources.DataSourceOpenStack",)
SYSTEM_PYTHON = "/usr/bin/python3"
GNU_TIME = "/usr/bin/time"
SCRIPT = '#!/bin/sh\necho booted > "$WINCLOUD_ROOT/tmp/booted"\n'
IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


# -- import time -------------------------------------------------------------------------------


def import_times(python: str, modules: tuple[str, ...]) -> tuple[float, dict[str, float]]:
    """One `-X importtime` run: the sum (ms) of the cumulative times of the top-level entries
    that belong to ``modules`` (each module and its parent packages), and every module's
    cumulative time (ms), nested ones included."""
    wanted = {".".join(m.split(".")[: i + 1]) for m in modules for i in range(m.count(".") + 1)}
    done = subprocess.run(
        [python, "-X", "importtime", "-c", "import " + ", ".join(modules)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    total_us = 0
    each: dict[str, float] = {}
    for line in done.stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match is None:
            continue
        each.setdefault(match.group(4), int(match.group(2)) / 1000)
        if len(match.group(3)) == 1 and match.group(4) in wanted:
            total_us += int(match.group(2))
    return total_us / 1000, each


def median_import_ms(
    python: str, modules: tuple[str, ...], runs: int, part: str = ""
) -> tuple[float, float]:
    """Median total, and the median cumulative time of module ``part`` (0 when absent)."""
    samples = [import_times(python, modules) for _ in range(runs)]
    total = statistics.median(t for t, _ in samples)
    return total, statistics.median(each.get(part, 0.0) for _, each in samples)


# -- a full boot ------------------------------------------------------------------------------


def rsa_public_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return public.decode() + " bench@wincloud"


def fresh_instance(repo, previous: str | None, key: str) -> str:
    from wincloud.model import parse_instance

    if previous is not None:
        repo.remove(previous)
    ident = str(uuid.uuid4())
    repo.add(
        parse_instance(
            {
                "uuid": ident,
                "name": "bench-boot",
                "hostname": "bench-boot.example.org",
                "fixed_ips": ["127.0.0.1"],
                "public_keys": {"bench": key},
                "user_data": SCRIPT,
            }
        )
    )
    return ident


def make_root(path: Path) -> Path:
    etc = path / "etc"
    etc.mkdir(parents=True)
    (etc / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (etc / "group").write_text("root:x:0:\nsudo:x:27:\n")
    (etc / "shadow").write_text("root:*:19000:0:99999:7:::\n")
    (etc / "gshadow").write_text("root:*::\nsudo:*::\n")
    for name in ("shadow", "gshadow"):  # as Debian has them: the agent refuses a readable one
        (etc / name).chmod(0o640)
    (path / "tmp").mkdir()
    return path


def start_server(db_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "wincloud", "metadata", "serve", "--db", db_url]
    argv += ["--listen", f"127.0.0.1:{port}", "--log-level", "warning"]
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    return wait_listening(proc, port, log.read_text)


def one_boot(root: Path, config: Path, folder: Path) -> tuple[float, int, float, str]:
    """(wall seconds, agent duration_ms, peak RSS MiB, status line) of one agent run.

    The peak comes from GNU time (`%M`, the agent's ru_maxrss as its small parent sees it):
    a child forked from this bench would report this process's size instead, because Linux
    carries the pre-exec high-water mark across exec."""
    rss_file = folder / "rss.txt"
    argv = [sys.executable, "-m", "wincloud", "agent", "run", "--root", str(root)]
    argv += ["--config", str(config)]
    if Path(GNU_TIME).exists():
        argv = [GNU_TIME, "-f", "%M", "-o", str(rss_file), *argv]
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    wall = time.perf_counter() - started
    peak = int(rss_file.read_text().split()[-1]) / 1024 if rss_file.exists() else float("nan")
    log = (root / "var/log/wincloud/agent.log").read_text()
    found = re.search(r"agent finished status=\S+ duration_ms=(\d+)", log)
    duration = int(found.group(1)) if found else -1
    if os.environ.get("BENCH_SHOW_LOG"):
        print(log[-3000:])
    return wall, duration, peak, (done.stdout.splitlines() or ["(no output)"])[0]


def bench_boots(runs: int) -> None:
    from wincloud.store import open_repo

    can_manage_users = os.geteuid() == 0 and all(
        shutil.which(t) for t in ("useradd", "usermod", "groupadd", "chpasswd")
    )
    plugins = ["hostname", "users", "password", "ssh_keys", "userdata"]
    if not can_manage_users:
        plugins = ["hostname", "userdata"]
        print("note: not root (or no shadow tools): users, password, ssh_keys left out")
    with tempfile.TemporaryDirectory(prefix="wc-agent-bench-") as tmp:
        folder = Path(tmp)
        db_url = f"sqlite:///{folder / 'metadata.db'}"
        repo = open_repo(db_url, create=True)
        key = rsa_public_key()
        ident = fresh_instance(repo, None, key)
        port = free_port()
        config = folder / "agent.toml"
        config.write_text(
            f'sources = ["configdrive", "openstack_http"]\nplugins = {plugins!r}\n'.replace(
                "'", '"'
            )
            + f'[openstack_http]\nurl = "http://127.0.0.1:{port}"\n[log]\nconsole = false\n'
        )
        server = start_server(db_url, port, folder / "server.log")
        try:
            results = []
            for index in range(runs):
                if index:
                    ident = fresh_instance(repo, ident, key)
                root = make_root(folder / f"root-{index}")
                results.append(one_boot(root, config, folder))
        finally:
            server.terminate()
            server.wait(timeout=20)
            repo.close()
    walls = [r[0] * 1000 for r in results]
    durations = [r[1] for r in results]
    peaks = [r[2] for r in results]
    print(f"full boot ({runs} runs, plugins: {', '.join(plugins)}): {results[-1][3]}")
    print(
        f"  process wall time  median {statistics.median(walls):7.1f} ms"
        f"   min {min(walls):7.1f}   max {max(walls):7.1f}"
    )
    print(
        f"  agent duration_ms  median {statistics.median(durations):7.1f} ms"
        f"   min {min(durations):7d}   max {max(durations):7d}"
    )
    print(
        f"  peak RSS           median {statistics.median(peaks):7.1f} MiB"
        f"  min {min(peaks):7.1f}   max {max(peaks):7.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="full agent boots")
    parser.add_argument("--import-runs", type=int, default=15, help="runs per import figure")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]} ({sys.executable})")
    bench_boots(args.runs)
    ours, _ = median_import_ms(sys.executable, AGENT_ENTRY, args.import_runs)
    print(f"import time, agent entry point ({' '.join(AGENT_ENTRY)}): {ours:.1f} ms (median)")
    http, cli = median_import_ms(sys.executable, ("httpx",), args.import_runs, "httpx._main")
    print(
        f"import time, httpx (on the first HTTP request): {http:.1f} ms (median), of which "
        f"httpx._main {cli:.1f} ms (httpx's CLI: rich and pygments when installed)"
    )
    if not Path(SYSTEM_PYTHON).exists():
        print(f"yardstick not measured: no {SYSTEM_PYTHON}")
        return
    try:
        theirs, _ = median_import_ms(SYSTEM_PYTHON, YARDSTICK, args.import_runs)
    except subprocess.CalledProcessError as exc:
        print(f"yardstick not measured: {exc.stderr.strip().splitlines()[-1:]}")
    else:
        print(f"import time, cloud-init {YARDSTICK[0]} ({SYSTEM_PYTHON}): {theirs:.1f} ms (median)")


if __name__ == "__main__":
    main()
