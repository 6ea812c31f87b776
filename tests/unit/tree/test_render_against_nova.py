"""The renderer against Nova 34's own output (tests/fixtures/nova-34, see its README).

The record is copied from Nova's own files, the way an operator moving an instance off Nova
would write it; our drive must then be Nova's drive byte for byte. Nova's tree has three
things no record can reproduce, and the comparison adjusts for exactly those:

* its key is a test placeholder (``ssh-rsa AAAAB3Nzai....N3NtHw==``, key-pair type
  ``fake_type``): both become a real RSA key of type ``ssh``;
* ``random_seed`` is random per run and per version: each becomes the record's seed;
* EC2 ``instance-id`` and ``reservation-id`` come from Nova's database ids: they become ours
  (derived from the uuid).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RSA_KEY
from wincloud.model import Instance, parse_instance
from wincloud.tree import render_drive, render_http

NOVA = Path(__file__).resolve().parents[2] / "fixtures" / "nova-34"
NOVA_KEY = "ssh-rsa AAAAB3Nzai....N3NtHw== someuser@somehost"
SEED = "c2VlZCBvZiB0aGUgcmVjb3Jk"


def test_the_reference_tree_is_in_the_repo():
    assert (NOVA / "openstack" / "latest" / "meta_data.json").is_file()


def raw_nova_files() -> dict[str, bytes]:
    return {
        p.relative_to(NOVA).as_posix(): p.read_bytes()
        for top in ("openstack", "ec2")
        for p in sorted((NOVA / top).rglob("*"))
        if p.is_file()
    }


def record_from_nova() -> dict[str, Any]:
    """A record written from what Nova serves, field by field."""
    latest = NOVA / "openstack" / "latest"
    md = json.loads((latest / "meta_data.json").read_text())
    ec2 = json.loads((NOVA / "ec2" / "latest" / "meta-data.json").read_text())
    network = json.loads((latest / "network_data.json").read_text())
    return {
        "uuid": md["uuid"],
        "name": md["name"],
        "hostname": md["hostname"],
        "project_id": md["project_id"],
        "availability_zone": md["availability_zone"],
        "launch_index": md["launch_index"],
        "public_keys": {name: RSA_KEY for name in md["public_keys"]},
        "meta": md["meta"],
        "user_data": (latest / "user_data").read_text(),
        "admin_pass": md["admin_pass"],
        "random_seed": SEED,
        "devices": md["devices"],
        "dedicated_cpus": md["dedicated_cpus"],
        "vendor_data": json.loads((latest / "vendor_data.json").read_text()),
        "network_data": network or None,
        "files": [
            {"path": f["path"], "content": (NOVA / "openstack" / f["content_path"][1:]).read_text()}
            for f in md["files"]
        ],
        "image_id": ec2["ami-id"],
        "instance_type": ec2["instance-type"],
        "root_device_name": ec2["block-device-mapping"]["root"],
        "security_groups": ec2["security-groups"],
    }


def from_nova() -> Instance:
    return parse_instance(record_from_nova())


def nova_files(instance: Instance) -> dict[str, bytes]:
    """Nova's files with the three adjustments the module docstring lists."""
    out = {}
    for path, data in raw_nova_files().items():
        text = data.decode()
        text = text.replace(NOVA_KEY, RSA_KEY).replace('"fake_type"', '"ssh"')
        text = re.sub(r'"random_seed": "[^"]*"', f'"random_seed": "{SEED}"', text)
        text = text.replace('"i-00000001"', json.dumps(instance.ec2_id))
        text = text.replace('"r-xxxxxxxx"', json.dumps(instance.reservation_id))
        out[path] = text.encode()
    return out


def test_drive_has_exactly_novas_paths():
    assert sorted(render_drive(from_nova())) == sorted(raw_nova_files())


@pytest.mark.parametrize("path", sorted(raw_nova_files()))
def test_record_copied_from_nova_gives_novas_drive_byte_for_byte(path):
    instance = from_nova()
    assert render_drive(instance)[path] == nova_files(instance)[path]


@pytest.mark.parametrize(
    ("version", "macs"),
    [
        ("2016-06-30", ["00:00:00:00:00:00", "00:11:22:33:44:55"]),
        ("2017-02-22", ["00:00:00:00:00:00", "e3:a0:d0:12:c5:10", "00:11:22:33:44:55"]),
    ],
)
def test_a_nic_without_tags_appears_once_nova_shows_its_vlan(version, macs):
    md = json.loads(render_drive(from_nova())[f"openstack/{version}/meta_data.json"])
    assert [d["mac"] for d in md["devices"] if d["type"] == "nic"] == macs


def test_the_record_round_trips_through_its_document():
    instance = from_nova()
    again = parse_instance(json.loads(json.dumps(instance.to_document())))
    assert render_drive(again) == render_drive(instance)


@pytest.mark.parametrize(
    ("url", "http_path"),
    [("/", ""), ("/openstack", "openstack"), ("/openstack/latest", "openstack/latest")],
)
def test_http_listings_match_novas_views(url, http_path):
    views = json.loads((NOVA / "http-views.json").read_text())
    expected = json.loads(views[url])
    assert render_http(from_nova())[http_path].decode().split("\n") == expected


def test_http_ec2_meta_data_listing_matches_novas_keys():
    views = json.loads((NOVA / "http-views.json").read_text())
    expected = json.loads(views["/latest/meta-data/"])
    listing = render_http(from_nova())["latest/meta-data"].decode().split("\n")
    want = sorted(k + "/" if isinstance(v, dict) else k for k, v in expected.items())
    assert listing == want


def test_http_public_keys_listing_matches_novas():
    views = json.loads((NOVA / "http-views.json").read_text())
    expected = json.loads(views["/2009-04-04/meta-data/public-keys/"])
    tree = render_http(from_nova())
    assert tree["2009-04-04/meta-data/public-keys"].decode() == expected["0"]["_name"]
    assert tree["2009-04-04/meta-data/public-keys/0/openssh-key"] == RSA_KEY.encode()
