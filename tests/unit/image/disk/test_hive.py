"""The hivex wrapper on hives written from scratch, checked with regipy (an independent reader)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from regipy.registry import RegistryHive

from tests.image_hives import empty_hive, write_hive
from wincloud.errors import ImageError
from wincloud.image.disk.hive import Hive, RegValue, edit_hive

KEYS = {
    "Microsoft\\Windows NT\\CurrentVersion": {
        "ProductName": "Windows Server 2022 Standard",
        "CurrentMajorVersionNumber": 10,
        "Path": ("expand", "%SystemRoot%\\x"),
        "Multi": ["a", "b"],
        "Blob": b"\x01\xff",
    }
}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_empty_hive_from_scratch_reads_in_regipy(tmp_path):
    path = tmp_path / "EMPTY"
    path.write_bytes(empty_hive())
    assert [k.name for k in RegistryHive(str(path)).root.iter_subkeys()] == []
    with Hive.open(path) as hive:
        assert hive.subkeys("") == []


def test_typed_values_read_back(tmp_path):
    path = write_hive(tmp_path / "SOFTWARE", KEYS)
    with Hive.open(path) as hive:
        key = "microsoft\\WINDOWS NT\\currentversion"  # names compare case-insensitively
        assert hive.find_str(key, "ProductName") == "Windows Server 2022 Standard"
        assert hive.find_int(key, "CurrentMajorVersionNumber") == 10
        assert hive.find_str(key, "Path") == "%SystemRoot%\\x"
        values = hive.values(key)
        assert values is not None
        assert values["Multi"].as_list() == ["a", "b"]
        assert values["Blob"] == RegValue.binary(b"\x01\xff")
        assert hive.find_value(key, "Absent") is None
        assert hive.values("No\\Such\\Key") is None


def test_edits_are_visible_to_regipy(tmp_path):
    path = write_hive(tmp_path / "SYSTEM", KEYS)
    with edit_hive(path) as hive:
        hive.set_value("ControlSet001\\Services\\viostor", "Start", RegValue.dword(0))
        hive.set_value("ControlSet001\\Services\\viostor", "Group", RegValue.sz("SCSI miniport"))
        hive.set_value("ControlSet001\\Services\\viostor", "Q", RegValue.qword(1 << 40))
        hive.delete_value("Microsoft\\Windows NT\\CurrentVersion", "Blob")
    reg = RegistryHive(str(path))
    values = {
        v.name: v.value for v in reg.get_key("\\ControlSet001\\Services\\viostor").iter_values()
    }
    assert values == {"Start": 0, "Group": "SCSI miniport", "Q": 1 << 40}
    names = [v.name for v in reg.get_key("\\Microsoft\\Windows NT\\CurrentVersion").iter_values()]
    assert "Blob" not in names and "ProductName" in names


def test_edit_that_changes_nothing_leaves_the_file_alone(tmp_path):
    path = write_hive(tmp_path / "SOFTWARE", KEYS)
    before = _digest(path)
    with edit_hive(path) as hive:
        assert (
            hive.set_value(
                "Microsoft\\Windows NT\\CurrentVersion",
                "CurrentMajorVersionNumber",
                RegValue.dword(10),
            )
            is False
        )
        assert hive.ensure_key("Microsoft") is False
    assert _digest(path) == before


def test_failed_edit_keeps_the_original(tmp_path):
    path = write_hive(tmp_path / "SOFTWARE", KEYS)
    before = _digest(path)
    with pytest.raises(RuntimeError), edit_hive(path) as hive:
        hive.set_value("New", "x", RegValue.dword(1))
        raise RuntimeError("boom")
    assert _digest(path) == before


def test_delete_key_removes_the_subtree(tmp_path):
    path = write_hive(tmp_path / "SOFTWARE", KEYS)
    with edit_hive(path) as hive:
        assert hive.delete_key("Microsoft\\Windows NT") is True
        assert hive.delete_key("Microsoft\\Windows NT") is False
    with Hive.open(path) as hive:
        assert hive.subkeys("Microsoft") == []


def test_read_only_hive_refuses_edits(tmp_path):
    path = write_hive(tmp_path / "SOFTWARE", KEYS)
    with Hive.open(path) as hive, pytest.raises(ImageError, match="read-only"):
        hive.set_value("X", "y", RegValue.dword(1))


def test_not_a_hive_is_an_image_error(tmp_path):
    path = tmp_path / "junk"
    path.write_bytes(b"not a hive" * 100)
    with pytest.raises(ImageError, match="cannot open the hive"), Hive.open(path):
        pass


@pytest.mark.parametrize(
    ("hive", "data"),
    [("SOFTWARE", b"not a hive" * 100), ("SYSTEM", b""), ("SOFTWARE", None)],
)
def test_a_damaged_hive_is_named_in_the_image_not_in_a_temporary_copy(windows_dir, hive, data):
    # the error named /tmp/wincloud-hives-XXXX/SOFTWARE, a copy deleted before it was shown
    from wincloud.errors import ImageError
    from wincloud.image.disk.volume import DirVolume
    from wincloud.image.disk.windows import read_facts

    root = windows_dir()
    path = root / "Windows" / "System32" / "config" / hive
    path.write_bytes(path.read_bytes()[:8192] if data is None else data)
    with pytest.raises(ImageError) as caught:
        read_facts(DirVolume(root))
    assert caught.value.subject == f"{root}:Windows/System32/config/{hive}"
    assert caught.value.message.startswith("damaged registry hive: ")
