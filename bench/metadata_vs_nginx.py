"""wincloud's metadata service next to nginx serving the same bytes, on one harness.

nginx (1 worker, access log off) serves one instance's rendered tree exported as files;
`wincloud metadata serve` serves the same instance from SQLite and PostgreSQL. Servers are
pinned to core 0, wrk (-t1 -c64, keep-alive) to core 1; figures are the median of --runs runs
of --duration s after a 1 s warm-up. Then 1 vs 2 workers, a boot storm (wrk + bootstorm.lua),
memory after 10,000 instances fetched their tree, and how fast a change is served.

    python bench/metadata_vs_nginx.py [--quick] [--duration 10] [--runs 3]

Needs nginx, wrk and taskset (util-linux) and 2 cores; PostgreSQL from WINCLOUD_BENCH_PG_URL
or WINCLOUD_TEST_PG_URL (a database `wincloud_bench` is created there, else a fresh schema);
without one the PostgreSQL rows are skipped.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _serving import free_port, wait_listening
from metadata_bootstorm import OPENSTACK_FILES, SECRET, bench_record, cpu_seconds, family

HERE = Path(__file__).resolve().parent
LEAF = "/latest/meta-data/instance-id"
DOC = "/openstack/latest/meta_data.json"
PASSWORD = "/openstack/latest/password"
TOKEN_HEADER = "X-aws-ec2-metadata-token"
SERVER_CPU, WRK_CPU = "0", "1"


def sample_record() -> dict[str, object]:
    """The measured instance: bench instance 0's record with the address 127.0.0.1."""
    record = bench_record(0, "127.0.0.1")
    record["uuid"] = "0b0e1c5e-7a3d-4c1b-9d2e-5f6a7b8c9d0e"
    record["name"] = record["hostname"] = "bench-sample"
    return record


def fill_store(url: str, count: int) -> list[str]:
    """The sample instance plus ``count`` bench instances (127.1.x.y); their uuids."""
    from wincloud.model import parse_instance
    from wincloud.store import open_repo

    repo = open_repo(url, create=True)
    try:
        repo.add(parse_instance(sample_record()))
        uuids = []
        for i in range(count):
            record = bench_record(i, f"127.1.{i // 250}.{i % 250 + 1}")
            repo.add(parse_instance(record))
            uuids.append(str(record["uuid"]))
    finally:
        repo.close()
    return uuids


def export_tree(root: Path) -> dict[str, bytes]:
    """The sample's tree as files nginx serves byte for byte: a path that is also a
    directory (a listing) is written as ``<path>/_index``. Returns path -> bytes."""
    from wincloud.model import parse_instance
    from wincloud.tree import render_http

    tree = render_http(parse_instance(sample_record()))
    dirs = {p.rsplit("/", 1)[0] if "/" in p else "" for p in tree}
    for path, body in tree.items():
        target = root / path / "_index" if path in dirs else root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    return tree


def walk(tree: dict[str, bytes]) -> list[str]:
    """The requests one instance makes at boot (as bench/metadata_bootstorm.py walks)."""
    paths = ["/openstack", *(f"/openstack/latest/{name}" for name in OPENSTACK_FILES)]
    pending = ["/latest/meta-data/"]
    while pending:
        path = pending.pop()
        paths.append(path)
        for entry in tree[path.strip("/")].decode().splitlines():
            if entry.endswith("/"):
                pending.append(path + entry)
            elif "=" in entry:  # public-keys: "0=name" is the directory "0/"
                pending.append(path + entry.split("=", 1)[0] + "/")
            else:
                paths.append(path + entry)
    return [*paths, "/latest/user-data"]


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def memory_kib(self) -> tuple[int, int]:
        """VmRSS and VmHWM, summed over the process and its children."""
        status = "".join(Path(f"/proc/{p}/status").read_text() for p in family(self.proc.pid))
        rss, hwm = (sum(map(int, re.findall(rf"{k}:\s+(\d+)", status))) for k in ("VmRSS", "VmHWM"))
        return rss, hwm

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT if self.name != "nginx" else signal.SIGQUIT)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def _start(name: str, cmd: list[str], port: int, log: Path) -> Server:
    with log.open("ab") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
    wait_listening(proc, port, lambda: log.read_text(errors="replace"))
    return Server(name, proc, port, log)


NGINX_CONF = """\
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    default_type text/plain;
    types {{ application/json json; }}
    charset utf-8;
    charset_types text/plain;
    server_tokens off;
    etag off;
    sendfile on;
    tcp_nodelay on;
    keepalive_requests 100000000;
    keepalive_timeout 75s;
    open_file_cache max=1000 inactive=300s;
    open_file_cache_valid 300s;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ try_files $uri $uri/_index =404; }}
    }}
}}
"""


def start_nginx(tmp: Path, root: Path) -> Server:
    port = free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, port=port, root=root))
    cmd = ["taskset", "-c", SERVER_CPU, "nginx", "-c", str(conf), "-p", str(tmp)]
    cmd += ["-e", str(tmp / "nginx-error.log"), "-g", "daemon off;"]
    return _start("nginx", cmd, port, tmp / "nginx.log")


def start_wincloud(
    tmp: Path,
    db: str,
    *,
    access_log: str = "off",
    token_mode: str = "optional",
    workers: int = 1,
    cpus: str = SERVER_CPU,
    prewarm: bool = True,
) -> Server:
    port = free_port()
    config = tmp / f"wincloud-{port}.toml"
    config.write_text(
        "[metadata]\n"
        f'proxy_shared_secret = "{SECRET}"\n'
        'connection_cap_exempt = ["127.0.0.0/8"]\n'
        f'token_mode = "{token_mode}"\n'
        'freshness = "notify"\n'
        f"prewarm = {'true' if prewarm else 'false'}\n"
    )
    cmd = ["taskset", "-c", cpus, sys.executable, "-m", "wincloud", "metadata", "serve", "--db", db]
    cmd += ["--listen", f"127.0.0.1:{port}", "--config", str(config), "--log-level", "warning"]
    cmd += ["--access-log", access_log, "--workers", str(workers)]
    return _start("wincloud", cmd, port, tmp / f"wincloud-{port}.log")


def call(
    server: Server, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def get_token(server: Server) -> str:
    status, body = call(
        server,
        "PUT",
        "/latest/api/token",
        headers={"X-aws-ec2-metadata-token-ttl-seconds": "21600"},
    )
    if status != 200:
        raise SystemExit(f"token request answered {status}: {body[:200]!r}")
    return body.decode()


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


@dataclass
class Load:
    rps: float
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_us: float
    output: str
    wrk_core: float = 0.0  # wrk's CPU time over the run's wall time (1.00: wrk saturated)


def wrk(
    server: Server,
    path: str,
    seconds: float,
    *,
    headers: dict[str, str] | None = None,
    connections: int = 64,
    script: list[str] | None = None,
    done_file: Path | None = None,
) -> Load:
    """One wrk run pinned to core 1; the server's CPU time over the run, per request."""
    cmd = ["taskset", "-c", WRK_CPU, "wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s"]
    cmd += ["--latency", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    if script:
        cmd += ["-s", script[0], server.url + path, "--", *script[1:]]
    else:
        cmd.append(server.url + path)
    before, wrk_before = server.cpu(), resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + seconds + 30
    while done_file is not None and proc.poll() is None and time.monotonic() < deadline:
        if done_file is not None and done_file.exists():  # the storm is over: stop sleeping
            proc.send_signal(signal.SIGINT)
            break
        time.sleep(0.005)
    try:
        stdout, stderr = proc.communicate(timeout=max(deadline - time.monotonic(), 5))
    except subprocess.TimeoutExpired:
        proc.kill()
        raise SystemExit(f"wrk did not finish within {seconds + 30:.0f} s") from None
    cpu, wrk_after = server.cpu() - before, resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = sum(getattr(wrk_after, f) - getattr(wrk_before, f) for f in ("ru_utime", "ru_stime"))
    out = stdout
    if proc.returncode != 0 or "requests in" not in out:
        raise SystemExit(f"wrk failed ({proc.returncode}): {out[-1000:]} {stderr[-1000:]}")
    count, value, unit = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b", out).groups()  # type: ignore[union-attr]
    requests, elapsed = int(count), float(value) * _UNITS[unit] / 1e3
    latency = {
        m.group(1): float(m.group(2)) * _UNITS[m.group(3)]
        for m in re.finditer(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    }
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    p50, p99 = latency.get("50", float("nan")), latency.get("99", float("nan"))
    cpu_us = cpu / max(requests, 1) * 1e6
    load = Load(requests / elapsed, requests, elapsed, p50, p99, errors, cpu_us, out)
    load.wrk_core = wrk_cpu / elapsed if elapsed else 0.0
    return load


def measure(server: Server, path: str, args: argparse.Namespace, **kw: object) -> Load:
    """A 1 s warm-up, then --runs runs; the median of each figure, errors summed."""
    wrk(server, path, 1, **kw)  # type: ignore[arg-type]
    runs = [wrk(server, path, args.duration, **kw) for _ in range(args.runs)]  # type: ignore[arg-type]

    rps, p50, p99, cpu, wrk_core = (
        statistics.median(getattr(r, name) for r in runs)
        for name in ("rps", "p50_ms", "p99_ms", "cpu_us", "wrk_core")
    )
    requests, seconds = sum(r.requests for r in runs), sum(r.seconds for r in runs)
    errors = sum(r.errors for r in runs)
    return Load(rps, requests, seconds, p50, p99, errors, cpu, runs[-1].output, wrk_core)


def storm(server: Server, tmp: Path, uuids: list[str], paths: list[str], bound: float) -> Load:
    """Every instance in ``uuids`` walks ``paths`` (signed proxy headers, bench/bootstorm.lua);
    wall time from wrk's first connection to the last answer."""
    ids, walk_file = tmp / f"ids-{len(uuids)}.txt", tmp / "walk.txt"
    from wincloud.server.identify import sign_instance_id

    ids.write_text("".join(f"{u} {sign_instance_id(SECRET, u)}\n" for u in uuids))
    walk_file.write_text("".join(p + "\n" for p in paths))
    done = tmp / "storm.done"
    done.unlink(missing_ok=True)
    script = [str(HERE / "bootstorm.lua"), str(ids), str(walk_file), str(done)]
    load = wrk(server, "/", bound, script=script, done_file=done)
    found = re.search(r"total=(\d+) answered=(\d+) errors=(\d+) seconds=([-\d.]+)", load.output)
    if found is None:
        raise SystemExit(f"the storm script printed no summary: {load.output[-1000:]}")
    total, answered, errors = map(int, found.groups()[:3])
    load.errors = errors + (total - answered)  # unanswered within the bound count as errors
    load.requests = answered
    load.seconds = float(found.group(4)) if answered == total else load.seconds
    load.rps = answered / load.seconds
    return load


def freshness(server: Server, db: str, tries: int) -> list[float]:
    """Seconds from an update's commit (through this process's own connection) until the
    service serves the new value; ``tries`` times, each bounded by 5 s."""
    from wincloud.model import parse_instance
    from wincloud.store import open_repo

    repo = open_repo(db)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    delays = []
    try:
        for n in range(tries):
            marker = f"fresh-{n}-{time.time_ns()}"
            record = sample_record()
            record["meta"] = {"role": marker}
            repo.update(parse_instance(record))
            committed = time.perf_counter()
            while time.perf_counter() - committed < 5:
                conn.request("GET", DOC)
                if marker.encode() in conn.getresponse().read():
                    delays.append(time.perf_counter() - committed)
                    break
            time.sleep(0.05)
    finally:
        conn.close()
        repo.close()
    return delays


def pg_url(args: argparse.Namespace) -> tuple[str | None, str]:
    """A fresh database (or schema) for the bench on the configured PostgreSQL server."""
    base = (
        args.pg_url
        or os.environ.get("WINCLOUD_BENCH_PG_URL")
        or os.environ.get("WINCLOUD_TEST_PG_URL")
    )
    if not base:
        return None, "no WINCLOUD_BENCH_PG_URL / WINCLOUD_TEST_PG_URL"
    import sqlalchemy as sa

    url = sa.engine.make_url(base)
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as c:
            c.execute(sa.text("DROP DATABASE IF EXISTS wincloud_bench WITH (FORCE)"))
            c.execute(sa.text("CREATE DATABASE wincloud_bench"))
        return url.set(database="wincloud_bench").render_as_string(hide_password=False), ""
    except sa.exc.SQLAlchemyError as exc:
        reason = str(exc).splitlines()[0]
    try:
        schema = f"wincloud_bench_{os.getpid()}"
        with engine.connect() as c:
            c.execute(sa.text(f"CREATE SCHEMA {schema}"))
        opts = url.set(query={**url.query, "options": f"-csearch_path={schema}"})
        return opts.render_as_string(hide_password=False), f"schema {schema} ({reason})"
    except sa.exc.SQLAlchemyError as exc:
        return None, f"PostgreSQL unavailable: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()


def drop_pg(url: str) -> None:
    import sqlalchemy as sa

    parsed = sa.engine.make_url(url)
    if parsed.database != "wincloud_bench":
        return  # a schema in a shared database: left for the operator to inspect
    engine = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with contextlib.suppress(sa.exc.SQLAlchemyError), engine.connect() as c:
        c.execute(sa.text("DROP DATABASE IF EXISTS wincloud_bench WITH (FORCE)"))
    engine.dispose()


HEAD = (
    "server                           test         req/s  p50 ms  p99 ms CPU us/req  core"
    "   wrk  x nginx  CPU x nginx errors"
)
NGINX: dict[str, Load] = {}  # by test, for the ratio columns


def row(server: str, test: str, load: Load, base: str | None) -> None:
    """One row. core / wrk: the share of a core the server / wrk used (1.00: saturated);
    CPU x nginx: nginx's CPU per request over this one (requests per core-second)."""
    if server.startswith("nginx"):
        NGINX[test] = load
    ref = NGINX.get(base or "")
    ratio = f"{load.rps / ref.rps:.2f}" if ref else "-"
    per_cpu = f"{ref.cpu_us / load.cpu_us:.2f}" if ref and load.cpu_us else "-"
    print(
        f"{server:<32} {test:<9} {load.rps:>8,.0f} {load.p50_ms:>7.2f} {load.p99_ms:>7.2f} "
        f"{load.cpu_us:>10.1f} {load.rps * load.cpu_us / 1e6:>5.2f} {load.wrk_core:>5.2f} "
        f"{ratio:>8} {per_cpu:>12} "
        f"{load.errors:>6}",
        flush=True,
    )


def bench_store(
    tmp: Path, db: str, label: str, args: argparse.Namespace, posted: bytes
) -> dict[str, float]:
    """Leaf, document, password and IMDSv2 required, with the access log off and to a file;
    req/s by "log:test"."""
    out: dict[str, float] = {}
    for log_name in ("off", "file"):
        access_log = "off" if log_name == "off" else str(tmp / f"access-{label}.log")
        name = f"wincloud {label}, log {log_name}"
        with start_wincloud(tmp, db, access_log=access_log) as server:
            status, body = call(server, "GET", PASSWORD)
            if status != 200 or body != posted:
                raise SystemExit(f"password GET answered {status} {body[:80]!r}")
            for test, path in (("leaf", LEAF), ("document", DOC), ("password", PASSWORD)):
                load = measure(server, path, args)
                row(name, test, load, test)
                out[f"{log_name}:{test}"] = load.rps
        with start_wincloud(tmp, db, access_log=access_log, token_mode="required") as s:
            if call(s, "GET", LEAF)[0] != 401:
                raise SystemExit("token_mode required answered a request without a token")
            load = measure(s, LEAF, args, headers={TOKEN_HEADER: get_token(s)})
            row(name, "IMDSv2", load, "leaf")
            out[f"{log_name}:imdsv2"] = load.rps
    return out


def imdsv2_pairs(tmp: Path, db: str, label: str, args: argparse.Namespace) -> None:
    """The IMDSv2 ratio alone: an optional and a required server up together, their leaf
    runs alternated (optional, required, optional, ...) so that the machine's drift over a
    minute falls on both; the ratio of the medians, and each pair's own ratio."""
    with (
        start_wincloud(tmp, db) as optional,
        start_wincloud(tmp, db, token_mode="required") as required,
    ):
        if call(required, "GET", LEAF)[0] != 401:
            raise SystemExit("token_mode required answered a request without a token")
        headers = {TOKEN_HEADER: get_token(required)}
        wrk(optional, LEAF, 1)
        wrk(required, LEAF, 1, headers=headers)
        pairs = [
            (
                wrk(optional, LEAF, args.duration),
                wrk(required, LEAF, args.duration, headers=headers),
            )
            for _ in range(args.runs)
        ]
    opt = statistics.median(a.rps for a, _ in pairs)
    req = statistics.median(b.rps for _, b in pairs)
    each = ", ".join(f"{b.rps / a.rps:.2f}" for a, b in pairs)
    errors = sum(a.errors + b.errors for a, b in pairs)
    print(
        f"{label}, log off: optional {opt:,.0f} req/s, required {req:,.0f} req/s; "
        f"required / optional {req / opt:.2f} (pairs: {each}); errors {errors}; goal 0.8"
    )


def post_password(tmp: Path, db: str, value: bytes) -> None:
    with start_wincloud(tmp, db) as server:
        status, body = call(server, "POST", PASSWORD, value)
        if status != 200:
            raise SystemExit(f"password POST answered {status}: {body[:200]!r}")


def rewrite(db: str, uuids: list[str]) -> None:
    """A new revision of each record (one commit each), as a cloud spawning instances
    writes their records seconds before they boot."""
    from wincloud.store import open_repo

    repo = open_repo(db)
    try:
        for uuid in uuids:
            stored = repo.get(uuid)
            assert stored is not None, uuid
            meta = {**stored.instance.meta, "spawned": str(time.time())}
            repo.update(stored.instance.model_copy(update={"meta": meta}))
    finally:
        repo.close()


def storms(
    tmp: Path, db: str, uuids: list[str], paths: list[str], args: argparse.Namespace
) -> None:
    n = args.storm_instances
    print(
        f"\nboot storm: {n} instances x {len(paths)} requests = {n * len(paths)}, signed proxy "
        "headers, wrk -t1 -c64 + bench/bootstorm.lua, access log off, server on core 0\n"
        f"{'run':<46} {'answered':>8} {'wall s':>7} {'req/s':>7} {'p99 ms':>7} "
        f"{'CPU us/req':>10} {'errors':>6}"
    )

    def report(label: str, load: Load) -> None:
        print(
            f"{label:<46} {load.requests:>8} {load.seconds:>7.3f} {load.rps:>7,.0f} "
            f"{load.p99_ms:>7.1f} {load.cpu_us:>10.1f} {load.errors:>6}",
            flush=True,
        )

    with start_wincloud(tmp, db, prewarm=False) as server:
        for label in ("cold: just started, prewarm off", "warm: each fetched once"):
            report(label, storm(server, tmp, uuids[:n], paths, 60))
    with start_wincloud(tmp, db, prewarm=False, workers=2, cpus="0,1") as server:
        report(
            "cold, 2 workers on cores 0-1*, prewarm off", storm(server, tmp, uuids[:n], paths, 60)
        )
    with start_wincloud(tmp, db) as server:
        report("just started, prewarm on (storm at once)", storm(server, tmp, uuids[:n], paths, 60))
    with start_wincloud(tmp, db) as server:
        time.sleep(args.boot_seconds)  # the start's own prewarm (newest records) settles
        started = time.perf_counter()
        rewrite(db, uuids[:n])
        written = time.perf_counter() - started
        time.sleep(args.boot_seconds)  # the guests boot
        report(
            f"records rewritten {args.boot_seconds:g} s before, prewarm on",
            storm(server, tmp, uuids[:n], paths, 60),
        )
        print(f"  ({n} records rewritten in {written:.1f} s, one commit each)")
    print("* wrk shares core 1 with the second worker")
    n = args.memory_instances
    if not n:
        return
    print(f"\nmemory: {n} instances each walk their tree once (default cache bound, log off)")
    with start_wincloud(tmp, db) as server:
        rss0, _ = server.memory_kib()
        load = storm(server, tmp, uuids[:n], paths, 600)
        rss, hwm = server.memory_kib()
        print(
            f"  {load.requests} answers in {load.seconds:.1f} s, {load.errors} errors; RSS "
            f"{rss0 / 1024:.0f} MiB before; after: VmRSS {rss / 1024:.0f} MiB, VmHWM "
            f"{hwm / 1024:.0f} MiB (goal <= 300 MB)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 s x 1 run, 2,000 instances")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--storm-instances", type=int, default=1000)
    parser.add_argument(
        "--boot-seconds", type=float, default=5.0, help="from record writes to the storm"
    )
    parser.add_argument("--memory-instances", type=int, default=10_000)
    parser.add_argument("--freshness-tries", type=int, default=20)
    parser.add_argument("--pg-url", help="PostgreSQL server (default: the environment's)")
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument(
        "--storm-only",
        action="store_true",
        help="only the boot storms and the memory run (--memory-instances 0: no memory run)",
    )
    parser.add_argument(
        "--imdsv2-only",
        action="store_true",
        help="only IMDSv2 required / optional, runs alternated on two servers (log off)",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up servers and files
    os.sched_setaffinity(0, {int(WRK_CPU)})  # the bench itself stays off the servers' core
    if args.quick:
        args.duration, args.runs, args.memory_instances = 2.0, 1, 2000
    for tool in ("nginx", "wrk", "taskset"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing (apt-get install nginx-light wrk util-linux)")
    if (os.cpu_count() or 1) < 2:
        raise SystemExit("needs 2 cores: the server on core 0, wrk on core 1")
    import wincloud

    load_avg = " ".join(f"{x:.2f}" for x in os.getloadavg())
    version = {
        t: subprocess.run([t, "-v"], capture_output=True, text=True, check=False)
        for t in ("nginx", "wrk")
    }
    cpu = re.findall(r"model name\s*: (.*)", Path("/proc/cpuinfo").read_text()) or ["?"]
    wrk_v = version["wrk"].stdout.split("Copyright")[0].strip()
    print(f"{os.cpu_count()} x {cpu[0]}; {version['nginx'].stderr.strip()}; {wrk_v}")
    print(f"wincloud from {Path(wincloud.__file__).parent}, Python {sys.version.split()[0]}")
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average {load_avg}")
    print(
        f"wrk -t1 -c64 -d{args.duration:g}s, median of {args.runs} after a 1 s warm-up; "
        f"servers pinned to core {SERVER_CPU}, wrk to core {WRK_CPU}"
    )
    posted = base64.b64encode(os.urandom(256))  # the size of an RSA-2048 sealed password
    pg, pg_note = (None, "--skip-pg") if args.skip_pg else pg_url(args)
    with tempfile.TemporaryDirectory(dir="/dev/shm" if Path("/dev/shm").is_dir() else None) as t:
        tmp = Path(t)
        tmp.chmod(0o755)  # nginx's worker runs as nobody
        root = tmp / "www"
        paths = walk(export_tree(root))
        (root / PASSWORD.strip("/")).write_bytes(posted)
        count = max(args.storm_instances, args.memory_instances)
        db = f"sqlite:///{tmp / 'bench.db'}"
        started = time.perf_counter()
        uuids = fill_store(db, count)
        print(f"SQLite store: {count + 1} instances ({time.perf_counter() - started:.0f} s)\n")
        post_password(tmp, db, posted)

        if args.storm_only:
            storms(tmp, db, uuids, paths, args)
            return
        if args.imdsv2_only:
            imdsv2_pairs(tmp, db, "SQLite", args)
            if pg is not None:
                fill_store(pg, 0)
                imdsv2_pairs(tmp, pg, "PostgreSQL", args)
            return
        print(HEAD)
        with start_nginx(tmp, root) as nginx:
            with start_wincloud(tmp, db) as check:
                for path in (LEAF, DOC, PASSWORD, "/latest/meta-data/", "/openstack"):
                    if call(nginx, "GET", path) != call(check, "GET", path):
                        raise SystemExit(f"{path}: nginx and wincloud answer different bytes")
            for test, path in (("leaf", LEAF), ("document", DOC), ("password", PASSWORD)):
                row("nginx (static files)", test, measure(nginx, path, args), test)
        sqlite = bench_store(tmp, db, "SQLite", args, posted)
        if pg is not None:
            fill_store(pg, 0)
            post_password(tmp, pg, posted)
            on_pg = bench_store(tmp, pg, "PostgreSQL", args, posted)
        else:
            print(f"(PostgreSQL rows skipped: {pg_note})")
        for workers in (1, 2):  # the workers may use both cores
            with start_wincloud(tmp, db, workers=workers, cpus="0,1") as server:
                load = measure(server, LEAF, args)
                row(f"wincloud SQLite, {workers} worker(s)*", "leaf", load, None)
        print("* server on cores 0-1 (not pinned to one), wrk still on core 1; log off")
        print(
            f"\nIMDSv2 required / optional, SQLite: {sqlite['off:imdsv2'] / sqlite['off:leaf']:.2f}"
            f" (log off), {sqlite['file:imdsv2'] / sqlite['file:leaf']:.2f} (log file); goal 0.8"
        )
        if pg is not None:
            ratios = ", ".join(f"{k} {on_pg[k] / sqlite[k]:.2f}" for k in sorted(sqlite))
            print(f"PostgreSQL / SQLite: {ratios}")

        storms(tmp, db, uuids, paths, args)
        print(f"\nfreshness: a record updated through another connection; {DOC} polled until")
        print(f"the new value is served ({args.freshness_tries} tries; includes the re-render)")
        for label, url in [("SQLite", db)] + ([("PostgreSQL, notify", pg)] if pg else []):
            with start_wincloud(tmp, url) as server:
                delays = freshness(server, url, args.freshness_tries)
            print(
                f"  {label}: median {statistics.median(delays or [0]) * 1e3:.2f} ms, max "
                f"{max(delays or [0]) * 1e3:.2f} ms; not seen within 5 s: "
                f"{args.freshness_tries - len(delays)}"
            )
        if pg is not None:
            drop_pg(pg)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
