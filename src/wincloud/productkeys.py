"""Public Windows product keys, as data, shared by the guest agent and the image builder.

* AVMA keys (Automatic Virtual Machine Activation on a Hyper-V host running Windows Server
  Datacenter): https://learn.microsoft.com/windows-server/get-started/automatic-vm-activation
* KMS client setup keys (Generic Volume License Keys, GVLKs), Windows Server 2016-2025 and
  Windows 10/11 (one key per edition for both): "Key Management Services (KMS) client
  activation and product keys",
  https://learn.microsoft.com/windows-server/get-started/kms-client-activation-keys
  (MicrosoftDocs/windowsserverdocs, WindowsServerDocs/get-started/kms-client-activation-keys.md).
  The Enterprise LTSC/LTSB keys are not here: they depend on the LTSC release, not the edition.

These keys are not secrets (they activate nothing by themselves: AVMA needs an activated host,
a GVLK a KMS host). Editions are keyed by EditionID (``HKLM\\SOFTWARE\\Microsoft\\Windows NT\\
CurrentVersion\\EditionID``); Server versions by build number; Windows 10 and 11 by ``client``.

This module imports nothing (the agent and the image builder both use it): pure data and
small lookups.
"""

from __future__ import annotations

import re
from typing import Final, Literal

SERVER_BUILDS: Final[dict[int, str]] = {14393: "2016", 17763: "2019", 20348: "2022", 26100: "2025"}
"""Windows Server build number -> version."""

AVMA: Final[dict[tuple[str, str], str]] = {
    ("2025", "ServerDatacenter"): "YQB4H-NKHHJ-Q6K4R-4VMY6-VCH67",
    ("2025", "ServerTurbine"): "6NMQ9-T38WF-6MFGM-QYGYM-88J4F",
    ("2025", "ServerStandard"): "WWVGQ-PNHV9-B89P4-8GGM9-9HPQ4",
    ("2022", "ServerDatacenter"): "W3GNR-8DDXR-2TFRP-H8P33-DV9BG",
    ("2022", "ServerTurbine"): "F7TB6-YKN8Y-FCC6R-KQ484-VMK3J",
    ("2022", "ServerStandard"): "YDFWN-MJ9JR-3DYRK-FXXRW-78VHK",
    ("2019", "ServerDatacenter"): "H3RNG-8C32Q-Q8FRX-6TDXV-WMBMW",
    ("2019", "ServerStandard"): "TNK62-RXVTB-4P47B-2D623-4GF74",
    ("2019", "ServerSolution"): "2CTP7-NHT64-BP62M-FV6GG-HFV28",
    ("2016", "ServerDatacenter"): "TMJ3Y-NTRTM-FJYXT-T22BY-CWG3J",
    ("2016", "ServerStandard"): "C3RCX-M6NRP-6CXC9-TW2F2-4RHYD",
    ("2016", "ServerSolution"): "B4YNW-62DX9-W8V6M-82649-MHBKQ",
}
"""(Server version, EditionID) -> AVMA key. ServerTurbine: Datacenter: Azure Edition;
ServerSolution: Essentials."""

KMS_CLIENT: Final[dict[tuple[str, str], str]] = {
    ("2025", "ServerDatacenter"): "D764K-2NDRG-47T6Q-P8T8W-YP6DF",
    ("2025", "ServerTurbine"): "XGN3F-F394H-FD2MY-PP6FD-8MCRC",
    ("2025", "ServerStandard"): "TVRH6-WHNXV-R9WG3-9XRFY-MY832",
    ("2022", "ServerDatacenter"): "WX4NM-KYWYW-QJJR4-XV3QB-6VM33",
    ("2022", "ServerTurbine"): "NTBV8-9K7Q8-V27C6-M2BTV-KHMXV",
    ("2022", "ServerStandard"): "VDYBN-27WPP-V4HQT-9VMD4-VMK7H",
    ("2019", "ServerDatacenter"): "WMDGN-G9PQG-XVVXX-R3X43-63DFG",
    ("2019", "ServerStandard"): "N69G4-B89J2-4G8F4-WWYCC-J464C",
    ("2019", "ServerSolution"): "WVDHN-86M7X-466P6-VHXV7-YY726",
    ("2016", "ServerDatacenter"): "CB7KF-BWN84-R7R2Y-793K2-8XDDG",
    ("2016", "ServerStandard"): "WC2BQ-8NRM3-FDDYY-2BFGV-KHKQY",
    ("2016", "ServerSolution"): "JCKRF-N37P4-C2D82-9YXRT-4M63B",
    ("client", "Professional"): "W269N-WFGWX-YVC9B-4J6C9-T83GX",
    ("client", "ProfessionalN"): "MH37W-N47XK-V7XM9-C7227-GCQG9",
    ("client", "ProfessionalWorkstation"): "NRG8B-VKK3Q-CXVCJ-9G2XF-6Q84J",
    ("client", "ProfessionalWorkstationN"): "9FNHH-K3HBT-3W4TD-6383H-6XYWF",
    ("client", "ProfessionalEducation"): "6TP4R-GNPTD-KYYHQ-7B7DP-J447Y",
    ("client", "ProfessionalEducationN"): "YVWGF-BXNMC-HTQYQ-CPQ99-66QFC",
    ("client", "Education"): "NW6C2-QMPVW-D7KKK-3GKT6-VCFB2",
    ("client", "EducationN"): "2WH4N-8QGBV-H22JP-CT43Q-MDWWJ",
    ("client", "Enterprise"): "NPPR9-FWDCX-D2C8J-H872K-2YT43",
    ("client", "EnterpriseN"): "DPH2V-TTNVB-4X9Q3-TJR4H-KHJW4",
    ("client", "EnterpriseG"): "YYVX9-NTFWV-6MDM3-9PT4T-4M68B",
    ("client", "EnterpriseGN"): "44RPN-FTY23-9VTTB-MP9BX-T84FV",
}
"""(Server version, or ``client`` for Windows 10/11; EditionID) -> KMS client setup key."""

GVLKS: Final[frozenset[str]] = frozenset(KMS_CLIENT.values())
"""Every KMS client setup key (the unattend lint recognises them)."""

# install.wim image names (/IMAGE/NAME) -> EditionID, first match wins. Server media name
# images after the EditionID ("Windows Server 2022 SERVERDATACENTERCORE"); some media, and
# client media, use display names ("Windows Server 2019 Datacenter (Desktop Experience)",
# "Windows 11 Pro N").
_IMAGE_NAMES: Final[tuple[tuple[str, str], ...]] = (
    (r"server.*(azure|turbine)", "ServerTurbine"),
    (r"server.*datacenter", "ServerDatacenter"),
    (r"server.*standard", "ServerStandard"),
    (r"server.*(essentials|serversolution)", "ServerSolution"),
    (r"\bpro for workstations n$", "ProfessionalWorkstationN"),
    (r"\bpro for workstations$", "ProfessionalWorkstation"),
    (r"\bpro education n$", "ProfessionalEducationN"),
    (r"\bpro education$", "ProfessionalEducation"),
    (r"\bpro n$", "ProfessionalN"),
    (r"\bpro$", "Professional"),
    (r"\benterprise g n$", "EnterpriseGN"),
    (r"\benterprise g$", "EnterpriseG"),
    (r"\benterprise n$", "EnterpriseN"),
    (r"\benterprise$", "Enterprise"),
    (r"\beducation n$", "EducationN"),
    (r"\beducation$", "Education"),
    (r"\bhome n$", "CoreN"),
    (r"\bhome single language$", "CoreSingleLanguage"),
    (r"\bhome$", "Core"),
)


def server_version(build: int, installation_type: str) -> str | None:
    """``2016``..``2025`` for a Windows Server build, ``client`` for Windows 10/11 (an
    InstallationType of ``Client``), None for anything else (an older or unknown Server)."""
    if installation_type == "Client":
        return "client"
    return SERVER_BUILDS.get(build)


def base_edition(edition: str) -> str:
    """Server Core editions (``ServerDatacenterCor``) take the keys of their edition."""
    for suffix in ("Core", "Cor"):
        if edition.startswith("Server") and edition.endswith(suffix):
            return edition[: -len(suffix)]
    return edition


def key_version(version: str) -> str:
    """The table's version for a spec's version: ``10``/``11`` -> ``client``."""
    return "client" if version in ("10", "11") else version


def find_key(version: str, edition: str, kind: Literal["avma", "kms-client"]) -> str | None:
    """The key for a table version (``2022``, ``client``; ``10``/``11`` accepted) and an
    EditionID (Core suffixes accepted), or None."""
    table = AVMA if kind == "avma" else KMS_CLIENT
    return table.get((key_version(version), base_edition(edition)))


def edition_id_from_image_name(name: str) -> str | None:
    """The EditionID an install.wim image name stands for, or None when unknown."""
    text = re.sub(r"\s*\(.*?\)\s*", " ", name).strip().lower()
    for pattern, edition in _IMAGE_NAMES:
        if re.search(pattern, text):
            return edition
    return None
