"""What the agent's entry point costs to import, with bytecode caches and without.

Two entries, each run in a fresh interpreter under ``python -X importtime``:

* ``help``: ``wincloud agent run --help`` through ``wincloud.cli.main`` (the console script's
  path: the command table, the ``agent`` group, click).
* ``run``: what ``wincloud agent run`` imports before it reads any metadata: ``wincloud.cli``,
  ``wincloud.cli.agent``, ``wincloud.agent.config``, ``wincloud.agent.logsetup``,
  ``wincloud.agent.run``, ``wincloud.platform`` and the POSIX backend.

And two cache states:

* ``warm``: the checkout's ``__pycache__`` present (one priming run first).
* ``cold``: a fresh copy of ``src/wincloud`` without ``__pycache__``, run with
  ``PYTHONDONTWRITEBYTECODE=1``, so every run compiles wincloud from source (third-party
  packages and the standard library keep their caches, as on an installed guest after the
  first boot of an image whose wincloud was installed without byte-compiling).

The figure: the sum of the cumulative times of the top-level imports the entry makes (modules
already loaded at interpreter start-up left out), median and minimum of ``--runs`` runs (on a
busy machine the minimum is the steadier one); the entry's CPU time (user + system, median,
less an empty interpreter's; without ``-X importtime``), steadier still when other work shares
the cores; and the median wall time of the whole process.
``--top N`` lists the N modules with the largest self time (median run). ``--src DIR``
measures another tree's ``src`` (a ``git worktree`` of an older commit, for a before/after).
Prints figures; asserts nothing.

    .venv/bin/python bench/agent_import.py [--runs 15] [--top 15] [--src DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")
ENTRIES = {
    "help": (
        "import sys\nfrom wincloud.cli import main\n"
        "try:\n    main(['agent', 'run', '--help'])\nexcept SystemExit:\n    pass\n"
    ),
    "run": (
        "import wincloud.cli, wincloud.cli.agent, wincloud.agent.config, "
        "wincloud.agent.logsetup, wincloud.agent.run, wincloud.platform, "
        "wincloud.platform.posix\n"
    ),
}
HEAVY = ("yaml", "httpx", "pydantic", "cryptography", "sqlalchemy", "pycdlib", "email", "ssl")


def startup_modules(python: str, env: dict[str, str]) -> set[str]:
    done = subprocess.run(
        [python, "-c", "import sys; print('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    return set(done.stdout.split())


def cpu_ms(argv: list[str], env: dict[str, str]) -> float:
    """User + system CPU time of one child process, ms (steadier than wall time when other
    work shares the cores)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, capture_output=True, env=env, timeout=120, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000


def entry_cpu(python: str, code: str, env: dict[str, str], runs: int) -> float:
    """Median CPU time of the entry less that of an empty interpreter, ms."""
    empty = statistics.median(cpu_ms([python, "-c", "pass"], env) for _ in range(runs))
    full = statistics.median(cpu_ms([python, "-c", code], env) for _ in range(runs))
    return full - empty


def one_run(
    python: str, code: str, env: dict[str, str], skip: set[str]
) -> tuple[float, float, dict[str, float]]:
    """(import ms, wall ms, self ms per module) of one run."""
    start = time.perf_counter()
    done = subprocess.run(
        [python, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    wall = (time.perf_counter() - start) * 1000
    if done.returncode != 0:
        sys.exit(f"the entry failed:\n{done.stderr[-2000:]}")
    total = 0.0
    selfs: dict[str, float] = {}
    for line in done.stderr.splitlines():
        match = LINE.match(line)
        if not match:
            continue
        own, cumulative, indent, name = match.groups()
        selfs[name] = int(own) / 1000
        if len(indent) <= 1 and name not in skip:  # "| name": top level; nested: more
            total += int(cumulative) / 1000
    return total, wall, selfs


def measure(
    python: str, code: str, env: dict[str, str], runs: int
) -> tuple[float, float, float, dict[str, float]]:
    """(median import ms, min import ms, median wall ms, self times of the median run)."""
    skip = startup_modules(python, env)
    one_run(python, code, env, skip)  # prime the caches (warm) or the OS's page cache (cold)
    results = [one_run(python, code, env, skip) for _ in range(runs)]
    results.sort(key=lambda r: r[0])
    median = results[len(results) // 2]
    wall = statistics.median(r[1] for r in results)
    return median[0], results[0][0], wall, median[2]


def heavy_loaded(python: str, code: str, env: dict[str, str]) -> list[str]:
    probe = code + "\nimport sys\nprint(' '.join(sorted(sys.modules)))\n"
    done = subprocess.run(
        [python, "-c", probe], capture_output=True, text=True, env=env, timeout=60, check=True
    )
    loaded = set(done.stdout.split())
    return [name for name in HEAVY if name in loaded]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--src", type=Path, default=SRC, help="the src directory to measure")
    args = parser.parse_args()
    src = args.src.resolve()
    python = sys.executable
    base = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    with tempfile.TemporaryDirectory(prefix="wincloud-import-") as scratch:
        fresh = Path(scratch) / "src"
        shutil.copytree(
            src / "wincloud", fresh / "wincloud", ignore=shutil.ignore_patterns("__pycache__")
        )
        states = {
            "warm": {**base, "PYTHONPATH": str(src)},
            "cold": {**base, "PYTHONPATH": str(fresh), "PYTHONDONTWRITEBYTECODE": "1"},
        }
        print(f"{src}: python {sys.version.split()[0]}, {args.runs} runs each")
        print(
            f"{'entry':<6} {'cache':<5} {'imports ms':>10} {'(min)':>7} {'cpu ms':>7}"
            f" {'wall ms':>8}  heavy modules loaded"
        )
        tops = {}
        for entry, code in ENTRIES.items():
            for state, env in states.items():
                imports, least, wall, selfs = measure(python, code, env, args.runs)
                cpu = entry_cpu(python, code, env, args.runs)
                heavy = ", ".join(heavy_loaded(python, code, env)) or "none"
                print(
                    f"{entry:<6} {state:<5} {imports:>10.1f} {least:>7.1f} {cpu:>7.1f}"
                    f" {wall:>8.1f}  {heavy}"
                )
                tops[(entry, state)] = selfs
        for (entry, state), selfs in tops.items():
            if state != "warm" or not args.top:
                continue
            print(f"\nlargest self times, {entry} (warm):")
            for name, ms in sorted(selfs.items(), key=lambda kv: -kv[1])[: args.top]:
                print(f"  {ms:7.2f} ms  {name}")
        if fresh.exists():  # pragma: no cover - the copy must have stayed cache-free
            assert not list(fresh.rglob("__pycache__")), "the cold copy got bytecode caches"


if __name__ == "__main__":
    main()
