"""How long the monthly licence report takes for many instances and a month of lifecycle events.

Fills a store's history (as the triggers write it: created, activation, moves, resizes,
deletes and re-creates) and inventory, then times each step of `wincloud report licences`:
reading the history, building the lives, the arithmetic, and rendering each format.

    .venv/bin/python bench/licence_report.py                     # 10,000 instances, SQLite
    .venv/bin/python bench/licence_report.py --instances 50000 --db postgresql+psycopg://...
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from wincloud.licensing import load_rules
from wincloud.licensing.render import render_report
from wincloud.licensing.report import compute_report, month_bounds
from wincloud.licensing.timeline import build_lives
from wincloud.store import open_repo
from wincloud.store.engine import begin_write
from wincloud.store.hosts import Host
from wincloud.store.tables import instance_history

MONTH = "2026-11"
EDITIONS = ["ServerStandard"] * 6 + ["ServerDatacenter"] * 3 + ["Professional"]


def _events(n: int, hosts: list[Host], rng: random.Random, older: int) -> list[dict[str, object]]:
    start, end = month_bounds(MONTH)
    span = (end - start).total_seconds()
    rows: list[dict[str, object]] = []

    def at(fraction: float) -> datetime:
        return start + timedelta(seconds=span * fraction)

    for i in range(n):
        ident = str(uuid.UUID(int=rng.getrandbits(128)))
        project = f"p{i % 200}"
        host = rng.choice(hosts)
        born = at(rng.random() * 0.5) if rng.random() < 0.3 else start - timedelta(days=30)
        if older and born < start:
            # months of older history: a reboot's activation report each month, some moves
            born = start - timedelta(days=30 * (older + 1))
            for m in range(older, 0, -1):
                when = start - timedelta(days=30 * m)
                rows.append({"instance_uuid": ident, "event": "activation", "at": when,
                             "edition": "ServerStandard", "key_source": "kms-client",
                             "activation": "activated", "license_status": "licensed"})  # fmt: skip
                if rng.random() < 0.2:
                    rows.append({"instance_uuid": ident, "event": "moved", "project_id": project,
                                 "at": when + timedelta(days=1), "host": host.hostname,
                                 "vcpus": 2, "os_type": "windows"})  # fmt: skip
        base = {"instance_uuid": ident, "project_id": project, "flavor": "m1", "vcpus": 2}
        rows.append({**base, "event": "created", "at": born, "host": host.hostname,
                     "os_type": "windows"})  # fmt: skip
        if rng.random() < 0.9:
            rows.append({"instance_uuid": ident, "event": "activation",
                         "at": born + timedelta(minutes=5), "edition": rng.choice(EDITIONS),
                         "key_source": "meta" if rng.random() < 0.05 else "kms-client",
                         "activation": "failed" if rng.random() < 0.02 else "activated",
                         "license_status": "licensed"})  # fmt: skip
        t = max(born, start)
        for _ in range(rng.randrange(4)):  # moves within the cluster and resizes
            t = t + (end - t) * rng.random() * 0.5
            peers = [h for h in hosts if h.cluster == host.cluster]
            host = rng.choice(peers)
            rows.append({**base, "event": "moved", "at": t, "host": host.hostname,
                         "vcpus": rng.choice([2, 4, 8]), "os_type": "windows"})  # fmt: skip
        if rng.random() < 0.15:
            t = t + (end - t) * rng.random()
            rows.append({**base, "event": "deleted", "at": t, "host": host.hostname})
            if rng.random() < 0.5:
                t = t + (end - t) * rng.random()
                rows.append({**base, "event": "created", "at": t, "host": host.hostname,
                             "os_type": "windows"})  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--db", default=None, help="store URL (default: a temporary SQLite file)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument(
        "--older-months", type=int, default=0, help="months of history before the reported one"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        with open_repo(url, create=True) as repo:
            hosts = [
                Host(f"hv{i:03}", 2, rng.choice([8, 12, 16, 24, 32]), f"c{i // 8}")
                for i in range(args.hosts)
            ]
            for host in hosts:
                repo.hosts.add(host)
            rows = _events(args.instances, hosts, rng, args.older_months)
            rows.sort(key=lambda r: (str(r["instance_uuid"]), r["at"]))  # type: ignore[arg-type]
            keys = {k for r in rows for k in r}
            with begin_write(repo.engine) as conn:
                conn.execute(sa.insert(instance_history), [dict.fromkeys(keys) | r for r in rows])
            print(f"store: {repo.url}  instances: {args.instances}  events: {len(rows)}  "
                  f"hosts: {args.hosts}")  # fmt: skip
            rules = load_rules()
            start, end = month_bounds(MONTH)
            now = end + timedelta(days=1)
            t0 = time.perf_counter()
            events = repo.history.around(start, end)
            t1 = time.perf_counter()
            lives = build_lives(events)
            t2 = time.perf_counter()
            report = compute_report(lives, repo.hosts.list(), rules, MONTH, generated_at=now)
            t3 = time.perf_counter()
            sizes = {}
            for fmt in ("table", "csv", "json"):
                started = time.perf_counter()
                sizes[fmt] = (len(render_report(report, fmt)), time.perf_counter() - started)
            print(f"read history   {t1 - t0:7.3f} s")
            print(f"build lives    {t2 - t1:7.3f} s")
            print(f"arithmetic     {t3 - t2:7.3f} s")
            for fmt, (size, took) in sizes.items():
                print(f"render {fmt:<7} {took:7.3f} s  ({size / 1e6:.1f} MB)")
            total = t3 - t0 + max(took for _, took in sizes.values())
            print(f"report total   {total:7.3f} s  (read + lives + arithmetic + slowest render)")
            t4 = time.perf_counter()
            whole = repo.history.until(end)
            print(f"(reading the whole history instead: {time.perf_counter() - t4:.3f} s, "
                  f"{len(whole)} events against {len(events)})")  # fmt: skip
            full = compute_report(build_lives(whole), repo.hosts.list(),
                                  rules, MONTH, generated_at=now)  # fmt: skip
            same = full.to_document() == report.to_document()
            print(f"same report from the whole history: {'yes' if same else 'NO'}")
            print(f"totals: {report.totals}  at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")


if __name__ == "__main__":
    main()
