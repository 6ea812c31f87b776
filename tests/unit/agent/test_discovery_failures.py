"""A source that fails in any way costs that source only: the next configured one is tried.

The HTTP source here is served by an httpx.MockTransport over a minimal OpenStack tree, so
these tests need neither the server nor the instance model."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from tests.unit.configdrive.samples import small_drive
from wincloud.agent.config import AgentConfig
from wincloud.agent.discovery import discover
from wincloud.agent.http import create_client
from wincloud.agent.retry import Backoff
from wincloud.agent.run import Agent, ExitStatus
from wincloud.configdrive import DriveFormat, build_drive
from wincloud.errors import MetadataNotFound

from .conftest import with_section

HTTP_UUID = "11111111-2222-4333-8444-555555555555"
URL = "http://md.test"


def http_tree(meta: dict | None = None, **extra: bytes) -> dict[str, bytes]:
    doc = meta or {"uuid": HTTP_UUID, "hostname": "from-http"}
    return {
        "/openstack": b"latest\n",
        "/openstack/latest/meta_data.json": json.dumps(doc).encode(),
        **extra,
    }


def client_for(files: dict[str, bytes]) -> httpx.Client:
    def answer(request: httpx.Request) -> httpx.Response:
        body = files.get(request.url.path)
        return httpx.Response(200, content=body) if body is not None else httpx.Response(404)

    return create_client(transport=httpx.MockTransport(answer))


def config_with_drive(drive) -> AgentConfig:
    config = AgentConfig(sources=["configdrive", "openstack_http"], plugins=["hostname"])
    config = with_section(config, "configdrive", paths=[str(drive)])
    return with_section(config, "openstack_http", url=URL, timeout=2)


def damaged_iso(tmp_path) -> object:
    """Our builder's drive with the corruption that once made pycdlib raise AttributeError
    (seed 335 of tests/unit/configdrive/test_iso_hostile.py's mutation)."""
    from tests.unit.configdrive.test_iso_hostile import mutate

    good = tmp_path / "good.iso"
    build_drive(small_drive(), good, fmt=DriveFormat.ISO)
    bad = tmp_path / "damaged.iso"
    bad.write_bytes(mutate(good.read_bytes(), 335))
    return bad


def run_agent(config, platform, files):
    client = client_for(files)
    try:
        return Agent(config, platform, http=lambda: client, sleep=lambda s: None).run()
    finally:
        client.close()


def test_a_damaged_iso_drive_falls_through_to_http(tmp_path, platform, caplog):
    with caplog.at_level(logging.INFO, logger="wincloud"):
        report = run_agent(config_with_drive(damaged_iso(tmp_path)), platform, http_tree())
    assert report.status is ExitStatus.OK
    assert (report.source, report.instance_id) == ("openstack_http", HTTP_UUID)
    assert platform.host.hostname() == "from-http"
    assert "name=configdrive" in caplog.text and "result=unavailable" in caplog.text


@pytest.mark.parametrize("document", ["meta_data.json", "network_data.json"])
def test_deeply_nested_json_on_the_drive_falls_through_to_http(
    tmp_path, platform, caplog, document
):
    files = small_drive()
    files[f"openstack/latest/{document}"] = (
        b'{"uuid": "x", "a": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    )
    drive = tmp_path / "nested.iso"
    build_drive(files, drive, fmt=DriveFormat.ISO)
    with caplog.at_level(logging.INFO, logger="wincloud"):
        report = run_agent(config_with_drive(drive), platform, http_tree())
    assert report.source == "openstack_http"
    assert "result=invalid" in caplog.text
    assert "nested deeper than" in caplog.text


def test_json_nested_just_within_the_limit_is_read(tmp_path, platform):
    files = small_drive()
    meta = json.loads(files["openstack/latest/meta_data.json"])
    meta["meta"] = {}
    nested: list = []
    for _ in range(50):
        nested = [nested]
    files["openstack/latest/vendor_data.json"] = json.dumps({"deep": nested}).encode()
    files["openstack/latest/meta_data.json"] = json.dumps(meta).encode()
    drive = tmp_path / "ok.iso"
    build_drive(files, drive, fmt=DriveFormat.ISO)
    report = run_agent(config_with_drive(drive), platform, http_tree())
    assert report.source == "configdrive"


class Exploding:
    """A source with a bug: its load raises something no layer translated."""

    name = "exploding"
    where = "nowhere"

    def probe(self) -> bool:
        return True

    def load(self):
        raise KeyError("uuid")

    def password_sink(self):
        return None

    def report_sink(self):
        return None


def test_an_unexpected_exception_is_a_source_failure_logged_once(make_deps, caplog):
    from wincloud.agent.sources import create_source

    deps = make_deps(with_section(AgentConfig(), "openstack_http", url=URL, timeout=2))
    client = client_for(http_tree())
    deps = type(deps)(config=deps.config, platform=deps.platform, http=lambda: client)

    def make(name):
        return Exploding() if name == "exploding" else create_source(name, deps)

    with caplog.at_level(logging.INFO, logger="wincloud"):
        found = discover(
            ["exploding", "openstack_http"], make, Backoff(3, 1, 10), sleep=lambda s: None
        )
    client.close()
    assert found.source.name == "openstack_http"
    assert [(a.source, a.result) for a in found.attempts] == [
        ("exploding", "failed"),
        ("openstack_http", "selected"),
    ]
    lines = [r for r in caplog.records if "name=exploding" in r.getMessage()]
    assert len(lines) == 1
    assert "unexpected KeyError" in lines[0].getMessage()
    assert lines[0].exc_info is None and "Traceback" not in caplog.text


def test_when_every_source_fails_unexpectedly_it_is_no_metadata(caplog):
    with pytest.raises(MetadataNotFound) as caught:
        discover(["exploding"], lambda n: Exploding(), Backoff(1, 0, 0), sleep=lambda s: None)
    assert caught.value.attempts == [("exploding", "failed: unexpected KeyError ('uuid')")]


def test_a_dotdot_in_one_injected_file_skips_that_file_only(tmp_path, platform, caplog):
    files = small_drive()
    meta = json.loads(files["openstack/latest/meta_data.json"])
    meta["files"] = [
        {"path": "/etc/motd", "content_path": "/content/0000"},
        {"path": "/etc/evil", "content_path": "/content/../latest/meta_data.json"},
        {"path": "/etc/../root/x", "content_path": "/content/0000"},
    ]
    files["openstack/latest/meta_data.json"] = json.dumps(meta).encode()
    drive = tmp_path / "dots.iso"
    build_drive(files, drive, fmt=DriveFormat.ISO)
    from wincloud.agent.sources._openstack import parse_openstack
    from wincloud.agent.tree import DriveTree

    with caplog.at_level(logging.WARNING, logger="wincloud"):
        md = parse_openstack(DriveTree(drive), source="configdrive")
    assert dict(md.files) == {"/etc/motd": b"hello\n"}
    assert caplog.text.count("injected file skipped") == 2
