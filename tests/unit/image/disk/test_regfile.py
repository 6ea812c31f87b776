"""The .reg parser and its application to hives (values read back with regipy)."""

from __future__ import annotations

import pytest
from regipy.registry import RegistryHive

from tests.image_hives import write_hive
from wincloud.errors import ConfigError
from wincloud.image.disk.hive import Hive, RegType, RegValue, edit_hive
from wincloud.image.disk.regfile import apply_reg, parse_reg, read_reg

REG = r"""Windows Registry Editor Version 5.00

; a comment
[HKEY_LOCAL_MACHINE\SOFTWARE\Contoso\App]
"Name"="say \"hi\" C:\\x"
@="default"
"Count"=dword:0000002a
"Blob"=hex:01,02,\
  03
"Paths"=hex(7):61,00,00,00,62,00,00,00,00,00
"Expand"=hex(2):25,00,00,00
"Big"=hex(b):01,00,00,00,00,00,00,00

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters]
"Domain"="example.test"
"Old"=-

[-HKEY_LOCAL_MACHINE\SOFTWARE\Contoso\Gone]
"""


def test_parse_every_value_form():
    edits = parse_reg(REG, subject="x.reg")
    values = {(e.hive, e.name): e.value for e in edits if e.name is not None}
    assert values[("SOFTWARE", "Name")] == RegValue.sz('say "hi" C:\\x')
    assert values[("SOFTWARE", "")] == RegValue.sz("default")
    assert values[("SOFTWARE", "Count")] == RegValue.dword(42)
    assert values[("SOFTWARE", "Blob")] == RegValue.binary(b"\x01\x02\x03")
    assert values[("SOFTWARE", "Paths")] == RegValue.multi_sz(["a", "b"])
    assert values[("SOFTWARE", "Expand")].type == RegType.EXPAND_SZ
    assert values[("SOFTWARE", "Big")] == RegValue.qword(1)
    assert values[("SYSTEM", "Old")] is None
    deleted = [e for e in edits if e.name is None and e.value is None]
    assert [(e.hive, e.key) for e in deleted] == [("SOFTWARE", "Contoso\\Gone")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello", "not a .reg file"),
        ('Windows Registry Editor Version 5.00\n"a"=dword:1\n', "outside a key"),
        ("Windows Registry Editor Version 5.00\n[HKEY_CURRENT_USER\\X]\n", "HKEY_LOCAL_MACHINE"),
        ("Windows Registry Editor Version 5.00\n[HKLM\\SAM\\X]\n", "not supported"),
        ('Windows Registry Editor Version 5.00\n[HKLM\\SOFTWARE\\X]\n"a"=wat\n', "unknown value"),
    ],
)
def test_bad_files_name_the_line(text, message):
    with pytest.raises(ConfigError, match=message) as info:
        parse_reg(text, subject="x.reg")
    assert info.value.subject is not None and info.value.subject.startswith("x.reg")


def test_apply_maps_current_control_set_and_is_idempotent(tmp_path):
    software = write_hive(tmp_path / "SOFTWARE", {"Contoso\\Gone": {"x": 1}})
    system = write_hive(
        tmp_path / "SYSTEM", {"ControlSet002\\Services\\Tcpip\\Parameters": {"Old": 1}}
    )
    edits = parse_reg(REG, subject="x.reg")
    for expect in (True, False):
        with edit_hive(software) as sw, edit_hive(system) as sy:
            assert apply_reg(edits, {"SOFTWARE": sw, "SYSTEM": sy}, "ControlSet002") is expect
    key = RegistryHive(str(system)).get_key("\\ControlSet002\\Services\\Tcpip\\Parameters")
    assert {v.name: v.value for v in key.iter_values()} == {"Domain": "example.test"}
    with Hive.open(software) as sw:
        assert not sw.has_key("Contoso\\Gone")
        assert sw.find_int("Contoso\\App", "Count") == 42


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig", "utf-8"])
def test_regedit_exports_in_utf16_are_read(tmp_path, encoding):
    # regedit.exe exports UTF-16LE with a byte-order mark: customize died on a UnicodeDecodeError.
    path = tmp_path / "export.reg"
    body = REG.replace("\n", "\r\n")
    data = body.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path.write_bytes(data)
    assert read_reg(path) == parse_reg(REG, subject=str(path))


def test_reg_file_in_another_encoding_is_a_config_error(tmp_path):
    path = tmp_path / "latin1.reg"
    path.write_bytes(REG.replace("Contoso", "Caf\xe9").encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8 text") as info:
        read_reg(path)
    assert info.value.subject == str(path)


def test_customize_with_a_utf16_reg_file_plans_its_edit(windows_dir, tmp_path):
    from wincloud.image.disk.customize import CustomizeOptions, plan_customize
    from wincloud.image.disk.volume import DirVolume

    reg = tmp_path / "export.reg"
    text = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\X]\r\n"
    reg.write_bytes(text.encode("utf-16"))
    volume = DirVolume(windows_dir(agent=False, drivers={}))
    plan = plan_customize(volume, CustomizeOptions(reg_files=(reg,)))
    assert list(plan.reasons.values()) == ["registry edits"]


@pytest.mark.parametrize(
    "value", ["dword:-1", "dword:1ffffffff", "dword:", "dword:0x10", "hex(100000000):00"]
)
def test_out_of_range_numbers_are_refused_not_truncated(value):
    # dword:1ffffffff and dword:-1 were stored as ffffffff without a word.
    text = f'Windows Registry Editor Version 5.00\n[HKLM\\SOFTWARE\\X]\n"a"={value}\n'
    with pytest.raises(ConfigError) as info:
        parse_reg(text, subject="x.reg")
    assert info.value.subject == "x.reg:3"


@pytest.mark.parametrize(
    "key",
    [
        "SOFTWARE",
        "SOFTWARE\\Microsoft",
        "SOFTWARE\\Classes",
        "SYSTEM",
        "SYSTEM\\CurrentControlSet",
        "SYSTEM\\ControlSet001",
        "SYSTEM\\currentcontrolset\\Services",
        "SYSTEM\\ControlSet002\\Control",
        "SYSTEM\\CurrentControlSet\\Enum",
        "SYSTEM\\Select",
        "SYSTEM\\MountedDevices",
    ],
)
def test_deleting_a_key_windows_boots_from_is_refused_at_parse(key):
    # [-HKLM\SYSTEM\CurrentControlSet] deleted ControlSet001 (the image no longer booted);
    # a hive root was refused only after the appliance had booted
    text = f"Windows Registry Editor Version 5.00\n\n[-HKEY_LOCAL_MACHINE\\{key}]\n"
    with pytest.raises(ConfigError, match="refusing to delete HKEY_LOCAL_MACHINE") as caught:
        parse_reg(text, subject="x.reg")
    assert caught.value.subject == "x.reg:3"


@pytest.mark.parametrize(
    "key",
    ["SOFTWARE\\OldVendor", "SOFTWARE\\Microsoft\\Foo", "SYSTEM\\CurrentControlSet\\Services\\Foo"],
)
def test_deleting_ordinary_keys_is_fine(key):
    text = f"Windows Registry Editor Version 5.00\n\n[-HKEY_LOCAL_MACHINE\\{key}]\n"
    assert parse_reg(text, subject="x.reg")[0].value is None
