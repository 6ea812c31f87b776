"""Renderer behaviour: versions, optional files, listings, drive-only fields."""

from __future__ import annotations

import json

import pytest

from wincloud.tree import EC2_VERSIONS, OPENSTACK_VERSIONS, render_drive, render_http

OS_ALL = [*OPENSTACK_VERSIONS, "latest"]
EC2_ALL = [*EC2_VERSIONS, "latest"]


@pytest.mark.parametrize("version", OS_ALL)
def test_http_meta_data_never_holds_admin_pass_or_files(instance, version):
    md = json.loads(render_http(instance)[f"openstack/{version}/meta_data.json"])
    assert "admin_pass" not in md
    assert "files" not in md
    assert md["uuid"] == instance.uuid


@pytest.mark.parametrize("version", OS_ALL)
def test_drive_meta_data_holds_admin_pass_and_files(instance, version):
    md = json.loads(render_drive(instance)[f"openstack/{version}/meta_data.json"])
    assert md["admin_pass"] == "S3cret-Admin!"
    assert md["files"] == [{"path": "/etc/motd", "content_path": "/content/0000"}]


@pytest.mark.parametrize(
    ("version", "present"),
    [
        ("2012-08-10", {"meta_data.json", "user_data"}),
        ("2013-04-04", {"meta_data.json", "user_data", "password"}),
        ("2013-10-17", {"meta_data.json", "user_data", "password", "vendor_data.json"}),
        (
            "2015-10-15",
            {"meta_data.json", "user_data", "password", "vendor_data.json", "network_data.json"},
        ),
        (
            "2016-10-06",
            {
                "meta_data.json",
                "user_data",
                "password",
                "vendor_data.json",
                "network_data.json",
                "vendor_data2.json",
            },
        ),
    ],
)
def test_each_openstack_version_lists_the_files_it_introduced(instance, version, present):
    tree = render_http(instance)
    assert set(tree[f"openstack/{version}"].decode().split("\n")) == present
    for name in present - {"password"}:
        assert f"openstack/{version}/{name}" in tree
    absent = {"vendor_data.json", "network_data.json", "vendor_data2.json"} - present
    for name in absent:
        assert f"openstack/{version}/{name}" not in tree


def test_no_user_data_means_no_user_data_paths(make_instance):
    inst = make_instance(user_data=None)
    tree, drive = render_http(inst), render_drive(inst)
    assert "openstack/latest/user_data" not in tree
    assert "latest/user-data" not in tree
    assert tree["latest"] == b"meta-data/"
    assert not any(p.endswith(("user_data", "user-data")) for p in drive)


def test_user_data_is_served_byte_for_byte(make_instance):
    payload = bytes(range(256)) * 4
    import base64

    inst = make_instance(user_data=None, user_data_base64=base64.b64encode(payload).decode())
    assert render_http(inst)["openstack/latest/user_data"] == payload
    assert render_http(inst)["2009-04-04/user-data"] == payload
    assert render_drive(inst)["ec2/latest/user-data"] == payload


@pytest.mark.parametrize(
    ("version", "field"),
    [
        ("2013-04-04", "random_seed"),
        ("2015-10-15", "project_id"),
        ("2016-06-30", "devices"),
        ("2020-10-14", "dedicated_cpus"),
    ],
)
def test_fields_appear_from_the_version_that_introduced_them(make_instance, version, field):
    inst = make_instance(random_seed="c2VlZA==")
    tree = render_http(inst)
    index = OS_ALL.index(version)
    before = json.loads(tree[f"openstack/{OS_ALL[index - 1]}/meta_data.json"])
    at = json.loads(tree[f"openstack/{version}/meta_data.json"])
    assert field not in before
    assert field in at


def test_network_data_is_served_as_given(instance):
    nd = json.loads(render_http(instance)["openstack/latest/network_data.json"])
    assert nd["links"][0] == {
        "id": "eth0",
        "type": "phy",
        "ethernet_mac_address": "fa:16:3e:00:00:05",
        "mtu": 1450,
    }
    assert nd["networks"][0]["routes"][0]["gateway"] == "10.0.0.1"
    assert nd["services"] == [{"type": "dns", "address": "10.0.0.2"}]


@pytest.mark.parametrize("version", EC2_ALL)
def test_every_ec2_leaf_is_listed_by_its_parent(instance, version):
    tree = render_http(instance)
    prefix = f"{version}/meta-data"
    for path in (p for p in tree if p.startswith(prefix + "/")):
        parent, _, leaf = path.rpartition("/")
        entries = tree[parent].decode().split("\n")
        assert (
            leaf in entries
            or f"{leaf}/" in entries
            or any(e.startswith(f"{leaf}=") for e in entries)
        ), path


def test_ec2_values(instance):
    tree = render_http(instance)
    assert tree["latest/meta-data/instance-id"] == instance.ec2_id.encode()
    assert tree["latest/meta-data/local-ipv4"] == b"10.0.0.5"
    assert tree["latest/meta-data/public-ipv4"] == b"203.0.113.5"
    assert tree["latest/meta-data/mac"] == b"fa:16:3e:00:00:05"
    assert tree["latest/meta-data/placement/availability-zone"] == b"az1"
    assert tree["latest/meta-data/public-keys"] == b"0=mykey"
    assert tree["latest/meta-data/public-keys/0/openssh-key"].startswith(b"ssh-rsa ")
    assert tree["latest/meta-data/security-groups"] == b"default"
    assert tree["latest/meta-data/instance-type"] == b"m1.medium"


def test_old_ec2_versions_lack_newer_keys(instance):
    listing = render_http(instance)["1.0/meta-data"].decode().split("\n")
    assert "instance-type" not in listing
    assert "placement/" not in listing
    assert "local-hostname" not in listing


def test_several_keys_are_numbered_in_order(make_instance):
    from tests.conftest import ED25519_KEY, RSA_KEY

    inst = make_instance(public_keys={"a": RSA_KEY, "b": ED25519_KEY}, publish_all_keys=True)
    tree = render_http(inst)
    assert tree["latest/meta-data/public-keys"] == b"0=a\n1=b"
    assert tree["latest/meta-data/public-keys/1/openssh-key"] == ED25519_KEY.encode()
    md = json.loads(tree["openstack/latest/meta_data.json"])
    assert [k["name"] for k in md["keys"]] == ["a", "b"]


def test_rendering_is_deterministic(instance):
    assert render_drive(instance) == render_drive(instance)
    assert render_http(instance) == render_http(instance)
