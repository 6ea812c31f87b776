"""`wincloud metadata serve` as a process under attack and operator mistakes: connection
floods at systemd's default open-file limit, ports it cannot bind, several workers."""

from __future__ import annotations

import json
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import instance_record
from tests.e2e.test_metadata_serve import free_port, wincloud


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'md.db'}"
    record = tmp_path / "vm.json"
    record.write_text(json.dumps(instance_record(fixed_ips=["127.0.0.1"], hostname="good-01")))
    done = wincloud("instance", "add", str(record), "--db", url)
    assert done.returncode == 0, done.stderr
    return url


def _limit_files(count: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (count, count))

    return apply


def _serve(db: str, port: int, config: Path, *extra: str, files: int | None = None):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wincloud",
            "metadata",
            "serve",
            "--db",
            db,
            "--listen",
            f"127.0.0.1:{port}",
            "--config",
            str(config),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_limit_files(files) if files else None,  # noqa: PLW1509 - test only
    )


def _wait_up(proc, port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "server did not come up in 30 s"
            time.sleep(0.05)


def _stop(proc) -> str:
    proc.terminate()
    _, err = proc.communicate(timeout=30)
    return err


def test_thousands_of_idle_and_slow_connections_starve_no_other_guest(db, tmp_path):
    """At systemd's default 1,024 open files, hostile guests open 3,000 idle connections from
    one address, 1,200 more from 40 others and 100 that trickle their headers; the instance
    at 127.0.0.1 is still answered, and the log holds a few lines, not a flood."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 20000)), hard))
    port = free_port()
    config = tmp_path / "md.toml"
    config.write_text('[metadata]\nheader_timeout = 2.0\naccess_log = "off"\n')
    proc = _serve(db, port, config, files=1024)
    hostile: list[socket.socket] = []
    try:
        _wait_up(proc, port)
        for n in range(3000):
            try:
                hostile.append(
                    socket.create_connection(
                        ("127.0.0.1", port), timeout=2, source_address=("127.0.0.2", 0)
                    )
                )
            except OSError:
                break
            if n % 500 == 0:
                time.sleep(0.05)
        for source in range(40):
            for _ in range(30):
                try:
                    hostile.append(
                        socket.create_connection(
                            ("127.0.0.1", port),
                            timeout=2,
                            source_address=(f"127.0.3.{source + 1}", 0),
                        )
                    )
                except OSError:
                    break
        slow = []
        for n in range(100):
            sock = socket.create_connection(
                ("127.0.0.1", port), timeout=2, source_address=(f"127.0.4.{n + 1}", 0)
            )
            sock.sendall(b"GET /latest/meta-data/hostname HTTP/1.1\r\n")
            slow.append(sock)
        answered = 0
        for _ in range(50):
            response = httpx.get(f"http://127.0.0.1:{port}/latest/meta-data/hostname", timeout=5)
            assert response.status_code == 200
            answered += response.text == "good-01"
        assert answered == 50
        for sock in slow:  # the trickling ones are cut off by the header timeout
            sock.settimeout(10)
            try:
                data = sock.recv(4096)
            except ConnectionResetError:
                data = b""
            assert data == b"" or data.startswith(b"HTTP/1.1 408")
    finally:
        for sock in hostile:
            sock.close()
        err = _stop(proc)
    assert "Traceback" not in err
    assert len(err.encode()) < 64 * 1024, f"{len(err)} bytes of log"
    refusals = [line for line in err.splitlines() if "connection refused" in line]
    assert 1 <= len(refusals) <= 20
    assert "file_limit=1024" in err


def test_a_port_in_use_is_one_error_line_with_a_hint(db, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = wincloud("metadata", "serve", "--db", db, "--listen", f"127.0.0.1:{port}")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "error[config-error]" in done.stderr and "--listen" in done.stderr
    assert "hint:" in done.stderr


def test_an_address_not_on_this_host_is_one_error_line_with_a_hint(db):
    done = wincloud("metadata", "serve", "--db", db, "--listen", "192.0.2.77:8775")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "ip addr add" in done.stderr


def test_a_missing_database_is_an_error_and_nothing_is_created(tmp_path):
    missing = tmp_path / "nowhere" / "md.db"
    done = wincloud("metadata", "serve", "--db", f"sqlite:///{missing}", "--listen", "127.0.0.1:0")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "--create" in done.stderr or "db init" in done.stderr
    assert not missing.parent.exists()


def test_two_workers_share_the_port_and_the_admin_sums_their_metrics(db, tmp_path):
    port, admin = free_port(), free_port()
    config = tmp_path / "md.toml"
    config.write_text(
        '[metadata]\naccess_log = "off"\nadmin_token = "0123456789abcdef0123"\n'
        f'admin_listen = "127.0.0.1:{admin}"\n'
    )
    proc = _serve(db, port, config, "--workers", "2")
    try:
        _wait_up(proc, port)
        for _ in range(40):
            with httpx.Client(timeout=5) as c:  # a new connection each: both workers get some
                assert c.get(f"http://127.0.0.1:{port}/latest/meta-data/hostname").text == "good-01"
        deadline = time.monotonic() + 10
        total = 0.0
        while time.monotonic() < deadline:
            metrics = httpx.get(f"http://127.0.0.1:{admin}/metrics", timeout=5).text
            total = sum(
                float(line.rsplit(" ", 1)[1])
                for line in metrics.splitlines()
                if line.startswith('wincloud_metadata_requests_total{api="ec2",status="200"}')
            )
            if total >= 40:
                break
            time.sleep(0.2)
        assert total == 40
    finally:
        err = _stop(proc)
    assert "Traceback" not in err


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def test_workers_do_not_outlive_a_killed_parent(db, tmp_path):
    port = free_port()
    config = tmp_path / "md.toml"
    config.write_text('[metadata]\naccess_log = "off"\n')
    proc = _serve(db, port, config, "--workers", "2")
    try:
        _wait_up(proc, port)
        deadline = time.monotonic() + 10
        while len(workers := _children(proc.pid)) < 2:
            assert time.monotonic() < deadline, "two workers did not start"
            time.sleep(0.1)
        proc.kill()
        proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while not all(_gone(pid) for pid in workers):
            assert time.monotonic() < deadline, "workers still alive 10 s after the parent died"
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_an_admin_port_in_use_with_workers_leaves_nothing_running(db, tmp_path):
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        done = wincloud(
            "metadata",
            "serve",
            "--db",
            db,
            "--listen",
            f"127.0.0.1:{port}",
            "--admin-listen",
            f"127.0.0.1:{busy}",
            "--workers",
            "2",
        )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
