"""`wincloud metadata serve` as a user runs it: a real process, real sockets, a SQLite file."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import instance_record


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wincloud(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wincloud", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        **kwargs,
    )


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'md.db'}"
    record = tmp_path / "vm.json"
    import json

    record.write_text(json.dumps(instance_record(fixed_ips=["127.0.0.1"], hostname="served-01")))
    done = wincloud("instance", "add", str(record), "--db", url)
    assert done.returncode == 0, done.stderr
    return url


def test_serve_answers_and_stops_cleanly_on_sigint(db, tmp_path):
    port, admin = free_port(), free_port()
    config = tmp_path / "md.toml"
    config.write_text('[metadata]\nadmin_token = "0123456789abcdef0123"\n')
    proc = subprocess.Popen(
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
            "--admin-listen",
            f"127.0.0.1:{admin}",
            "--config",
            str(config),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/latest/meta-data/hostname", timeout=2
                )
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline, "server did not come up in 30 s"
                time.sleep(0.1)
        assert response.text == "served-01"
        listed = httpx.get(
            f"http://127.0.0.1:{admin}/v1/instances",
            headers={"Authorization": "Bearer 0123456789abcdef0123"},
            timeout=5,
        )
        assert [i["hostname"] for i in listed.json()] == ["served-01"]
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "access client=127.0.0.1 method=GET path=/latest/meta-data/hostname status=200" in err
    assert "S3cret-Admin!" not in err


def test_serve_with_an_unreachable_database_fails_with_one_line(tmp_path):
    done = wincloud(
        "metadata",
        "serve",
        "--db",
        "postgresql+psycopg://u:pw@127.0.0.1:1/none",
        "--listen",
        f"127.0.0.1:{free_port()}",
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error[store-error]:")
    assert "Traceback" not in done.stderr
    assert ":pw@" not in done.stderr


def test_serve_with_a_bad_listen_address_is_a_config_error(db):
    done = wincloud("metadata", "serve", "--db", db, "--listen", "nowhere")
    assert done.returncode == 2
    assert "error[config-error]" in done.stderr
    assert "--listen" in done.stderr
