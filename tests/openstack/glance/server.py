"""A real Glance 33 API for the tests: gunicorn from .venv-glance on 127.0.0.1, SQLite, file store.

Everything lives in one temporary folder (config, database, image store, staging and tasks
stores, log). The paste pipeline is the wheel's own ``keystone`` flavour with keystonemiddleware's
``authtoken`` replaced by ``glance_testauth`` (see that module), so Glance's RBAC is the real one.

    with GlanceServer.start(tmp_dir) as glance:
        glance.url  # http://127.0.0.1:PORT
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
VENV = Path(os.environ.get("WINCLOUD_GLANCE_VENV", ROOT / ".venv-glance"))
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def is_available() -> str | None:
    """None when the Glance venv is there, else why not (the tests skip with that reason)."""
    if not (VENV / "bin" / "gunicorn").exists():
        return f"{VENV} has no gunicorn: run `bash tests/openstack/glance/venv.sh`"
    return None


def _paste_ini() -> str:
    original = (VENV / "etc" / "glance" / "glance-api-paste.ini").read_text()
    lines = []
    for line in original.splitlines():
        if line.startswith("keystone = ") and " authtoken context " in line:
            lines.append(line.replace(" authtoken context ", " testauth context "))
        else:
            lines.append(line)
    lines += ["", "[filter:testauth]", "paste.filter_factory = glance_testauth:filter_factory", ""]
    return "\n".join(lines)


def _api_conf(base: Path, port: int) -> str:
    return f"""[DEFAULT]
enabled_backends = fs:file
worker_self_reference_url = http://127.0.0.1:{port}
enabled_import_methods = [glance-direct,web-download,copy-image]
show_multiple_locations = false
log_file = {base / "glance-api.log"}
debug = false
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = {base / "images"}
[os_glance_staging_store]
filesystem_store_datadir = {base / "staging"}
[os_glance_tasks_store]
filesystem_store_datadir = {base / "tasks"}
[database]
connection = sqlite:///{base / "glance.sqlite"}
[paste_deploy]
flavor = keystone
config_file = {base / "glance-api-paste.ini"}
[oslo_concurrency]
lock_path = {base / "locks"}
[oslo_policy]
enforce_scope = true
enforce_new_defaults = true
"""


@dataclass
class GlanceServer:
    base: Path
    port: int
    process: subprocess.Popen[bytes]
    start_seconds: float = 0.0
    db_sync_seconds: float = 0.0
    _log: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, base: Path) -> GlanceServer:
        base.mkdir(parents=True, exist_ok=True)
        for name in ("images", "staging", "tasks", "locks"):
            (base / name).mkdir(exist_ok=True)
        port = free_port()
        (base / "glance-api-paste.ini").write_text(_paste_ini())
        (base / "glance-api.conf").write_text(_api_conf(base, port))
        env = dict(os.environ)
        env["OS_GLANCE_CONFIG_DIR"] = str(base)
        env["PYTHONPATH"] = str(HERE)
        env["PYTHONWARNINGS"] = "ignore"
        env.pop("VIRTUAL_ENV", None)
        began = time.monotonic()
        subprocess.run(
            [
                str(VENV / "bin" / "glance-manage"),
                "--config-file",
                str(base / "glance-api.conf"),
                "db_sync",
            ],
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        synced = time.monotonic()
        out = (base / "gunicorn.out").open("wb")
        process = subprocess.Popen(
            [
                str(VENV / "bin" / "gunicorn"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--worker-class",
                "gthread",
                "--timeout",
                "300",
                "glance.wsgi.api:application",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=base,
            start_new_session=True,
        )
        out.close()
        server = cls(base=base, port=port, process=process, db_sync_seconds=synced - began)
        server._wait_ready(synced)
        return server

    def _wait_ready(self, began: float) -> None:
        deadline = began + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"glance exited {self.process.returncode}: {self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/versions", timeout=2) as resp:
                    if resp.status == 200:
                        self.start_seconds = time.monotonic() - began
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"glance did not answer within {START_TIMEOUT:.0f} s: {self.output()}")

    def output(self) -> str:
        text = ""
        for name in ("gunicorn.out", "glance-api.log"):
            path = self.base / name
            if path.exists():
                text += path.read_text(errors="replace")[-4000:]
        return text

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)

    def __enter__(self) -> GlanceServer:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


if __name__ == "__main__":  # manual use: python tests/openstack/glance/server.py DIR
    import tempfile

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)  # `timeout` stops Glance too
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    with GlanceServer.start(folder) as glance:
        print(
            f"glance at {glance.url} (db_sync {glance.db_sync_seconds:.1f} s, "
            f"answering {glance.start_seconds:.1f} s after start); Ctrl-C stops",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            glance.process.wait()
