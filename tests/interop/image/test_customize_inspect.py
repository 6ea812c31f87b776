"""customize, inspect and validate through libguestfs on a synthetic UEFI disk, checked with
virt-inspector (libguestfs's own Windows inspection) and regipy on the hive read back with
ntfscat (no libguestfs). One customized disk per session: each appliance costs 15-30 s (TCG)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from regipy.registry import RegistryHive

from wincloud.cli import main

pytestmark = pytest.mark.interop

SPEC = """
[image]
name = "ws2022"
[source]
iso = "win.iso"
edition = "Windows Server 2022 SERVERSTANDARD"
version = "2022"
[firmware]
type = "bios"
[disk]
bus = "scsi"
[drivers]
virtio_win_iso = "virtio-win-0.1.266.iso"
[agent]
msi = "agent.msi"
"""
REG = (
    "Windows Registry Editor Version 5.00\n\n"
    "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Contoso]\n"
    '"Tier"=dword:00000002\n'
)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().out


@pytest.fixture(scope="session")
def customized(uefi_disk, virtio_iso, tmp_path_factory):
    """The disk after one `wincloud image customize` (agent, virtio-win for scsi, a .reg)."""
    work = tmp_path_factory.mktemp("customize")
    msi = work / "agent.msi"
    msi.write_bytes(b"stand-in MSI" * 1000)
    reg = work / "site.reg"
    reg.write_text(REG, encoding="utf-8")
    args = [
        "image",
        "customize",
        str(uefi_disk),
        "--agent-msi",
        str(msi),
        "--agent-version",
        "0.1.0",
        "--virtio-win",
        str(virtio_iso),
        "--bus",
        "scsi",
        "--reg",
        str(reg),
    ]
    main(args[:])  # prints what it wrote; exits 0 by returning
    return uefi_disk, args


def test_second_customize_changes_nothing(customized, capsys):
    disk, args = customized
    once = _sha(disk)
    code, out = _cli(capsys, *args)
    assert code == 0 and "nothing to change" in out
    assert _sha(disk) == once


def test_validate_reports_and_names_each_problem(customized, tmp_path, capsys):
    disk, _ = customized
    spec = tmp_path / "ws2022.toml"
    spec.write_text(SPEC, encoding="utf-8")
    code, out = _cli(capsys, "image", "validate", str(disk), "--spec", str(spec), "--json")
    assert code == 1
    result = json.loads(out)
    report = result["report"]
    assert report["firmware"] == "uefi" and report["partition_table"] == "gpt"
    assert report["windows"]["version"] == "2022"
    assert report["windows"]["architecture"] == "amd64"
    assert report["generalized"] is True
    assert report["agent_version"] == "0.1.0" and report["agent_staged"] is True
    assert report["boot_drivers"] == {"virtio": False, "scsi": True}
    assert report["virtio_win_version"] == "0.1.266"
    assert set(report["staged_drivers"]) == {"balloon", "netkvm", "vioscsi", "viostor"}
    assert result["problems"] == ["firmware mismatch: the disk boots uefi, the spec says bios"]


def test_virt_inspector_still_sees_windows_server_2022(customized):
    disk, _ = customized
    argv = ["virt-inspector", "--format=raw", "-a", str(disk)]
    env = {**os.environ, "LIBGUESTFS_BACKEND": "direct"}
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env, check=False)
    if done.returncode != 0:  # a /dev/kvm that cannot run guests: TCG
        env["LIBGUESTFS_BACKEND_SETTINGS"] = "force_tcg"
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=300, env=env, check=False
        )
    assert done.returncode == 0, done.stderr[-2000:]
    found = ET.fromstring(done.stdout).find("operatingsystem")
    assert found is not None
    assert found.findtext("name") == "windows"
    assert found.findtext("osinfo") == "win2k22"
    assert found.findtext("arch") == "x86_64"


def _ntfs_partition(disk: Path, out: Path) -> Path:
    """The last partition of a raw disk copied to its own file (ntfs-3g tools take no offset)."""
    table = json.loads(
        subprocess.run(
            ["sfdisk", "--json", str(disk)], check=True, capture_output=True, text=True, timeout=60
        ).stdout
    )
    part = table["partitiontable"]["partitions"][-1]
    with disk.open("rb") as src, out.open("wb") as dst:
        src.seek(part["start"] * 512)
        left = part["size"] * 512
        for _ in range(left // (1 << 20) + 1):
            block = src.read(min(left, 1 << 20))
            if not block:
                break
            dst.write(block)
            left -= len(block)
    return out


def system_hive(volume: Path, tmp_path: Path) -> RegistryHive:
    """The SYSTEM hive of an NTFS volume image, copied out with ntfscat and opened with
    regipy (readers independent of ours)."""
    hive = tmp_path / "SYSTEM"
    with hive.open("wb") as out:
        subprocess.run(
            ["ntfscat", str(volume), "/Windows/System32/config/SYSTEM"],
            check=True,
            timeout=60,
            stdout=out,
        )
    return RegistryHive(str(hive))


def test_hive_written_by_customize_reads_in_regipy(customized, tmp_path):
    disk, _ = customized
    volume = _ntfs_partition(disk, tmp_path / "ntfs.img")
    reg = system_hive(volume, tmp_path)
    service = reg.get_key("\\ControlSet001\\Services\\vioscsi")
    values = {v.name: v.value for v in service.iter_values()}
    assert values["Start"] == 0 and values["Type"] == 1
    tier = reg.get_key("\\ControlSet001\\Control\\Contoso")
    assert {v.name: v.value for v in tier.iter_values()} == {"Tier": 2}
    script = subprocess.run(
        ["ntfscat", str(volume), "/Windows/Setup/Scripts/SetupComplete.cmd"],
        check=True,
        timeout=60,
        capture_output=True,
    ).stdout
    assert b"pnputil /add-driver" in script and b"msiexec /i" in script
    sys_file = subprocess.run(
        ["ntfscat", str(volume), "/Windows/System32/drivers/vioscsi.sys"],
        check=True,
        timeout=60,
        capture_output=True,
    ).stdout
    assert sys_file.startswith(b"MZ")
