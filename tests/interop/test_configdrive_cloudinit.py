"""Debian cloud-init's ConfigDriveReader on our drives, extracted by xorriso (ISO) and mcopy
(VFAT) as a guest's mount would show them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.interop.cloudinit import requires_cloudinit, run_probe
from tests.unit.configdrive.samples import NOVA, load_tree
from wincloud.configdrive import DriveFormat, build_drive
from wincloud.tree.render import render_drive

pytestmark = [pytest.mark.interop, requires_cloudinit]


def extract(image: Path, fmt: DriveFormat, dest: Path) -> Path:
    """Unpack a drive with the reference tool for its format."""
    tool = "xorriso" if fmt is DriveFormat.ISO else "mcopy"
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (Debian: xorriso, mtools)")
    dest.mkdir()
    if fmt is DriveFormat.ISO:
        args = ["xorriso", "-osirrox", "on", "-indev", str(image), "-extract", "/", str(dest)]
    else:
        args = ["mcopy", "-s", "-m", "-n", "-i", str(image), "::/*", str(dest)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    subprocess.run(["chmod", "-R", "u+w", str(dest)], check=True)
    return dest


def read_with_cloudinit(files: dict[str, bytes], fmt: DriveFormat, tmp_path: Path):
    image = tmp_path / f"drive.{fmt}"
    build_drive(files, image, fmt=fmt)
    return run_probe("probe_configdrive.py", str(extract(image, fmt, tmp_path / "mnt")))


@pytest.mark.parametrize("fmt", list(DriveFormat))
def test_cloudinit_reads_the_instance_from_our_drive(tmp_path, instance, fmt):
    files = render_drive(instance)
    got = read_with_cloudinit(files, fmt, tmp_path)
    md = got["metadata"]
    assert got["version"] == 2
    assert md["uuid"] == instance.uuid
    assert md["instance-id"] == instance.uuid
    assert md["hostname"] == instance.hostname
    assert md["public_keys"] == dict(instance.public_keys)
    assert md["admin_pass"] == instance.admin_pass.get_secret_value()
    assert got["userdata"] == instance.user_data.decode()
    assert got["files"] == {f.path: f.content.decode() for f in instance.files}
    assert got["networkdata"] == json.loads(files["openstack/latest/network_data.json"])
    assert got["ec2-metadata"]["instance-id"] == instance.ec2_id


@pytest.mark.parametrize("fmt", list(DriveFormat))
def test_cloudinit_reads_several_injected_files(tmp_path, make_instance, fmt):
    injected = [
        {"path": "/etc/motd", "content": "motd\n"},
        {"path": "/etc/hosts.extra", "content": "10.0.0.9 db\n"},
        {"path": "C:\\Windows\\Temp\\hello.txt", "content": "hi\r\n"},
    ]
    instance = make_instance(files=injected)
    got = read_with_cloudinit(render_drive(instance), fmt, tmp_path)
    assert got["files"] == {f["path"]: f["content"] for f in injected}


@pytest.mark.parametrize("fmt", list(DriveFormat))
def test_nova_tree_reads_the_same_through_our_drive(tmp_path, fmt):
    if not (NOVA / "openstack").is_dir():
        pytest.skip(f"Nova 34 reference tree not found at {NOVA}")
    direct = run_probe("probe_configdrive.py", str(NOVA))
    through_drive = read_with_cloudinit(load_tree(NOVA), fmt, tmp_path)
    assert through_drive == direct
    assert through_drive["files"] == {"/etc/motd": "hello"}
