"""The renderer against Nova 34's own output (../shared/reference/nova-34)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import instance_record
from wincloud.model import parse_instance
from wincloud.tree import render_drive, render_http

NOVA = Path(__file__).resolve().parents[4] / "shared" / "reference" / "nova-34"
pytestmark = pytest.mark.skipif(not NOVA.is_dir(), reason=f"Nova reference tree not at {NOVA}")


def nova_files() -> dict[str, bytes]:
    return {
        str(p.relative_to(NOVA)): p.read_bytes()
        for p in NOVA.rglob("*")
        if p.is_file() and p.parent != NOVA
    }


def like_nova_sample():
    """The sample instance Nova rendered: one key, user data, one injected file, no networks."""
    return parse_instance(
        instance_record(
            uuid="b65cee2f-8c69-4aeb-be2f-f79742548fc2",
            name="my_displayname",
            hostname="test.novalocal",
            fixed_ips=[],
            macs=[],
            public_ipv4=None,
            public_keys={"key": "ssh-rsa AAAAB3Nzai....N3NtHw== someuser@somehost"},
            meta={"windows_product_key": "XXXXX-XXXXX-XXXXX-XXXXX-XXXXX"},
            user_data="This is an encoded string",
            network_data=None,
            vendor_data={},
            admin_pass="S3cret!",
            project_id="test",
            launch_index=1,
            availability_zone="fake-az",
            random_seed="c2VlZA==",
            instance_type="m1.small",
            root_device_name="/dev/sda1",
            files=[{"path": "/etc/motd", "content": "hello"}],
            devices=[{"type": "nic", "mac": "00:00:00:00:00:00", "bus": "pci"}],
        )
    )


def test_drive_has_exactly_novas_paths():
    assert sorted(render_drive(like_nova_sample())) == sorted(nova_files())


@pytest.mark.parametrize("path", sorted(p for p in nova_files() if p.endswith("meta_data.json")))
def test_openstack_meta_data_has_novas_fields_in_order(path):
    ours = json.loads(render_drive(like_nova_sample())[path])
    theirs = json.loads(nova_files()[path])
    assert list(ours) == list(theirs)
    for field in ("uuid", "meta", "files", "admin_pass", "public_keys", "hostname", "name"):
        assert ours[field] == theirs[field], field


@pytest.mark.parametrize("path", ["ec2/2009-04-04/meta-data.json", "ec2/latest/meta-data.json"])
def test_ec2_meta_data_matches_nova(path):
    ours = json.loads(render_drive(like_nova_sample())[path])
    theirs = json.loads(nova_files()[path])
    assert list(ours) == list(theirs)
    for field in ("hostname", "public-keys", "block-device-mapping", "placement", "public-ipv4"):
        assert ours[field] == theirs[field], field


@pytest.mark.parametrize(
    "path",
    [
        "openstack/latest/network_data.json",
        "openstack/latest/vendor_data.json",
        "openstack/latest/vendor_data2.json",
        "openstack/latest/user_data",
        "openstack/content/0000",
        "ec2/latest/user-data",
    ],
)
def test_other_files_are_byte_identical(path):
    assert json_or_bytes(render_drive(like_nova_sample())[path]) == json_or_bytes(
        nova_files()[path]
    )


def json_or_bytes(data: bytes):
    try:
        return json.loads(data)
    except ValueError:
        return data


@pytest.mark.parametrize(
    ("url", "http_path"),
    [("/", ""), ("/openstack", "openstack"), ("/openstack/latest", "openstack/latest")],
)
def test_http_listings_match_novas_views(url, http_path):
    views = json.loads((NOVA / "http-views.json").read_text())
    expected = json.loads(views[url])
    assert render_http(like_nova_sample())[http_path].decode().split("\n") == expected


def test_http_ec2_meta_data_listing_matches_novas_keys():
    views = json.loads((NOVA / "http-views.json").read_text())
    expected = json.loads(views["/latest/meta-data/"])
    listing = render_http(like_nova_sample())["latest/meta-data"].decode().split("\n")
    want = sorted(k + "/" if isinstance(v, dict) else k for k, v in expected.items())
    assert listing == want
