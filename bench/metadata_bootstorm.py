"""Boot storm: N instances each fetch their whole metadata tree at once.

Every instance is identified the way a real one is: by its own source address on loopback
(127.1.x.y, one per instance) or, with --identify proxy, by a signed X-Instance-ID header.
Each walks its tree the way a guest agent does at boot (version lists, every OpenStack file
of `latest`, the EC2 meta-data tree by its listings), one request after another; all
instances run concurrently. The server runs in its own process; its peak RSS is read from
/proc. Bounded: N * paths requests at most, and --max-seconds of wall time.

    python bench/metadata_bootstorm.py [--instances 500] [--identify address|proxy]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from _serving import free_port, wait_listening

SECRET = "bench-proxy-secret-0123456789"
OPENSTACK_FILES = [
    "meta_data.json",
    "user_data",
    "vendor_data.json",
    "network_data.json",
    "vendor_data2.json",
]


# A real 2048-bit key: records are checked down to the key inside.
KEY = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDXSeRpE0ZPCjIyQUsLTez/Ftmb6a+qSZjYuMEusYZKkw4kaM1L"
    "izYaBe74FH7HfW5h+3Msy7/3RAztDjQZ/CWD2yKTV/Laokg8uECdaipn011nsOrjGTe3PENUOg94rdd9ei5TSFJ2"
    "PTuVAlc/T314NPtsKEHiIgmOLcWAYJwhNh01wfNmjyku3canZwvYHFWilyIXxAWr28/9KBSJGFztEuJz3OdW+3qu"
    "R0p7TD56LoCN73guOcl6UYBT0vKpZ92yqefDr1pvtePRwq4IMGV5OVYVoZ0bSYxM7qhRV2IIiM3rzWOHSrOo9Zqo"
    "JbXCx+Oui4VMyPTNWxLqytVGJtJX bench@wincloud"
)


def bench_record(i: int, ip: str) -> dict[str, object]:
    """Instance ``i``'s record (uuid from ``i``, one fixed address ``ip``)."""
    return {
        "uuid": str(uuid.UUID(int=i + 1, version=4)),
        "name": f"bench-{i}",
        "hostname": f"bench-{i}",
        "fixed_ips": [ip],
        "public_keys": {"k": KEY},
        "meta": {"role": "bench"},
        "user_data": "#ps1\nWrite-Host boot\n" * 20,
        "network_data": {
            "links": [{"id": "eth0", "ethernet_mac_address": "fa:16:3e:00:00:01"}],
            "networks": [{"id": "n0", "type": "ipv4_dhcp", "link": "eth0"}],
        },
    }


def make_db(path: Path, count: int) -> list[tuple[str, str]]:
    from wincloud.model import parse_instance
    from wincloud.store import open_repo

    repo = open_repo(f"sqlite:///{path}", create=True)
    out = []
    for i in range(count):
        ip = f"127.1.{i // 250}.{i % 250 + 1}"
        record = bench_record(i, ip)
        repo.add(parse_instance(record))
        out.append((str(record["uuid"]), ip))
    repo.close()
    return out


def start_server(kind: str, db: Path, port: int, config: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "WINCLOUD_DB": f"sqlite:///{db}", "WINCLOUD_METADATA_CONFIG": str(config)}
    bindir = Path(sys.executable).parent
    cmd = [
        str(bindir / "wincloud"),
        "metadata",
        "serve",
        "--listen",
        f"127.0.0.1:{port}",
        "--config",
        str(config),
        "--log-level",
        "warning",
        "--access-log",  # stderr is a pipe nobody reads: a full pipe would stall the server
        "off",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return wait_listening(proc, port, lambda: proc.stderr.read().decode() if proc.stderr else "")


def family(pid: int) -> list[int]:
    """The server process and its children (worker processes)."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    return pids


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the server has used so far."""
    ticks = 0
    for p in family(pid):
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def peak_rss_kib(pid: int) -> int:
    """VmHWM of the server process and its children."""
    total = 0
    for p in family(pid):
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return total


async def boot(client: httpx.AsyncClient, latencies: list[float], deadline: float) -> int:
    """One instance's walk of its tree; returns the number of failed requests."""
    errors = 0

    async def get(path: str) -> bytes:
        nonlocal errors
        if time.monotonic() > deadline:
            raise TimeoutError
        t0 = time.perf_counter()
        response = await client.get(path)
        latencies.append(time.perf_counter() - t0)
        if response.status_code != 200:
            errors += 1
        return response.content

    await get("/openstack")
    for name in OPENSTACK_FILES:
        await get(f"/openstack/latest/{name}")
    pending = ["/latest/meta-data/"]
    while pending:
        path = pending.pop()
        for entry in (await get(path)).decode().splitlines():
            if entry.endswith("/"):
                pending.append(path + entry)
            elif "=" in entry:  # public-keys: "0=name" is the directory "0/"
                pending.append(path + entry.split("=", 1)[0] + "/")
            else:
                await get(path + entry)
    await get("/latest/user-data")
    return errors


async def storm(url: str, instances: list[tuple[str, str]], proxy: bool, max_seconds: float):
    latencies: list[float] = []
    deadline = time.monotonic() + max_seconds
    clients = []
    for ident, ip in instances:
        headers = {}
        if proxy:
            sig = hmac.new(SECRET.encode(), ident.encode(), hashlib.sha256).hexdigest()
            headers = {"X-Instance-ID": ident, "X-Instance-ID-Signature": sig}
        transport = httpx.AsyncHTTPTransport(local_address=None if proxy else ip)
        clients.append(
            httpx.AsyncClient(base_url=url, transport=transport, headers=headers, timeout=60)
        )
    started = time.perf_counter()
    results = await asyncio.gather(
        *(boot(c, latencies, deadline) for c in clients), return_exceptions=True
    )
    elapsed = time.perf_counter() - started
    for c in clients:
        await c.aclose()
    failures = sum(r if isinstance(r, int) else 1 for r in results)
    return latencies, elapsed, failures


def run_one(kind: str, db: Path, instances, proxy: bool, max_seconds: float) -> dict[str, float]:
    port = free_port()
    config = db.parent / "md.toml"
    config.write_text(f'[metadata]\nproxy_shared_secret = "{SECRET}"\n')
    proc = start_server(kind, db, port, config)
    try:
        cpu_before = cpu_seconds(proc.pid)
        lat, elapsed, failures = asyncio.run(
            storm(f"http://127.0.0.1:{port}", instances, proxy, max_seconds)
        )
        cpu = cpu_seconds(proc.pid) - cpu_before
        rss = peak_rss_kib(proc.pid)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    lat.sort()
    return {
        "requests": len(lat),
        "seconds": elapsed,
        "rps": len(lat) / elapsed,
        "p50_ms": statistics.median(lat) * 1000,
        "p99_ms": lat[int(len(lat) * 0.99) - 1] * 1000,
        "failures": failures,
        "rss_mib": rss / 1024,
        "cpu_us": cpu / max(len(lat), 1) * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instances", type=int, default=500)
    parser.add_argument("--identify", choices=["address", "proxy"], default="address")
    parser.add_argument("--max-seconds", type=float, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        instances = make_db(db, args.instances)
        print(f"store: {args.instances} instances written in {time.perf_counter() - t0:.1f} s")
        print(
            f"{'server':8} {'instances':>9} {'requests':>8} {'req/s':>8} {'p50 ms':>7} "
            f"{'p99 ms':>7} {'fail':>5} {'peak RSS MiB':>12} {'server CPU us/req':>17}"
        )
        for kind in ("wincloud",):
            r = run_one(kind, db, instances, args.identify == "proxy", args.max_seconds)
            print(
                f"{kind:8} {args.instances:>9} {r['requests']:>8} {r['rps']:>8.0f} "
                f"{r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} {r['failures']:>5} "
                f"{r['rss_mib']:>12.1f} {r['cpu_us']:>17.0f}"
            )


if __name__ == "__main__":
    main()
