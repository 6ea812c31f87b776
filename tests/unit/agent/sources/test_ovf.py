"""The OVF environment (ovf-env.xml) on an ``OVF ENV`` drive."""

from pathlib import Path

import pytest

from wincloud.agent.sources.ovf import OvfSource, parse_ovf
from wincloud.agent.tree import DirTree, MemoryTree
from wincloud.errors import InvalidMetadata

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures/sources/ovf"
HEAD = b'<Environment xmlns="http://schemas.dmtf.org/ovf/environment/1" '
HEAD += b'xmlns:oe="http://schemas.dmtf.org/ovf/environment/1">'


def env(body: bytes) -> MemoryTree:
    return MemoryTree({"ovf-env.xml": HEAD + body + b"</Environment>"})


def test_ovf_environment_maps_into_the_model():
    md = parse_ovf(DirTree(FIXTURE), source="ovf")
    assert (md.instance_id, md.hostname, md.source) == ("ovf-4e1d9c2a", "win-ovf-01", "ovf")
    assert list(md.public_keys.values()) == [
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFixtureKeyOne one@example"
    ]
    assert md.admin_pass is not None and md.admin_pass.reveal() == "Ovf-Pass-2026!"
    assert md.user_data == b"#cloud-config\ntimezone: Europe/Paris\n"
    assert md.meta == {"admin_username": "cloudadmin"}


def test_defaults_and_repeated_public_keys():
    tree = env(
        b"<PropertySection>"
        b'<Property oe:key="public-keys" oe:value="k1&#10;k2"/>'
        b'<Property oe:key="public-keys" oe:value="k3"/>'
        b'<Property oe:key="local-hostname" oe:value="h"/>'
        b"</PropertySection>"
    )
    md = parse_ovf(tree, source="ovf")
    assert (md.instance_id, md.hostname) == ("iid-ovf", "h")
    assert list(md.public_keys.values()) == ["k1", "k2", "k3"]


@pytest.mark.parametrize(
    "raw",
    [
        b"not xml",
        b"<Other/>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Environment/>',
        HEAD + b'<PropertySection><Property oe:key="user-data" oe:value="!!"/>'
        b"</PropertySection></Environment>",
        HEAD
        + b"<PropertySection>"
        + b'<Property oe:key="k" oe:value="v"/>' * 1100
        + b"</PropertySection></Environment>",
        b" " * (5 << 20),
    ],
)
def test_hostile_environment_is_invalid(raw):
    with pytest.raises(InvalidMetadata):
        parse_ovf(MemoryTree({"ovf-env.xml": raw}), source="ovf")


def test_ovf_drive_is_found_by_label(make_deps, platform, tmp_path):
    image = tmp_path / "ovf.iso"
    image.write_bytes(b"iso")
    platform.volumes.labelled["OVF ENV"] = image
    raw = (FIXTURE / "ovf-env.xml").read_bytes()
    source = OvfSource(make_deps(read_drive=lambda path: {"ovf-env.xml": raw}))
    assert source.probe() is True
    assert source.load().instance_id == "ovf-4e1d9c2a"


def test_no_ovf_drive_is_absent(make_deps):
    assert OvfSource(make_deps()).probe() is False
