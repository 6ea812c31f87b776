"""Whole boots with the real plugins: over HTTP against a loopback service on the fake
platform, and from a real config drive image on the POSIX platform (a tmp root)."""

from __future__ import annotations

import base64

import msgspec
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.unit.platform.conftest import can_manage_users, make_root
from wincloud.agent.config import AgentConfig, LogConfig
from wincloud.agent.logsetup import Redactor, setup_logging
from wincloud.agent.run import Agent, ExitStatus
from wincloud.secret import Secret
from wincloud.tree import render_drive, render_http

from .mdserver import serve


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def keyed_instance(make_instance, rsa_key):
    public = rsa_key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return make_instance(
        public_keys={"mykey": public.decode() + " me@host"},
        user_data='#!/bin/sh\necho from-user-data > "$WINCLOUD_ROOT/tmp/ran"\n',
    )


@pytest.fixture
def logged(tmp_path):
    redactor = Redactor()
    path = tmp_path / "agent.log"
    setup = setup_logging(LogConfig(file=str(path), console=False), redactor)
    yield redactor, path
    setup.close()


def test_http_boot_generates_posts_and_sets_the_password(platform, keyed_instance, rsa_key, logged):
    redactor, log_path = logged
    with serve(render_http(keyed_instance)) as running:
        config = AgentConfig(sources=["configdrive", "openstack_http"])
        config = msgspec.structs.replace(
            config, openstack_http=msgspec.structs.replace(config.openstack_http, url=running.url)
        )
        report = Agent(config, platform, register_secret=redactor.add).run()
        posted = running.behaviour.password
    assert report.status is ExitStatus.OK, report
    assert report.source == "openstack_http"
    plain = rsa_key.decrypt(base64.b64decode(posted), padding.PKCS1v15()).decode()
    assert platform.users.users["admin"].password == Secret(plain)
    assert platform.host.hostname() == keyed_instance.hostname
    assert platform.files.read("/home/admin/.ssh/authorized_keys")
    log_text = log_path.read_text()
    assert plain not in log_text
    assert "source selected name=openstack_http" in log_text
    assert "plugin finished name=password stage=main outcome=done" in log_text


@pytest.mark.skipif(not can_manage_users(), reason="needs root and the shadow tools")
def test_config_drive_boot_on_a_posix_root(keyed_instance, tmp_path, logged):
    configdrive = pytest.importorskip("wincloud.configdrive")
    from wincloud.platform.posix import posix_platform

    redactor, log_path = logged
    root = make_root(tmp_path / "root")
    (root / "tmp").mkdir()
    (root / "dev/disk/by-label").mkdir(parents=True)
    configdrive.build_drive(render_drive(keyed_instance), root / "dev/sr0")
    (root / "dev/disk/by-label/config-2").symlink_to("../../sr0")
    platform = posix_platform(root)
    config = AgentConfig(sources=["configdrive"])

    report = Agent(config, platform, register_secret=redactor.add).run()

    assert report.status is ExitStatus.OK, report
    assert (root / "etc/hostname").read_text() == keyed_instance.hostname + "\n"
    assert "admin:" in (root / "etc/passwd").read_text()
    assert "sudo:x:27:admin" in (root / "etc/group").read_text()
    assert (root / "home/admin/.ssh/authorized_keys").read_text().startswith("ssh-rsa ")
    assert (root / "tmp/ran").read_text() == "from-user-data\n"
    given = keyed_instance.admin_pass.get_secret_value()
    shadow = (root / "etc/shadow").read_text()
    assert "admin:$6$" in shadow
    assert given not in log_path.read_text()

    (root / "tmp/ran").unlink()
    again = Agent(config, platform).run()
    per_boot = {"extend_volumes", "local_scripts"}  # they run at every boot by design
    assert {v for k, v in again.outcomes.items() if k not in per_boot} == {"already-done"}
    assert not (root / "tmp/ran").exists()
