"""The operator commands on a real boot: ``wincloud agent run`` in the guest namespace against
``wincloud metadata serve``, then ``status``, ``query``, ``collect-logs`` and ``clean`` as an
operator (or an image builder) would run them on that root."""

from __future__ import annotations

import json
import tarfile
import uuid
from pathlib import Path

import pytest

from tests.conftest import instance_record
from tests.e2e.agent_harness import Guest, Service, make_key, wincloud
from tests.e2e.netns import GUEST_IP, NetNs, why_not_possible

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def _namespaces_possible() -> None:
    reason = why_not_possible()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture
def service(netns: NetNs, tmp_path: Path):
    folder = tmp_path / "server"
    folder.mkdir()
    yield Service(netns, f"sqlite:///{folder / 'metadata.db'}", folder)


def test_status_query_collect_and_clean_after_a_real_boot(netns, service, tmp_path):
    key = make_key(tmp_path, "ops")
    data = instance_record(
        uuid=str(uuid.uuid4()),
        name="e2e-ops-01",
        hostname="e2e-ops-01.example.org",
        fixed_ips=[GUEST_IP],
        public_keys={key.private.stem: key.public},
        user_data="#!/bin/sh\necho secret-user-data-token >/dev/null\n",
    )
    data.pop("network_data")
    data.pop("admin_pass")
    instance_id = service.add(data)
    service.start()
    guest = Guest(netns, tmp_path / "guest")
    guest.configure(["configdrive", "openstack_http"])
    assert guest.boot().status == 0
    root = str(guest.root)

    status = wincloud("agent", "status", "--root", root, "--json")
    assert status.returncode == 0, status.stderr
    doc = json.loads(status.stdout)
    assert (doc["status"], doc["instance_id"]) == ("done", instance_id)
    assert doc["last_run"]["plugins"]["password"]["outcome"] == "done"
    assert doc["last_run"]["source"] == "openstack_http"

    assert wincloud("agent", "query", "hostname", "--root", root).stdout == (
        "e2e-ops-01.example.org\n"
    )
    shown = wincloud("agent", "query", "--root", root).stdout
    assert "secret-user-data-token" not in shown

    bundle = tmp_path / "logs.tar.gz"
    collected = wincloud("agent", "collect-logs", "--out", str(bundle), "--root", root)
    assert collected.returncode == 0, collected.stderr
    with tarfile.open(bundle) as tar:
        content = b"".join(tar.extractfile(m).read() for m in tar.getmembers())
    assert b"secret-user-data-token" not in content
    assert b"source selected name=openstack_http" in content

    cleaned = wincloud("agent", "clean", "--root", root, "--logs")
    assert cleaned.returncode == 0, cleaned.stderr
    assert wincloud("agent", "status", "--root", root).stdout == "status: not-run\n"
    again = guest.boot()
    assert again.status == 0
    assert "hostname: done" in again.stdout  # configured again, not "already-done"
    assert "password: skipped" in again.stdout  # the service keeps the first password
