"""Two Linux network namespaces joined by a veth pair, for whole-path tests.

The server's namespace (``wc-srv-<rand>``) holds 169.254.169.254/16, the guest's
(``wc-gst-<rand>``) holds GUEST_IP/16 on the same link, so the guest reaches the metadata
address on-link and the service identifies it by its source address. Nothing is routed
to or from the host's own namespace. Every process started here runs in its own session
and is killed, by its id, in the finalizer, before both namespaces are deleted.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest

METADATA_IP = "169.254.169.254"
GUEST_IP = "169.254.20.5"
PREFIX = 16
PYTHON = sys.executable
TOOLS = ("ip", "unshare", "useradd", "usermod", "groupadd", "chpasswd", "openssl")


def _path_env() -> dict[str, str]:
    env = dict(os.environ)
    parts = env.get("PATH", "").split(":")
    env["PATH"] = ":".join(parts + [p for p in ("/usr/sbin", "/sbin") if p not in parts])
    return env


ENV = _path_env()


def _ip(*args: str) -> None:
    done = subprocess.run(
        ["ip", *args], capture_output=True, text=True, timeout=15, check=False, env=ENV
    )
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")


def why_not_possible() -> str | None:
    """None when namespaces can be made here, else the reason (for pytest.skip)."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces (ip netns)"
    missing = [tool for tool in TOOLS if shutil.which(tool, path=ENV["PATH"]) is None]
    if missing:
        return "missing tools: " + ", ".join(missing)
    probe = f"wc-probe-{secrets.token_hex(3)}"
    try:
        _ip("netns", "add", probe)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        return f"ip netns does not work here: {exc}"
    with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
        _ip("netns", "del", probe)
    return None


@dataclass
class NetNs:
    server: str
    guest: str
    server_link: str
    guest_link: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def run(
        self, ns: str, argv: Sequence[str], *, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run a command in namespace ``ns`` and wait for it (bounded)."""
        return subprocess.run(
            ["ip", "netns", "exec", ns, *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=ENV,
        )

    def spawn(self, ns: str, argv: Sequence[str], *, log: IO[bytes]) -> subprocess.Popen[bytes]:
        """Start a long-running command in ``ns``; its output goes to ``log``."""
        proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, *argv],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=ENV,
        )
        self.processes.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        """End a process this fixture started (its whole session), by its id."""
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        with contextlib.suppress(ValueError):
            self.processes.remove(proc)

    def set_guest_link(self, up: bool) -> None:
        _ip("-n", self.guest, "link", "set", self.guest_link, "up" if up else "down")

    def close(self) -> None:
        for proc in list(self.processes):
            self.stop(proc)
        for ns in (self.guest, self.server):
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                _ip("netns", "del", ns)


def create_netns() -> NetNs:
    tag = secrets.token_hex(3)
    ns = NetNs(f"wc-srv-{tag}", f"wc-gst-{tag}", f"wcs{tag}", f"wcg{tag}")
    try:
        _ip("netns", "add", ns.server)
        _ip("netns", "add", ns.guest)
        pair = f"{ns.server_link} type veth peer name {ns.guest_link} netns {ns.guest}"
        _ip("-n", ns.server, "link", "add", *pair.split())
        for name, link, address in (
            (ns.server, ns.server_link, METADATA_IP),
            (ns.guest, ns.guest_link, GUEST_IP),
        ):
            _ip("-n", name, "addr", "add", f"{address}/{PREFIX}", "dev", link)
            _ip("-n", name, "link", "set", link, "up")
            _ip("-n", name, "link", "set", "lo", "up")
        _wait_until_up(ns.guest, ns.guest_link)
    except BaseException:
        ns.close()
        raise
    return ns


def _wait_until_up(ns: str, link: str, within: float = 5) -> None:
    """veth carrier comes up a moment after both ends are set up (the kernel's link watch)."""
    deadline = time.monotonic() + within
    while True:
        done = subprocess.run(
            ["ip", "-n", ns, "-br", "link", "show", "dev", link],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if " UP " in done.stdout:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{link} in {ns} not up within {within:g} s: {done.stdout}")
        time.sleep(0.05)


@pytest.fixture
def netns() -> Iterator[NetNs]:
    reason = why_not_possible()
    if reason is not None:
        pytest.skip(reason)
    ns = create_netns()
    try:
        yield ns
    finally:
        ns.close()


def wait_for_line(log: Path, text: str, proc: subprocess.Popen[bytes], *, within: float) -> None:
    """Until ``text`` appears in ``log``; fails when the process ends or time runs out."""
    deadline = time.monotonic() + within
    while True:
        content = log.read_text(errors="replace") if log.exists() else ""
        if text in content:
            return
        if proc.poll() is not None:
            raise AssertionError(f"process exited {proc.returncode} before {text!r}:\n{content}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {text!r} within {within:g} s:\n{content}")
        time.sleep(0.05)


def make_guest_root(path: Path) -> Path:
    """A scratch root for ``wincloud agent run --root``: the account files the shadow tools
    edit, an /etc/hosts, and a /tmp for the user-data script."""
    etc = path / "etc"
    etc.mkdir(parents=True)
    (etc / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (etc / "group").write_text("root:x:0:\nsudo:x:27:\n")
    (etc / "shadow").write_text("root:*:19000:0:99999:7:::\n")
    (etc / "gshadow").write_text("root:*::\nsudo:*::\n")
    (etc / "hosts").write_text("127.0.0.1\tlocalhost\n")
    for name in ("shadow", "gshadow"):
        (etc / name).chmod(0o640)
    (path / "tmp").mkdir(mode=0o1777)
    (path / "home").mkdir()
    return path
