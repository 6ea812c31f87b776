"""NoCloud: a seed directory (read through the platform) or a ``cidata`` volume."""

import pytest

from wincloud.agent.sources.nocloud import NoCloudSource, parse_nocloud
from wincloud.agent.tree import MemoryTree
from wincloud.errors import InvalidMetadata

SEED = "/var/lib/cloud/seed/nocloud"
META = (
    b"instance-id: iid-local01\nlocal-hostname: nc-host\npublic-keys:\n  - ssh-ed25519 AAAA one\n"
)


def test_seed_directory_is_found_and_read(make_deps, platform):
    platform.files.write(f"{SEED}/meta-data", META)
    platform.files.write(f"{SEED}/user-data", b"#!/bin/sh\necho hi\n")
    source = NoCloudSource(make_deps())
    assert source.probe() is True
    md = source.load()
    assert (md.instance_id, md.hostname, md.source) == ("iid-local01", "nc-host", "nocloud")
    assert list(md.public_keys.values()) == ["ssh-ed25519 AAAA one"]
    assert md.user_data == b"#!/bin/sh\necho hi\n"
    assert md.where == SEED


def test_cidata_volume_is_read_with_the_drive_reader(make_deps, platform, tmp_path):
    platform.volumes.labelled["CIDATA"] = tmp_path / "seed.iso"
    (tmp_path / "seed.iso").write_bytes(b"iso")
    source = NoCloudSource(make_deps(read_drive=lambda path: {"meta-data": META}))
    assert source.probe()
    assert source.load().instance_id == "iid-local01"


def test_nothing_means_absent(make_deps):
    assert NoCloudSource(make_deps()).probe() is False


@pytest.mark.parametrize(
    "keys, expected",
    [
        ("public-keys: ssh-rsa AAAA a\n", {"0": "ssh-rsa AAAA a"}),
        ("public-keys: {mine: ssh-rsa AAAA a}\n", {"mine": "ssh-rsa AAAA a"}),
        ("public-keys: {mine: [k1, k2]}\n", {"mine": "k1", "mine-1": "k2"}),
        ("", {}),
    ],
)
def test_public_key_forms(keys, expected):
    tree = MemoryTree({"meta-data": f"instance-id: i\n{keys}".encode()})
    assert dict(parse_nocloud(tree, source="nocloud").public_keys) == expected


@pytest.mark.parametrize(
    "meta", [b"local-hostname: x\n", b"- a list\n", b"instance-id: [unclosed\n"]
)
def test_bad_meta_data_is_invalid(meta):
    with pytest.raises(InvalidMetadata):
        parse_nocloud(MemoryTree({"meta-data": meta}), source="nocloud")


def test_vendor_data_is_kept_as_user_data_text_for_the_cloudconfig_plugin(make_deps, platform):
    """NoCloud's vendor-data is in user-data format (a ``#cloud-config`` document, a script,
    MIME), not a JSON object with a ``cloud-init`` key: it must reach the plugin as text."""
    from wincloud.agent.userdata.cloudconfig import vendor_userdata

    vendor = b"#cloud-config\ntimezone: Europe/Paris\n"
    platform.files.write(f"{SEED}/meta-data", META)
    platform.files.write(f"{SEED}/vendor-data", vendor)
    md = NoCloudSource(make_deps()).load()
    assert vendor_userdata(md.vendor_data) == vendor


def test_vendor_data_that_is_not_text_is_refused(make_deps, platform):
    platform.files.write(f"{SEED}/meta-data", META)
    platform.files.write(f"{SEED}/vendor-data", b"\xff\xfe#cloud-config\n")
    with pytest.raises(InvalidMetadata, match="vendor-data"):
        NoCloudSource(make_deps()).load()
