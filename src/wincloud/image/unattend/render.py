"""Answer files from a spec, built as an XML tree (xml.etree), never from text templates.

* ``install`` (``/autounattend.xml`` on the answer CD): windowsPE (locale, disk layout for
  UEFI/GPT or BIOS/MBR, the image by name or index, the EULA, the product key when the
  licensing mode gives one, a ``windowspe`` stage marker), specialize (computer name, time
  zone, ``specialize`` stage marker on COM1), oobeSystem (OOBE skipped, a build account that
  logs on once and whose first-logon commands find the answer CD by drive letter and run
  ``\\wincloud\\build.ps1``). Drivers come from the CD's ``$WinPEDriver$`` folder, so there
  are no DriverPaths.
* ``generalize`` (``/wincloud/generalize.xml``, for ``sysprep /generalize /oobe``): what
  every clone gets. No password and no account (the agent creates the administrator at
  SetupComplete); Plug and Play state kept (PersistAllDeviceInstalls); OOBE skipped; time
  zone and locale; the KMS client setup key in specialize when ``licensing.mode =
  "kms-client"``. SkipRearm is never set: clones must rearm to get their own KMS machine id.

The output is ASCII (checked), UTF-8 declared, two-space indented, with a trailing newline:
the same spec gives the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import xml.etree.ElementTree as ET
from typing import Final, Literal

from wincloud.errors import ImageError
from wincloud.image.spec import ImageSpec
from wincloud.image.unattend.components import PUBLIC_KEY_TOKEN, UNATTEND_NS, WCM_NS, XSI_NS

Stage = Literal["install", "generalize"]
STAGES: Final = ("install", "generalize")

BUILD_ACCOUNT: Final = "wincloud-build"
"""The local administrator the build logs on with once (build.ps1 removes it before sysprep)."""
CD_SCRIPT: Final = r"\wincloud\build.ps1"
ESP_MIB: Final = 260  # Microsoft: 100 MB, 260 MB on 4K-native disks; 260 fits both
MSR_MIB: Final = 16
BIOS_SYSTEM_MIB: Final = 100
COM1_MODE: Final = "mode COM1 BAUD=115200 PARITY=n DATA=8 STOP=1 >NUL"
_LETTERS: Final = "DEFGHIJKLMNOPQRSTUVWXYZ"


def render_unattend(spec: ImageSpec, stage: Stage) -> bytes:
    """The answer file for ``stage`` as bytes (ASCII, UTF-8 declared)."""
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, not {stage!r}")
    root = ET.Element("unattend", {"xmlns": UNATTEND_NS})
    root.append(
        ET.Comment(f" wincloud image unattend, stage {stage}, spec sha256:{spec.digest()} ")
    )
    if stage == "install":
        _install(root, spec)
    else:
        _generalize(root, spec)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    text = '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"
    if not text.isascii():  # the spec keeps its strings ASCII; this is a last guard
        raise ImageError("the answer file would not be ASCII", subject=stage)
    return text.encode("ascii")


# -- building blocks ------------------------------------------------------------------------


def _sub(parent: ET.Element, tag: str, text: str | int | bool | None = None) -> ET.Element:
    node = ET.SubElement(parent, tag)
    if isinstance(text, bool):
        node.text = "true" if text else "false"
    elif text is not None:
        node.text = str(text)
    return node


def _add(parent: ET.Element, tag: str) -> ET.Element:
    """A list item (``wcm:action="add"``)."""
    return ET.SubElement(parent, tag, {"wcm:action": "add"})


def _settings(root: ET.Element, pass_: str) -> ET.Element:
    return ET.SubElement(root, "settings", {"pass": pass_})


def _component(settings: ET.Element, name: str, spec: ImageSpec) -> ET.Element:
    return ET.SubElement(
        settings,
        "component",
        {
            "name": name,
            "processorArchitecture": spec.source.architecture,
            "publicKeyToken": PUBLIC_KEY_TOKEN,
            "language": "neutral",
            "versionScope": "nonSxS",
            "xmlns:wcm": WCM_NS,
            "xmlns:xsi": XSI_NS,
        },
    )


def _locale(component: ET.Element, spec: ImageSpec, *, winpe: bool) -> None:
    loc = spec.locale
    _sub(component, "InputLocale", loc.input_locale)
    _sub(component, "SystemLocale", loc.system_locale)
    _sub(component, "UILanguage", loc.ui_language)
    if winpe:
        _sub(_sub(component, "SetupUILanguage"), "UILanguage", loc.ui_language)
    _sub(component, "UserLocale", loc.user_locale)


def encode_password(password: str, element: str = "Password") -> str:
    """The answer-file encoding of a password (``PlainText`` false): base64 of the UTF-16LE
    text of the password followed by the element's name. Obfuscation, not encryption."""
    return base64.b64encode((password + element).encode("utf-16-le")).decode("ascii")


def build_password(spec: ImageSpec) -> str:
    """The build account's password: derived from the spec's digest, so the answer CD is
    reproducible; it guards a VM that exists only while it builds."""
    digest = hashlib.sha256(f"wincloud-build-account:{spec.digest()}".encode()).hexdigest()
    return f"Wc1!{digest[:20]}"


def _password(parent: ET.Element, tag: str, password: str) -> None:
    node = _sub(parent, tag)
    _sub(node, "Value", encode_password(password, "Password"))
    _sub(node, "PlainText", False)


def _serial_marker(stage: str) -> str:
    """A command line that writes ``WINCLOUD-STAGE <stage>`` on COM1 and always exits 0 (a
    missing port must not fail Setup)."""
    return f'cmd.exe /c "{COM1_MODE} & (echo WINCLOUD-STAGE {stage}>COM1) & exit /b 0"'


def _run_synchronous(component: ET.Element, commands: list[tuple[str, str]]) -> None:
    run = _sub(component, "RunSynchronous")
    for order, (description, path) in enumerate(commands, start=1):
        cmd = _add(run, "RunSynchronousCommand")
        _sub(cmd, "Order", order)
        _sub(cmd, "Description", description)
        _sub(cmd, "Path", path)


# -- install --------------------------------------------------------------------------------


def _disk(setup: ET.Element, spec: ImageSpec) -> int:
    """The disk layout; returns the Windows partition's number."""
    disk = _add(_sub(setup, "DiskConfiguration"), "Disk")
    _sub(disk, "DiskID", 0)
    _sub(disk, "WillWipeDisk", True)
    create = _sub(disk, "CreatePartitions")
    modify = _sub(disk, "ModifyPartitions")

    def part(order: int, type_: str, size: int | None) -> None:
        node = _add(create, "CreatePartition")
        _sub(node, "Order", order)
        _sub(node, "Type", type_)
        if size is None:
            _sub(node, "Extend", True)
        else:
            _sub(node, "Size", size)

    def fmt(order: int, fs: str, label: str, letter: str | None, active: bool = False) -> None:
        node = _add(modify, "ModifyPartition")
        _sub(node, "Order", order)
        _sub(node, "PartitionID", order)
        if active:
            _sub(node, "Active", True)
        _sub(node, "Format", fs)
        _sub(node, "Label", label)
        if letter:
            _sub(node, "Letter", letter)

    if spec.firmware.type == "uefi":  # GPT: ESP (FAT32), MSR (never formatted), Windows
        part(1, "EFI", ESP_MIB)
        part(2, "MSR", MSR_MIB)
        part(3, "Primary", None)
        fmt(1, "FAT32", "System", None)
        node = _add(modify, "ModifyPartition")
        _sub(node, "Order", 2)
        _sub(node, "PartitionID", 3)
        _sub(node, "Format", "NTFS")
        _sub(node, "Label", "Windows")
        _sub(node, "Letter", "C")
        return 3
    part(1, "Primary", BIOS_SYSTEM_MIB)  # MBR: active system partition, then Windows
    part(2, "Primary", None)
    fmt(1, "NTFS", "System", None, active=True)
    fmt(2, "NTFS", "Windows", "C")
    return 2


def _install(root: ET.Element, spec: ImageSpec) -> None:
    pe = _settings(root, "windowsPE")
    _locale(_component(pe, "Microsoft-Windows-International-Core-WinPE", spec), spec, winpe=True)
    setup = _component(pe, "Microsoft-Windows-Setup", spec)
    windows_partition = _disk(setup, spec)
    image = _sub(_sub(setup, "ImageInstall"), "OSImage")
    meta = _add(_sub(image, "InstallFrom"), "MetaData")
    if spec.source.edition is not None:
        _sub(meta, "Key", "/IMAGE/NAME")
        _sub(meta, "Value", spec.source.edition)
    else:
        _sub(meta, "Key", "/IMAGE/INDEX")
        _sub(meta, "Value", spec.source.index)
    to = _sub(image, "InstallTo")
    _sub(to, "DiskID", 0)
    _sub(to, "PartitionID", windows_partition)
    _sub(image, "WillShowUI", "OnError")
    _run_synchronous(setup, [("wincloud stage marker", _serial_marker("windowspe"))])
    user = _sub(setup, "UserData")
    _sub(user, "AcceptEula", True)
    key = spec.product_key()
    if key:  # never an empty Key element: Setup would stop and ask
        product = _sub(user, "ProductKey")
        _sub(product, "Key", key)
        _sub(product, "WillShowUI", "OnError")

    special = _settings(root, "specialize")
    shell = _component(special, "Microsoft-Windows-Shell-Setup", spec)
    _sub(shell, "ComputerName", "*")
    _sub(shell, "TimeZone", spec.locale.time_zone)
    deploy = _component(special, "Microsoft-Windows-Deployment", spec)
    _run_synchronous(deploy, [("wincloud stage marker", _serial_marker("specialize"))])
    _server_manager(special, spec)

    oobe = _settings(root, "oobeSystem")
    _locale(_component(oobe, "Microsoft-Windows-International-Core", spec), spec, winpe=False)
    shell = _component(oobe, "Microsoft-Windows-Shell-Setup", spec)
    password = build_password(spec)
    logon = _sub(shell, "AutoLogon")
    _password(logon, "Password", password)
    _sub(logon, "Enabled", True)
    _sub(logon, "LogonCount", 1)
    _sub(logon, "Username", BUILD_ACCOUNT)
    first = _sub(shell, "FirstLogonCommands")
    for order, (description, line) in enumerate(_first_logon(), start=1):
        cmd = _add(first, "SynchronousCommand")
        _sub(cmd, "CommandLine", line)
        _sub(cmd, "Description", description)
        _sub(cmd, "Order", order)
    _oobe(shell)
    accounts = _sub(_sub(shell, "UserAccounts"), "LocalAccounts")
    account = _add(accounts, "LocalAccount")
    _password(account, "Password", password)
    _sub(account, "Description", "wincloud image build (removed before sysprep)")
    _sub(account, "DisplayName", BUILD_ACCOUNT)
    _sub(account, "Group", "Administrators")
    _sub(account, "Name", BUILD_ACCOUNT)
    _sub(shell, "TimeZone", spec.locale.time_zone)


def _first_logon() -> list[tuple[str, str]]:
    loop = (
        f"for %d in ({' '.join(_LETTERS)}) do @if exist %d:{CD_SCRIPT}"
        f" powershell.exe -NoProfile -ExecutionPolicy Bypass -File %d:{CD_SCRIPT}"
    )
    return [
        ("wincloud stage marker", _serial_marker("firstlogon")),
        ("wincloud build script from the answer CD", f'cmd.exe /c "{loop}"'),
    ]


def _oobe(shell: ET.Element) -> None:
    oobe = _sub(shell, "OOBE")
    _sub(oobe, "HideEULAPage", True)
    _sub(oobe, "HideLocalAccountScreen", True)
    _sub(oobe, "HideOEMRegistrationScreen", True)
    _sub(oobe, "HideOnlineAccountScreens", True)
    _sub(oobe, "HideWirelessSetupInOOBE", True)
    _sub(oobe, "ProtectYourPC", 3)


def _server_manager(special: ET.Element, spec: ImageSpec) -> None:
    if spec.source.is_server:
        manager = _component(special, "Microsoft-Windows-ServerManager-SvrMgrNc", spec)
        _sub(manager, "DoNotOpenServerManagerAtLogon", True)


# -- generalize -----------------------------------------------------------------------------


def _generalize(root: ET.Element, spec: ImageSpec) -> None:
    gen = _settings(root, "generalize")
    pnp = _component(gen, "Microsoft-Windows-PnpSysprep", spec)
    _sub(pnp, "PersistAllDeviceInstalls", True)

    special = _settings(root, "specialize")
    shell = _component(special, "Microsoft-Windows-Shell-Setup", spec)
    _sub(shell, "ComputerName", "*")
    if spec.licensing.kind == "kms-client":
        key = spec.product_key()
        if key:
            _sub(shell, "ProductKey", key)
    _sub(shell, "TimeZone", spec.locale.time_zone)
    _server_manager(special, spec)

    oobe = _settings(root, "oobeSystem")
    _locale(_component(oobe, "Microsoft-Windows-International-Core", spec), spec, winpe=False)
    shell = _component(oobe, "Microsoft-Windows-Shell-Setup", spec)
    _oobe(shell)
    skips = shell.find("OOBE")
    assert skips is not None
    # Deprecated but still honoured: without them a clone of a Server image stops at the
    # administrator-password page, since this file carries no password by design.
    _sub(skips, "SkipMachineOOBE", True)
    _sub(skips, "SkipUserOOBE", True)
    _sub(shell, "TimeZone", spec.locale.time_zone)
