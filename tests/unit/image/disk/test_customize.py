"""customize on a Windows volume tree (DirVolume): what lands in the hives and files, read back
with regipy; a second run plans nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from regipy.registry import RegistryHive

from wincloud.errors import ImageError
from wincloud.image.disk.customize import (
    AGENT_MSI,
    BEGIN,
    CustomizeOptions,
    apply_plan,
    plan_customize,
    render_setupcomplete,
)
from wincloud.image.disk.volume import DirVolume
from wincloud.image.disk.windows import read_facts


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _values(hive: Path, key: str) -> dict[str, object]:
    return {v.name: v.value for v in RegistryHive(str(hive)).get_key(key).iter_values()}


@pytest.fixture
def msi(tmp_path):
    path = tmp_path / "wincloud.msi"
    path.write_bytes(b"MSI stand-in" * 100)
    return path


def test_scsi_boot_driver_injected_into_system_hive(windows_dir, virtio_media, msi):
    root = windows_dir(agent=False, drivers={"netkvm": 3})
    volume = DirVolume(root)
    opts = CustomizeOptions(
        agent_msi=msi, agent_version="0.1.0", virtio_win=virtio_media, bus="scsi"
    )
    apply_plan(volume, plan_customize(volume, opts))
    system = root / "Windows/System32/config/SYSTEM"
    service = _values(system, "\\ControlSet001\\Services\\vioscsi")
    assert service["Start"] == 0 and service["Type"] == 1 and service["ErrorControl"] == 1
    assert service["Group"] == "SCSI miniport"
    assert service["ImagePath"] == "System32\\drivers\\vioscsi.sys"
    assert (root / "Windows/System32/drivers/vioscsi.sys").is_file()
    device = "\\DriverDatabase\\DeviceIds\\PCI\\VEN_1AF4&DEV_1048&SUBSYS_11001AF4&REV_01"
    assert _values(system, device) == {"vioscsi.inf": "01ff0000"}
    facts = read_facts(volume)
    assert facts.boot_drivers == {"virtio": False, "scsi": True}
    assert facts.agent_version == "0.1.0" and facts.agent_staged
    assert facts.virtio_win_version == "0.1.266"
    assert set(facts.staged_drivers) == {"viostor", "vioscsi", "netkvm", "balloon"}


def test_second_run_changes_nothing(windows_dir, virtio_media, msi, tmp_path):
    root = windows_dir(agent=False, drivers={})
    reg = tmp_path / "extra.reg"
    reg.write_text(
        "Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\"
        'Contoso]\n"Tier"="web"\n',
        encoding="utf-8",
    )
    volume = DirVolume(root)
    opts = CustomizeOptions(
        agent_msi=msi, agent_version="0.1.0", virtio_win=virtio_media, reg_files=(reg,)
    )
    first = plan_customize(volume, opts)
    assert first.writes
    apply_plan(volume, first)
    after = _tree_digest(root)
    assert plan_customize(volume, opts).writes == {}
    assert _tree_digest(root) == after


def test_setupcomplete_keeps_existing_lines(windows_dir, msi):
    root = windows_dir(setupcomplete="@echo off\r\necho site hook\r\n")
    volume = DirVolume(root)
    apply_plan(volume, plan_customize(volume, CustomizeOptions(agent_msi=msi)))
    text = (root / "Windows/Setup/Scripts/SetupComplete.cmd").read_bytes().decode()
    assert text.startswith("@echo off\r\necho site hook\r\n" + BEGIN)
    assert "msiexec /i" in text and "net start wincloud" in text
    assert "pnputil" not in text  # no drivers staged
    assert (root / AGENT_MSI).read_bytes() == msi.read_bytes()


def test_setupcomplete_block_is_replaced_not_repeated():
    once = render_setupcomplete("echo a\r\n", agent=True, drivers=False)
    twice = render_setupcomplete(once, agent=True, drivers=True)
    assert twice.count(BEGIN) == 1 and "pnputil /add-driver" in twice
    assert render_setupcomplete(twice, agent=True, drivers=True) == twice


def test_media_without_this_windows_is_refused(windows_dir, tmp_path):
    from tests.image_disks import build_virtio_tree

    media = build_virtio_tree(tmp_path / "virtio-win-0.1.1", os_dirs=("2k16",))
    volume = DirVolume(windows_dir())
    with pytest.raises(ImageError, match="no drivers for Windows 2022"):
        plan_customize(volume, CustomizeOptions(virtio_win=media))


def test_unknown_build_cannot_pick_a_driver_folder(windows_dir, virtio_media):
    from wincloud.image.disk.hive import RegValue, edit_hive

    root = windows_dir()
    software = root / "Windows/System32/config/SOFTWARE"
    with edit_hive(software) as hive:  # a build no supported version has
        hive.set_value(
            "Microsoft\\Windows NT\\CurrentVersion", "CurrentBuildNumber", RegValue.sz("7601")
        )
    volume = DirVolume(root)
    opts = CustomizeOptions(virtio_win=virtio_media)
    with pytest.raises(ImageError, match="cannot tell which Windows version"):
        plan_customize(volume, opts)


def test_windows_before_8_binds_through_critical_device_database(tmp_path, virtio_media):
    from tests.image_hives import write_hive
    from wincloud.image.disk.customize import Plan, _inject_boot_driver
    from wincloud.image.disk.hive import edit_hive
    from wincloud.image.disk.windows import WindowsInfo

    system = write_hive(tmp_path / "SYSTEM", {"Select": {"Current": 1}})
    volume = DirVolume(tmp_path / "volume")
    (tmp_path / "volume").mkdir()
    files = {p.name: p.read_bytes() for p in (virtio_media / "viostor/2k19/amd64").iterdir()}
    old = WindowsInfo("Windows Server 2008 R2", "ServerStandard", "Server", 7601, None, "amd64")
    plan = Plan()
    with edit_hive(system) as hive:
        _inject_boot_driver(hive, plan, volume, old, "viostor", files)
    key = (
        "\\ControlSet001\\Control\\CriticalDeviceDatabase\\"
        "pci#ven_1af4&dev_1001&subsys_00021af4&rev_00"
    )
    assert _values(system, key) == {
        "Service": "viostor",
        "ClassGUID": "{4D36E97B-E325-11CE-BFC1-08002BE10318}",
    }
    assert (
        not RegistryHive(str(system))
        .get_key("\\")
        .get_subkey("DriverDatabase", raise_on_missing=False)
    )
    assert list(plan.writes) == ["Windows/System32/drivers/viostor.sys"]


def test_volume_without_windows_is_refused(tmp_path, msi):
    with pytest.raises(ImageError, match="no Windows installation"):
        plan_customize(DirVolume(tmp_path), CustomizeOptions(agent_msi=msi))


def test_unknown_bus_is_refused(windows_dir):
    with pytest.raises(ImageError, match="unknown disk bus"):
        plan_customize(DirVolume(windows_dir()), CustomizeOptions(bus="ide"))


def test_setupcomplete_block_goes_before_a_final_exit():
    text = render_setupcomplete("echo site\r\nexit /b 0\r\n\r\n", agent=True, drivers=False)
    lines = text.split("\r\n")
    assert lines[0] == "echo site" and lines[1] == BEGIN
    assert lines[-2] == "exit /b 0"
    assert render_setupcomplete(text, agent=True, drivers=False) == text


def test_setupcomplete_untouched_when_nothing_is_staged():
    original = "echo site\nexit\n"
    assert render_setupcomplete(original, agent=False, drivers=False) == original
