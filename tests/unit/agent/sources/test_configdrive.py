"""The config drive source, and the round-trip property: what the renderer writes on a drive
is what the agent reads back."""

import json

import pytest

from tests.unit.agent.conftest import with_section
from wincloud.agent.config import AgentConfig
from wincloud.agent.sources._openstack import parse_openstack
from wincloud.agent.sources.configdrive import ConfigDriveSource
from wincloud.agent.tree import MemoryTree
from wincloud.errors import InvalidMetadata, SourceUnavailable
from wincloud.secret import Secret


def assert_round_trip(md, instance):
    assert md.instance_id == instance.uuid
    assert md.hostname == instance.hostname
    assert md.name == instance.name
    assert dict(md.public_keys) == instance.public_keys
    assert md.admin_pass == Secret(instance.admin_pass.get_secret_value())
    assert md.user_data == instance.user_data
    assert md.network_data == instance.network_data.render()
    assert dict(md.meta) == instance.meta
    assert md.vendor_data == instance.vendor_data
    assert dict(md.files) == {f.path: f.content for f in instance.files}
    assert md.availability_zone == instance.availability_zone
    assert md.project_id == instance.project_id
    assert md.launch_index == instance.launch_index


def test_parsing_the_rendered_drive_gives_back_the_instance(tree, instance):
    assert_round_trip(parse_openstack(tree, source="configdrive"), instance)


def test_round_trip_of_a_bare_instance(make_instance):
    bare = make_instance(
        public_keys={},
        user_data=None,
        network_data=None,
        admin_pass=None,
        files=[],
        meta={},
        vendor_data={},
    )
    from wincloud.tree import render_drive

    md = parse_openstack(MemoryTree(render_drive(bare)), source="configdrive")
    assert (md.instance_id, md.public_keys, md.user_data) == (bare.uuid, {}, None)
    assert (md.admin_pass, md.network_data, md.files) == (None, None, {})


def test_an_older_drive_without_latest_is_read_from_its_newest_version(drive_files, instance):
    older = {k: v for k, v in drive_files.items() if "/latest/" not in k}
    older = {k: v for k, v in older.items() if not k.startswith("openstack/2025")}
    md = parse_openstack(MemoryTree(older), source="configdrive")
    assert md.instance_id == instance.uuid


def test_a_missing_injected_file_costs_that_file_only(drive_files, instance):
    files = {k: v for k, v in drive_files.items() if not k.startswith("openstack/content/")}
    md = parse_openstack(MemoryTree(files), source="configdrive")
    assert md.instance_id == instance.uuid
    assert md.files == {}


def test_bad_json_is_invalid_metadata_naming_the_file(drive_files):
    drive_files["openstack/latest/meta_data.json"] = b"{not json"
    with pytest.raises(InvalidMetadata) as info:
        parse_openstack(MemoryTree(drive_files, where="/dev/sr0"), source="configdrive")
    assert "/dev/sr0/openstack/latest/meta_data.json" in str(info.value)


def test_meta_data_without_uuid_is_invalid(drive_files):
    doc = json.loads(drive_files["openstack/latest/meta_data.json"])
    del doc["uuid"]
    drive_files["openstack/latest/meta_data.json"] = json.dumps(doc).encode()
    with pytest.raises(InvalidMetadata, match="uuid"):
        parse_openstack(MemoryTree(drive_files), source="configdrive")


def test_keys_list_is_used_when_public_keys_is_absent(drive_files, instance):
    doc = json.loads(drive_files["openstack/latest/meta_data.json"])
    del doc["public_keys"]
    drive_files["openstack/latest/meta_data.json"] = json.dumps(doc).encode()
    md = parse_openstack(MemoryTree(drive_files), source="configdrive")
    assert dict(md.public_keys) == instance.public_keys


def test_a_tree_without_openstack_is_invalid():
    with pytest.raises(InvalidMetadata, match=r"meta_data\.json"):
        parse_openstack(MemoryTree({"ec2/latest/meta-data.json": b"{}"}), source="configdrive")


def test_no_labelled_volume_means_absent(make_deps):
    assert ConfigDriveSource(make_deps()).probe() is False


def test_labelled_image_is_read_with_the_drive_reader(
    make_deps, platform, drive_files, tmp_path, instance
):
    device = tmp_path / "sr0"
    device.write_bytes(b"stands for an ISO")
    platform.volumes.labelled["config-2"] = device
    source = ConfigDriveSource(make_deps(read_drive=lambda path: drive_files))
    assert source.probe() is True
    md = source.load()
    assert (md.instance_id, md.source, md.where) == (instance.uuid, "configdrive", str(device))
    assert source.password_sink() is None


def test_a_configured_directory_is_read_as_is(make_deps, drive_files, tmp_path, instance):
    for path, data in drive_files.items():
        target = tmp_path / "drive" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    config = with_section(AgentConfig(), "configdrive", paths=[str(tmp_path / "drive")])
    source = ConfigDriveSource(make_deps(config))
    assert source.probe()
    assert_round_trip(source.load(), instance)


def test_an_unreadable_drive_is_unavailable(make_deps, platform, tmp_path):
    from wincloud.errors import DriveError

    def broken(path):
        raise DriveError("bad sector", subject=str(path))

    platform.volumes.labelled["config-2"] = tmp_path / "sr0"
    source = ConfigDriveSource(make_deps(read_drive=broken))
    assert source.probe()
    with pytest.raises(SourceUnavailable, match="bad sector"):
        source.load()


@pytest.mark.parametrize("fmt", ["iso", "vfat"])
def test_a_real_image_built_by_wincloud_is_read(
    make_deps, platform, drive_files, tmp_path, instance, fmt
):
    configdrive = pytest.importorskip("wincloud.configdrive")
    image = tmp_path / f"drive.{fmt}"
    configdrive.build_drive(drive_files, image, fmt=configdrive.DriveFormat(fmt))
    platform.volumes.labelled["config-2"] = image
    source = ConfigDriveSource(make_deps())
    assert source.probe()
    assert_round_trip(source.load(), instance)
