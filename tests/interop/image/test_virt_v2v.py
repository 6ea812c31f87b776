"""virt-v2v as a second opinion on the same kind of synthetic disk.

``virt-v2v-in-place`` converts a synthetic Windows Server 2022 disk with our test virtio-win ISO
(it inspects the guest, copies drivers and edits the SYSTEM hive itself); our inspection must then
see a boot-start viostor, and the service key virt-v2v wrote must agree with the one customize
writes on the values that make a driver boot-critical. Slow (~1.5-3 min under TCG): it runs only
where virt-v2v and nbdkit are installed (not in .ci/run's apt line).
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from regipy.registry import RegistryHive

from tests.image_disks import DiskSpec, build_disk, windows_tree
from tests.interop.image.test_customize_inspect import _ntfs_partition, system_hive
from wincloud.image.disk.customize import CustomizeOptions, apply_plan, plan_customize
from wincloud.image.disk.inspect import inspect_image
from wincloud.image.disk.volume import DirVolume

pytestmark = pytest.mark.interop


@pytest.mark.skipif(
    shutil.which("virt-v2v-in-place") is None or shutil.which("nbdkit") is None,
    reason="virt-v2v/nbdkit not installed (apt-get install virt-v2v nbdkit)",
)
def test_virt_v2v_injected_viostor_is_what_inspect_and_customize_expect(
    virtio_iso, image_tools, tmp_path
):
    disk = build_disk(tmp_path / "v2v.img", DiskSpec(agent=False, drivers={}), size_mib=320)
    env = {**os.environ, "LIBGUESTFS_BACKEND": "direct", "VIRTIO_WIN": str(virtio_iso)}
    env.setdefault("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg")
    done = subprocess.run(
        ["virt-v2v-in-place", "-i", "disk", str(disk)],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "virtio drivers" in done.stdout + done.stderr

    report = inspect_image(disk)
    assert report.boot_drivers["virtio"] is True
    assert "viostor" in report.drivers

    theirs = system_hive(_ntfs_partition(disk, tmp_path / "ntfs.img"), tmp_path)
    key = theirs.get_key("\\ControlSet001\\Services\\viostor")
    values = {v.name: v.value for v in key.iter_values()}
    assert {k: values[k] for k in ("Type", "Start", "ErrorControl")} == {
        "Type": 1,
        "Start": 0,
        "ErrorControl": 1,
    }
    assert str(values["Group"]).lower() == "scsi miniport"

    # customize's DriverDatabase binding has the shape virt-v2v's has (names aside)
    tree = tmp_path / "tree"
    tree.mkdir()
    windows_tree(tree, DiskSpec(agent=False, drivers={}))
    volume_dir = DirVolume(tree)
    apply_plan(volume_dir, plan_customize(volume_dir, CustomizeOptions(virtio_win=virtio_iso)))
    ours = RegistryHive(str(tree / "Windows/System32/config/SYSTEM"))
    assert driver_database_shape(ours, "viostor") == driver_database_shape(theirs, "viostor")


def _values(hive, path):
    return {v.name: v.value for v in hive.get_key(path).iter_values()}


def driver_database_shape(hive, service):
    """{hwid: value data} of DeviceIds, and per package bound to ``service``: descriptor ids,
    config flags, the first 4 bytes and the class GUID of Version."""
    db = "\\DriverDatabase"
    device_ids = {
        k.name.upper(): sorted(v.value for v in k.iter_values())
        for k in hive.get_key(f"{db}\\DeviceIds\\PCI").iter_subkeys()
    }
    packages = []
    for pkg in hive.get_key(f"{db}\\DriverPackages").iter_subkeys():
        path = f"{db}\\DriverPackages\\{pkg.name}"
        configs = list(hive.get_key(f"{path}\\Configurations").iter_subkeys())
        if not any(
            _values(hive, f"{path}\\Configurations\\{c.name}").get("Service") == service
            for c in configs
        ):
            continue
        version = bytes.fromhex(_values(hive, path)["Version"])
        descriptors = sorted(
            k.name.upper() for k in hive.get_key(f"{path}\\Descriptors\\PCI").iter_subkeys()
        )
        flags = [
            _values(hive, f"{path}\\Configurations\\{c.name}").get("ConfigFlags") for c in configs
        ]
        packages.append((descriptors, flags, version[:4], version[8:24]))
    return device_ids, packages
