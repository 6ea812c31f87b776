"""VMware guestinfo, read through the platform's hypervisor capability (a fake that holds
the variables, as ``govc vm.change -e guestinfo.*`` would set them)."""

import base64
import gzip
import json
from pathlib import Path

import msgspec
import pytest

from wincloud.agent.plugins._network_data import parse_network_data
from wincloud.agent.sources.vmware import VMwareSource, decode_guestinfo
from wincloud.errors import InvalidMetadata, SourceUnavailable

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures/sources"


def guestinfo():
    values = json.loads((FIXTURES / "vmware/guestinfo.json").read_text())
    return {key: value.encode() for key, value in values.items()}


def test_guestinfo_fixture_maps_into_the_model(make_deps, platform):
    platform.hypervisor.values = guestinfo()
    source = VMwareSource(make_deps())
    assert source.probe() is True
    md = source.load()
    assert (md.instance_id, md.hostname, md.source) == ("vm-guestinfo-0001", "win-vmw-01", "vmware")
    assert len(md.public_keys) == 2
    assert md.admin_pass is not None and md.admin_pass.reveal() == "Vmw-Pass-2026!"
    assert md.meta == {"admin_username": "cloudadmin"}
    assert md.user_data == b"#cloud-config\ntimezone: Europe/Paris\n"
    # User-data format, kept as text (the cloudconfig plugin reads its #cloud-config).
    assert md.vendor_data == "#cloud-config\nntp:\n  servers: [ntp.example.org]\n"
    plan = parse_network_data(md.network_data)
    (iface,) = plan.interfaces
    assert (iface.mac, iface.addresses) == ("00:50:56:8a:12:34", ("192.168.10.20/24",))
    assert [(r.destination, r.gateway) for r in iface.routes] == [("0.0.0.0/0", "192.168.10.1")]
    assert plan.dns_servers == ("192.168.10.1",)


def test_json_metadata_with_nocloud_style_keys(make_deps, platform):
    doc = {"instance-id": "i-9", "hostname": "h9", "public-keys": ["ssh-ed25519 AAAA k"]}
    platform.hypervisor.values = {"metadata": json.dumps(doc).encode()}
    md = VMwareSource(make_deps()).load()
    assert (md.instance_id, md.hostname, list(md.public_keys.values())) == (
        "i-9",
        "h9",
        ["ssh-ed25519 AAAA k"],
    )


def test_ovf_environment_from_guestinfo(make_deps, platform):
    platform.hypervisor.values = {"ovfEnv": (FIXTURES / "ovf/ovf-env.xml").read_bytes()}
    source = VMwareSource(make_deps())
    assert source.probe() is True
    md = source.load()
    assert (md.instance_id, md.hostname, md.where) == (
        "ovf-4e1d9c2a",
        "win-ovf-01",
        "guestinfo.ovfEnv",
    )


def test_not_vmware_is_absent(make_deps):
    assert VMwareSource(make_deps()).probe() is False


@pytest.mark.parametrize(
    "raw, encoding, expected",
    [
        (b"plain", "", b"plain"),
        (base64.b64encode(b"x"), "b64", b"x"),
        (base64.b64encode(gzip.compress(b"zipped")), "gzip+base64", b"zipped"),
        (base64.b64encode(gzip.compress(b"zipped")), " GZ+B64\n", b"zipped"),
    ],
)
def test_encodings(raw, encoding, expected):
    assert decode_guestinfo(raw, encoding, key="metadata") == expected


@pytest.mark.parametrize(
    "raw, encoding, message",
    [
        (b"!!!", "base64", "base64"),
        (base64.b64encode(b"not gzip"), "gzip+base64", "gzip"),
        (b"x", "rot13", "unknown encoding"),
        (base64.b64encode(gzip.compress(b"\0" * (17 << 20))), "gzip+base64", "expands"),
    ],
)
def test_damaged_values_are_invalid(raw, encoding, message):
    with pytest.raises(InvalidMetadata, match=message):
        decode_guestinfo(raw, encoding, key="metadata")


@pytest.mark.parametrize(
    "metadata",
    [
        b"local-hostname: x\n",
        b"- a list\n",
        b"instance-id: [unclosed\n",
        b"instance-id: i\nlocal-hostname: [1, 2]\n",
        b"a: &a [*a]\n",
        b"\xff\xfe",
    ],
)
def test_hostile_metadata_is_invalid(make_deps, platform, metadata):
    platform.hypervisor.values = {"metadata": metadata}
    with pytest.raises(InvalidMetadata):
        VMwareSource(make_deps()).load()


def test_unreadable_guestinfo_is_unavailable(make_deps, platform):
    class Broken:
        def guestinfo(self, key):
            from wincloud.errors import PlatformError

            raise PlatformError("rpc failed", operation="guestinfo")

    deps = make_deps()
    deps = msgspec.structs.replace(
        deps, platform=msgspec.structs.replace(platform, hypervisor=Broken())
    )
    with pytest.raises(SourceUnavailable):
        VMwareSource(deps).probe()
