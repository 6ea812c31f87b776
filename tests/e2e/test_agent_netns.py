"""The guest agent end to end, for real: ``wincloud metadata serve`` on 169.254.169.254 in
one network namespace, ``wincloud agent run`` in another (with its own UTS namespace and a
scratch root), joined by a veth pair; and the same from a config drive image with the
network down. Then the failure drills: server down, server answering garbage (bad JSON, half
a good tree, not HTTP), server never answering, a second boot, a new instance id.

With ``--root`` the POSIX platform writes the host name to ``<root>/etc/hostname`` and the
``127.0.1.1`` line of ``<root>/etc/hosts`` and leaves the kernel's name alone; the agent
runs under ``unshare --uts`` anyway, and the tests check that the name seen in that UTS
namespace, and the host's, did not change.
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import instance_record
from tests.e2e.agent_harness import (
    Boot,
    Guest,
    KeyPair,
    Service,
    build_drive,
    make_key,
)
from tests.e2e.netns import (
    GUEST_IP,
    METADATA_IP,
    PYTHON,
    NetNs,
    wait_for_line,
    why_not_possible,
)

pytestmark = pytest.mark.e2e

HERE = Path(__file__).resolve().parent
LATEST = f"http://{METADATA_IP}/openstack/latest"
SCRIPT = (
    '#!/bin/sh\necho "ran for $(cat "$WINCLOUD_ROOT/etc/hostname")" >> "$WINCLOUD_ROOT/tmp/ran"\n'
)
DRIVE_PASSWORD = "Drive-Pass-2026!"


@pytest.fixture(scope="module", autouse=True)
def _namespaces_possible() -> None:
    reason = why_not_possible()
    if reason is not None:
        pytest.skip(reason)


def record(key: KeyPair, hostname: str, *, admin_pass: str | None = None) -> dict:
    data = instance_record(
        uuid=str(uuid.uuid4()),
        name=hostname,
        hostname=f"{hostname}.example.org",
        fixed_ips=[GUEST_IP],
        public_keys={key.private.stem: key.public},
        user_data=SCRIPT,
    )
    data.pop("network_data")
    data.pop("admin_pass")
    if admin_pass is not None:
        data["admin_pass"] = admin_pass
    return data


@pytest.fixture
def service(netns: NetNs, tmp_path: Path) -> Iterator[Service]:
    folder = tmp_path / "server"
    folder.mkdir()
    yield Service(netns, f"sqlite:///{folder / 'metadata.db'}", folder)


@pytest.fixture
def guest(netns: NetNs, tmp_path: Path) -> Guest:
    return Guest(netns, tmp_path / "guest")


def assert_configured(guest: Guest, boot: Boot, key: KeyPair, hostname: str) -> None:
    assert boot.status == 0, boot.stdout + boot.log
    assert guest.file("/etc/hostname") == f"{hostname}\n"
    assert f"127.0.1.1\t{hostname}" in (guest.file("/etc/hosts") or "")
    assert boot.uts_hostname == socket.gethostname()  # --root: the kernel's name untouched
    passwd = guest.file("/etc/passwd") or ""
    assert "\ncloudadmin:x:" in passwd
    groups = [line.split(":") for line in (guest.file("/etc/group") or "").splitlines()]
    assert any(g[0] == "sudo" and "cloudadmin" in g[3].split(",") for g in groups)
    assert guest.file("/home/cloudadmin/.ssh/authorized_keys") == key.public + "\n"
    mode = (guest.root / "home/cloudadmin/.ssh/authorized_keys").stat().st_mode & 0o777
    assert mode == 0o600


def test_http_boot_applies_everything_and_posts_a_password_that_decrypts(service, guest, tmp_path):
    key = make_key(tmp_path, "alice")
    instance_id = service.add(record(key, "e2e-web-01"))
    service.start()
    guest.configure(["configdrive", "openstack_http"])
    host_name = socket.gethostname()

    boot = guest.boot()

    assert f"status=ok source=openstack_http instance_id={instance_id}" in boot.stdout
    assert_configured(guest, boot, key, "e2e-web-01")
    assert guest.file("/tmp/ran") == "ran for e2e-web-01\n"
    password = service.decrypt(key, instance_id)
    assert len(password) == 20
    assert guest.password_matches("cloudadmin", password)
    assert password not in boot.log
    assert password not in (guest.file("/var/log/wincloud/agent.log") or "")
    assert f"source selected name=openstack_http where=http://{METADATA_IP}" in boot.log
    assert socket.gethostname() == host_name


def test_config_drive_boot_with_the_network_down(netns, guest, tmp_path):
    key = make_key(tmp_path, "bob")
    data = record(key, "e2e-drive-01", admin_pass=DRIVE_PASSWORD)
    guest.drive = build_drive(data, tmp_path)
    netns.set_guest_link(False)
    guest.configure(["configdrive", "openstack_http"])

    boot = guest.boot()

    assert f"status=ok source=configdrive instance_id={data['uuid']}" in boot.stdout
    assert_configured(guest, boot, key, "e2e-drive-01")
    assert guest.file("/tmp/ran") == "ran for e2e-drive-01\n"
    assert guest.password_matches("cloudadmin", DRIVE_PASSWORD)
    assert DRIVE_PASSWORD not in boot.log


def test_server_down_at_boot_falls_back_to_the_config_drive(guest, tmp_path):
    key = make_key(tmp_path, "carol")
    data = record(key, "e2e-fallback-01", admin_pass=DRIVE_PASSWORD)
    guest.drive = build_drive(data, tmp_path)
    guest.configure(["openstack_http", "configdrive"])  # the service first: it is down

    boot = guest.boot()

    assert f"status=ok source=configdrive instance_id={data['uuid']}" in boot.stdout
    assert "source attempt name=openstack_http" in boot.log
    assert "result=unavailable" in boot.log
    assert_configured(guest, boot, key, "e2e-fallback-01")
    assert guest.password_matches("cloudadmin", DRIVE_PASSWORD)


def start_misbehaving_server(ns: NetNs, mode: str, data: dict, key: KeyPair, folder: Path) -> Path:
    """tests/e2e/garbage_server.py on 169.254.169.254:80 in the server's namespace; its log."""
    meta = folder / "meta_data.json"
    doc = {"uuid": data["uuid"], "hostname": data["hostname"], "public_keys": {"k": key.public}}
    meta.write_text(json.dumps(doc))
    log_path = folder / "garbage.log"
    with log_path.open("ab") as log:
        proc = ns.spawn(
            ns.server,
            [PYTHON, str(HERE / "garbage_server.py"), METADATA_IP, "80", mode, str(meta)],
            log=log,
        )
    wait_for_line(log_path, "listening", proc, within=20)
    return log_path


def assert_nothing_applied(guest: Guest, passwd_before: str | None) -> None:
    assert guest.file("/etc/hostname") is None
    assert guest.file("/etc/passwd") == passwd_before
    assert not (guest.root / "home/cloudadmin").exists()
    assert guest.file("/tmp/ran") is None
    assert (guest.state() or {}).get("instance_id") is None


@pytest.mark.parametrize(
    ("mode", "result", "reason"),
    [
        ("junk", "invalid", f"not valid JSON (UnicodeDecodeError): {LATEST}/meta_data.json"),
        ("half", "invalid", f"not valid JSON (UnicodeDecodeError): {LATEST}/network_data.json"),
        ("raw", "unavailable", "request failed"),
    ],
)
def test_a_server_answering_garbage_is_a_clear_error_and_nothing_is_applied(
    netns, guest, tmp_path, mode, result, reason
):
    key = make_key(tmp_path, "dave")
    log_path = start_misbehaving_server(netns, mode, record(key, "e2e-garbage-01"), key, tmp_path)
    guest.configure(["openstack_http"])
    passwd_before = guest.file("/etc/passwd")

    boot = guest.boot()

    assert boot.status == 3, boot.stdout + boot.log
    assert "status=no_metadata" in boot.stdout
    assert (
        f"source attempt name=openstack_http where=http://{METADATA_IP} result={result}" in boot.log
    )
    assert reason in boot.log
    assert_nothing_applied(guest, passwd_before)
    assert "garbage" in log_path.read_text()  # the agent did talk to it


def test_a_server_that_never_answers_costs_bounded_time_then_the_drive_is_used(
    netns, guest, tmp_path
):
    key = make_key(tmp_path, "heidi")
    data = record(key, "e2e-silent-01", admin_pass=DRIVE_PASSWORD)
    start_misbehaving_server(netns, "silent", data, key, tmp_path)
    guest.drive = build_drive(data, tmp_path)
    guest.configure(["openstack_http", "configdrive"], timeout=1.0)

    boot = guest.boot()  # bounded by AGENT_TIMEOUT: a hang fails the test

    assert f"status=ok source=configdrive instance_id={data['uuid']}" in boot.stdout
    assert "result=unavailable" in boot.log and "timed out after 1 s" in boot.log
    assert_configured(guest, boot, key, "e2e-silent-01")


def test_a_second_boot_applies_nothing_again(service, guest, tmp_path):
    key = make_key(tmp_path, "erin")
    instance_id = service.add(record(key, "e2e-again-01"))
    service.start()
    guest.configure(["openstack_http"])
    first = guest.boot()
    assert first.status == 0, first.stdout + first.log
    password = service.decrypt(key, instance_id)
    shadow = guest.file("/etc/shadow")

    second = guest.boot()

    assert second.status == 0, second.stdout + second.log
    outcomes = [line.split(": ")[1] for line in second.stdout.splitlines()[1:]]
    assert outcomes == ["already-done"] * 5
    assert guest.file("/tmp/ran") == "ran for e2e-again-01\n"  # the script ran once
    assert guest.file("/etc/shadow") == shadow
    assert service.decrypt(key, instance_id) == password
    assert "new instance" not in second.log


def test_a_new_instance_id_applies_everything_again(service, guest, tmp_path):
    old_key, new_key = make_key(tmp_path, "frank"), make_key(tmp_path, "grace")
    old_id = service.add(record(old_key, "e2e-old-01"))
    service.start()
    guest.configure(["openstack_http"])
    assert guest.boot().status == 0
    old_password = service.decrypt(old_key, old_id)
    service.remove(old_id)  # the image is cloned into a new instance on the same address
    new_id = service.add(record(new_key, "e2e-new-01"))

    boot = guest.boot()

    assert f"new instance id={new_id} previous={old_id}" in boot.log
    assert_configured(guest, boot, new_key, "e2e-new-01")
    assert guest.file("/tmp/ran") == "ran for e2e-old-01\nran for e2e-new-01\n"
    new_password = service.decrypt(new_key, new_id)
    assert new_password != old_password
    assert guest.password_matches("cloudadmin", new_password)
    assert (guest.state() or {})["instance_id"] == new_id
