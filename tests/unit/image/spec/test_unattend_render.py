"""render_unattend: what each stage holds, read back with an XML parser (not by text)."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest

from tests.unit.image.spec.conftest import base_data
from wincloud.image.spec import load_spec
from wincloud.image.unattend import render_unattend
from wincloud.image.unattend.render import BUILD_ACCOUNT, encode_password

NS = {"u": "urn:schemas-microsoft-com:unattend"}
WCM = "{http://schemas.microsoft.com/WMIConfig/2002/State}action"


def render(write_spec, stage, **changes):
    data = base_data()
    for key, value in changes.items():
        table, _, name = key.partition("__")
        if value is None:
            data[table].pop(name, None)
        else:
            data[table][name] = value
    return render_unattend(load_spec(write_spec(data)), stage)


def tree(data: bytes) -> ET.Element:
    return ET.fromstring(data)


def component(root: ET.Element, pass_: str, name: str) -> ET.Element | None:
    return root.find(f"u:settings[@pass='{pass_}']/u:component[@name='{name}']", NS)


def test_same_spec_same_bytes_ascii_with_declaration(write_spec):
    one = render(write_spec, "install")
    assert one == render(write_spec, "install")
    assert one.isascii()
    assert one.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<unattend ')
    assert one.endswith(b"</unattend>\n")


def test_unknown_stage_is_refused(write_spec):
    with pytest.raises(ValueError, match="stage"):
        render_unattend(load_spec(write_spec()), "audit")  # type: ignore[arg-type]


@pytest.mark.parametrize("stage", ["install", "generalize"])
@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_every_component_carries_the_assembly_attributes(write_spec, stage, arch):
    root = tree(render(write_spec, stage, source__architecture=arch))
    components = root.findall("u:settings/u:component", NS)
    assert components
    for comp in components:
        assert comp.get("processorArchitecture") == arch
        assert comp.get("publicKeyToken") == "31bf3856ad364e35"
        assert comp.get("language") == "neutral"
        assert comp.get("versionScope") == "nonSxS"


def test_install_uefi_layout_is_esp_msr_windows(write_spec):
    setup = component(tree(render(write_spec, "install")), "windowsPE", "Microsoft-Windows-Setup")
    disk = setup.find("u:DiskConfiguration/u:Disk", NS)
    created = [
        (p.findtext("u:Type", namespaces=NS), p.findtext("u:Size", namespaces=NS))
        for p in disk.findall("u:CreatePartitions/u:CreatePartition", NS)
    ]
    assert [t for t, _ in created] == ["EFI", "MSR", "Primary"]
    assert 100 <= int(created[0][1]) <= 260 and created[1][1] == "16" and created[2][1] is None
    formats = {
        p.findtext("u:PartitionID", namespaces=NS): p.findtext("u:Format", namespaces=NS)
        for p in disk.findall("u:ModifyPartitions/u:ModifyPartition", NS)
    }
    assert formats == {"1": "FAT32", "3": "NTFS"}  # the MSR is never formatted
    assert (
        setup.findtext("u:ImageInstall/u:OSImage/u:InstallTo/u:PartitionID", namespaces=NS) == "3"
    )


def test_install_bios_layout_is_active_system_then_windows(write_spec):
    root = tree(render(write_spec, "install", firmware__type="bios", firmware__secure_boot=False))
    setup = component(root, "windowsPE", "Microsoft-Windows-Setup")
    parts = setup.findall("u:DiskConfiguration/u:Disk/u:CreatePartitions/u:CreatePartition", NS)
    assert [p.findtext("u:Type", namespaces=NS) for p in parts] == ["Primary", "Primary"]
    assert parts[0].findtext("u:Size", namespaces=NS) == "100"
    system = setup.find("u:DiskConfiguration/u:Disk/u:ModifyPartitions/u:ModifyPartition", NS)
    assert system.findtext("u:Active", namespaces=NS) == "true"
    assert (
        setup.findtext("u:ImageInstall/u:OSImage/u:InstallTo/u:PartitionID", namespaces=NS) == "2"
    )


def test_image_by_name_or_by_index(write_spec):
    setup = component(tree(render(write_spec, "install")), "windowsPE", "Microsoft-Windows-Setup")
    meta = setup.find("u:ImageInstall/u:OSImage/u:InstallFrom/u:MetaData", NS)
    assert meta.get(WCM) == "add"
    assert meta.findtext("u:Key", namespaces=NS) == "/IMAGE/NAME"
    assert meta.findtext("u:Value", namespaces=NS) == "Windows Server 2022 SERVERSTANDARD"
    root = tree(
        render(write_spec, "install", source__edition=None, source__index=3, licensing__mode="none")
    )
    meta = component(root, "windowsPE", "Microsoft-Windows-Setup").find(
        "u:ImageInstall/u:OSImage/u:InstallFrom/u:MetaData", NS
    )
    assert (meta.findtext("u:Key", namespaces=NS), meta.findtext("u:Value", namespaces=NS)) == (
        "/IMAGE/INDEX",
        "3",
    )


def test_install_key_only_when_licensing_gives_one(write_spec):
    with_key = component(
        tree(render(write_spec, "install")), "windowsPE", "Microsoft-Windows-Setup"
    )
    assert with_key.findtext("u:UserData/u:ProductKey/u:Key", namespaces=NS) == (
        "VDYBN-27WPP-V4HQT-9VMD4-VMK7H"
    )
    assert with_key.findtext("u:UserData/u:AcceptEula", namespaces=NS) == "true"
    root = tree(render(write_spec, "install", licensing__mode="none"))
    setup = component(root, "windowsPE", "Microsoft-Windows-Setup")
    assert setup.find("u:UserData/u:ProductKey", NS) is None
    assert root.find(".//u:Key", NS) is None or all(
        k.text for k in root.iter("{urn:schemas-microsoft-com:unattend}Key")
    )


def test_a_key_file_goes_into_install_but_not_into_generalize(write_spec, tmp_path):
    (tmp_path / "mak.key").write_text("AAAAA-BBBBB-CCCCC-DDDDD-EEEEE\n")
    install = render(write_spec, "install", licensing__mode="file:mak.key")
    assert b"AAAAA-BBBBB-CCCCC-DDDDD-EEEEE" in install
    assert b"AAAAA-BBBBB" not in render(write_spec, "generalize", licensing__mode="file:mak.key")


def test_stage_markers_go_to_com1_in_windowspe_specialize_and_first_logon(write_spec):
    root = tree(render(write_spec, "install"))
    pe = component(root, "windowsPE", "Microsoft-Windows-Setup")
    spec = component(root, "specialize", "Microsoft-Windows-Deployment")
    shell = component(root, "oobeSystem", "Microsoft-Windows-Shell-Setup")
    pe_path = pe.findtext("u:RunSynchronous/u:RunSynchronousCommand/u:Path", namespaces=NS)
    sp_path = spec.findtext("u:RunSynchronous/u:RunSynchronousCommand/u:Path", namespaces=NS)
    assert "echo WINCLOUD-STAGE windowspe>COM1" in pe_path
    assert "echo WINCLOUD-STAGE specialize>COM1" in sp_path
    assert sp_path.index("mode COM1") < sp_path.index("echo")
    lines = [
        c.findtext("u:CommandLine", namespaces=NS)
        for c in shell.findall("u:FirstLogonCommands/u:SynchronousCommand", NS)
    ]
    assert "echo WINCLOUD-STAGE firstlogon>COM1" in lines[0]
    assert r"if exist %d:\wincloud\build.ps1" in lines[1]
    assert (
        r"powershell.exe -NoProfile -ExecutionPolicy Bypass -File %d:\wincloud\build.ps1"
        in lines[1]
    )


def test_install_build_account_logs_on_once_with_an_encoded_password(write_spec):
    shell = component(
        tree(render(write_spec, "install")), "oobeSystem", "Microsoft-Windows-Shell-Setup"
    )
    logon = shell.find("u:AutoLogon", NS)
    assert logon.findtext("u:Username", namespaces=NS) == BUILD_ACCOUNT
    assert logon.findtext("u:LogonCount", namespaces=NS) == "1"
    assert logon.findtext("u:Password/u:PlainText", namespaces=NS) == "false"
    account = shell.find("u:UserAccounts/u:LocalAccounts/u:LocalAccount", NS)
    assert account.findtext("u:Name", namespaces=NS) == BUILD_ACCOUNT
    assert account.findtext("u:Group", namespaces=NS) == "Administrators"
    assert account.findtext("u:Password/u:Value", namespaces=NS) == logon.findtext(
        "u:Password/u:Value", namespaces=NS
    )


def test_password_encoding_is_base64_of_utf16le_with_the_element_name():
    encoded = encode_password("abc")
    assert base64.b64decode(encoded).decode("utf-16-le") == "abcPassword"


def test_generalize_has_no_account_and_no_password(write_spec):
    data = render(write_spec, "generalize")
    for tag in (b"Password>", b"<AutoLogon", b"<LocalAccount", b"<FirstLogonCommands"):
        assert tag not in data


def test_generalize_keeps_drivers_and_skips_oobe(write_spec):
    root = tree(render(write_spec, "generalize"))
    pnp = component(root, "generalize", "Microsoft-Windows-PnpSysprep")
    assert pnp.findtext("u:PersistAllDeviceInstalls", namespaces=NS) == "true"
    oobe = component(root, "oobeSystem", "Microsoft-Windows-Shell-Setup").find("u:OOBE", NS)
    for skip in ("HideEULAPage", "SkipMachineOOBE", "SkipUserOOBE", "HideLocalAccountScreen"):
        assert oobe.findtext(f"u:{skip}", namespaces=NS) == "true"
    core = component(root, "oobeSystem", "Microsoft-Windows-International-Core")
    assert core.findtext("u:UserLocale", namespaces=NS) == "en-US"
    assert b"SkipRearm" not in render(write_spec, "generalize")


def test_generalize_kms_key_in_specialize_only_for_kms_client(write_spec):
    root = tree(render(write_spec, "generalize"))
    shell = component(root, "specialize", "Microsoft-Windows-Shell-Setup")
    assert shell.findtext("u:ProductKey", namespaces=NS) == "VDYBN-27WPP-V4HQT-9VMD4-VMK7H"
    none = tree(render(write_spec, "generalize", licensing__mode="none"))
    assert (
        component(none, "specialize", "Microsoft-Windows-Shell-Setup").find("u:ProductKey", NS)
        is None
    )


def test_locale_and_time_zone_come_from_the_spec(write_spec):
    data = base_data()
    data["locale"].update(
        ui_language="de-DE", input_locale="0407:00000407", time_zone="W. Europe Standard Time"
    )
    root = tree(render_unattend(load_spec(write_spec(data)), "install"))
    winpe = component(root, "windowsPE", "Microsoft-Windows-International-Core-WinPE")
    assert winpe.findtext("u:SetupUILanguage/u:UILanguage", namespaces=NS) == "de-DE"
    assert winpe.findtext("u:InputLocale", namespaces=NS) == "0407:00000407"
    shell = component(root, "specialize", "Microsoft-Windows-Shell-Setup")
    assert shell.findtext("u:TimeZone", namespaces=NS) == "W. Europe Standard Time"


def test_server_manager_is_hidden_on_server_only(write_spec):
    assert b"Microsoft-Windows-ServerManager-SvrMgrNc" in render(write_spec, "generalize")
    data = base_data()
    data["source"].update(version="10", edition="Windows 10 Pro")
    assert b"ServerManager" not in render_unattend(load_spec(write_spec(data)), "generalize")
