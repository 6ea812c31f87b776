"""Review findings on the new metadata sources, fed what a hostile or careless cloud (or a
tampered CD) could hand them."""

from __future__ import annotations

import base64
import gzip
import json
import os

import httpx
import pytest

from tests.unit.agent.sources.test_cloudstack import ROUTER, FakeRouter, deps
from wincloud.agent.plugins._network_data import parse_network_data
from wincloud.agent.sources.cloudstack import CloudStackSource
from wincloud.agent.sources.nocloud import parse_nocloud
from wincloud.agent.sources.opennebula import parse_opennebula
from wincloud.agent.sources.ovf import metadata_from_ovf
from wincloud.agent.sources.vmware import MAX_EXPANDED, VMwareSource, decode_guestinfo
from wincloud.agent.tree import MAX_FILE, DirTree, MemoryTree
from wincloud.agent.userdata.cloudconfig import vendor_userdata
from wincloud.errors import InvalidMetadata

NS = "http://schemas.dmtf.org/ovf/environment/1"
ENV = (
    f'<Environment xmlns="{NS}" xmlns:oe="{NS}"><PropertySection>'
    '<Property oe:key="instance-id" oe:value="iid-1"/>'
    '<Property oe:key="hostname" oe:value="{value}"/>'
    "</PropertySection></Environment>"
)


@pytest.mark.parametrize("codec", ["utf-16", "utf-32"])
def test_an_ovf_environment_in_another_encoding_cannot_hide_a_dtd(codec):
    hidden = (
        f'<?xml version="1.0" encoding="{codec.upper()}"?>\n'
        '<!DOCTYPE Environment [<!ENTITY a "from-an-entity">]>\n' + ENV.replace("{value}", "&a;")
    )
    with pytest.raises(InvalidMetadata, match="document type declaration"):
        metadata_from_ovf(hidden.encode(codec), source="ovf", where="ovf-env.xml")
    # The same encoding without a DTD is still read.
    plain = f'<?xml version="1.0" encoding="{codec.upper()}"?>' + ENV.replace("{value}", "h1")
    md = metadata_from_ovf(plain.encode(codec), source="ovf", where="ovf-env.xml")
    assert (md.instance_id, md.hostname) == ("iid-1", "h1")


def test_utf16_without_a_byte_order_mark_is_refused_not_parsed():
    raw = ('<!DOCTYPE x [<!ENTITY a "b">]>' + ENV.replace("{value}", "&a;")).encode("utf-16-le")
    with pytest.raises(InvalidMetadata):
        metadata_from_ovf(raw, source="ovf", where="ovf-env.xml")


def test_a_huge_file_on_a_mounted_drive_is_refused_not_read_whole(tmp_path):
    (tmp_path / "meta-data").write_text("instance-id: i-1\n")
    with (tmp_path / "user-data").open("wb") as handle:
        handle.truncate(MAX_FILE + 16 * 1024 * 1024)  # sparse: costs no disk
    with pytest.raises(InvalidMetadata, match="larger than"):
        parse_nocloud(DirTree(tmp_path), source="nocloud")
    os.truncate(tmp_path / "user-data", 10)  # at the bound or under: read as before
    assert parse_nocloud(DirTree(tmp_path), source="nocloud").user_data == b"\0" * 10


V1 = b"""version: 1
config:
  - type: physical
    name: eth0
    mac_address: 52:54:00:12:34:56
    subnets: [{type: dhcp4}]
"""
V2 = b"""version: 2
ethernets:
  eth0:
    match: {macaddress: 10:20:30:40:50:59}
    dhcp4: true
"""


@pytest.mark.parametrize(("doc", "mac"), [(V1, "52:54:00:12:34:56"), (V2, "10:20:30:40:50:59")])
def test_an_unquoted_mac_in_network_config_keeps_its_address(doc, mac):
    """YAML 1.1 reads these as base-60 integers (QEMU's 52:54:00 prefix is one of them)."""
    tree = MemoryTree({"meta-data": b"instance-id: i-1\n", "network-config": doc})
    md = parse_nocloud(tree, source="nocloud")
    assert md.network_data is not None
    (iface,) = parse_network_data(md.network_data).interfaces
    assert iface.mac == mac


@pytest.mark.parametrize(
    "vendordata",
    [
        b"#cloud-config\nntp:\n  servers: [ntp.example.org]\n",
        b'Content-Type: multipart/mixed; boundary="==B=="\nMIME-Version: 1.0\n\n'
        b"--==B==\nContent-Type: text/cloud-config\n\nntp:\n  servers: [ntp.example.org]\n"
        b"--==B==--\n",
    ],
)
def test_vmware_vendordata_is_user_data_format(make_deps, platform, vendordata):
    platform.hypervisor.values = {"metadata": b'{"instance-id": "vm-1"}', "vendordata": vendordata}
    md = VMwareSource(make_deps()).load()
    text = vendor_userdata(md.vendor_data)
    assert text is not None and b"ntp.example.org" in text


def test_a_dhcp_lease_that_is_not_an_address_does_not_stop_the_search(platform):
    platform.network.servers = ["256.1.1.1", "not[an]address", ROUTER]
    source = CloudStackSource(deps(platform, FakeRouter()))
    assert source.probe() is True
    assert source.where == f"http://{ROUTER}"


def test_a_context_word_that_is_not_an_assignment_is_not_echoed_into_the_log():
    tree = MemoryTree({"context.sh": b"VMID='1'\nPASSWORD=Correct horse-battery\n"})
    with pytest.raises(InvalidMetadata) as err:
        parse_opennebula(tree, source="opennebula")
    assert "horse" not in str(err.value)
    assert "line 2" in str(err.value)


def test_an_mtu_in_other_digits_is_left_out_not_a_crash():
    tree = MemoryTree({"context.sh": "ETH0_MAC='02:00:0a:00:00:05'\nETH0_MTU='\u00b2'\n".encode()})
    md = parse_opennebula(tree, source="opennebula")
    assert md.network_data is not None
    assert "mtu" not in md.network_data["links"][0]


def test_gzip_guestinfo_cut_short_is_refused_not_half_used():
    whole = gzip.compress(b"#!/bin/sh\necho one\necho two\n" * 50)
    with pytest.raises(InvalidMetadata, match="cut short"):
        decode_guestinfo(base64.b64encode(whole[:-12]), "gzip+base64", key="userdata")


def test_gzip_guestinfo_of_several_members_is_read_whole():
    two = gzip.compress(b"#cloud-config\n") + gzip.compress(b"timezone: UTC\n")
    assert decode_guestinfo(base64.b64encode(two), "gz+b64", key="userdata") == (
        b"#cloud-config\ntimezone: UTC\n"
    )


def test_a_gzip_bomb_of_many_members_stays_bounded():
    member = gzip.compress(b"\0" * (MAX_EXPANDED // 4 + 1))
    with pytest.raises(InvalidMetadata, match="expands beyond"):
        decode_guestinfo(base64.b64encode(member * 8), "gzip+base64", key="metadata")


def test_a_password_that_is_not_utf8_is_neither_used_nor_acknowledged(platform):
    platform.network.servers = [ROUTER]
    router = FakeRouter()

    def lying(request):
        if request.url.port == 8080 and request.headers.get("DomU_Request") == "send_my_password":
            router.requests.append("send_my_password")
            return httpx.Response(200, content=b"Pa\xffss-2026")
        return router(request)

    source = CloudStackSource(deps(platform, lying))
    md = source.load()
    assert md.instance_id == "i-2-17-VM"  # the metadata is still used
    assert md.admin_pass is None
    assert md.acknowledge_password is None
    assert "saved_password" not in router.requests


FORGED = "i-1\n2026-12-03 12:00:00 ERROR forged line"


@pytest.mark.parametrize(
    "load",
    [
        lambda: parse_opennebula(
            MemoryTree({"context.sh": f"VMID='{FORGED}'\n".encode()}), source="opennebula"
        ),
        lambda: metadata_from_ovf(
            ENV.replace("iid-1", FORGED.replace("\n", "&#10;")).replace("{value}", "h").encode(),
            source="ovf",
            where="ovf-env.xml",
        ),
        lambda: parse_nocloud(
            MemoryTree({"meta-data": b"instance-id: " + json.dumps(FORGED).encode() + b"\n"}),
            source="nocloud",
        ),
    ],
    ids=["opennebula", "ovf", "nocloud"],
)
def test_an_instance_id_with_a_line_break_is_refused(load):
    with pytest.raises(InvalidMetadata, match="one short line"):
        load()


def test_a_vmware_instance_id_with_a_line_break_is_refused(make_deps, platform):
    doc = json.dumps({"instance-id": FORGED}).encode()
    platform.hypervisor.values = {"metadata": doc}
    with pytest.raises(InvalidMetadata, match="one short line"):
        VMwareSource(make_deps()).load()
