"""Facts about answer files, as data: namespaces, the component attributes every component
carries, the configuration passes, and which passes each component's settings are valid in.

Sources (Microsoft's "Unattended Windows Setup Reference",
https://learn.microsoft.com/windows-hardware/customize/desktop/unattend/, one page per
component and setting, each with its "Valid Configuration Passes"). A component that is not
in the table is reported by the lint as unknown (info), never guessed.
"""

from __future__ import annotations

from typing import Final

UNATTEND_NS: Final = "urn:schemas-microsoft-com:unattend"
WCM_NS: Final = "http://schemas.microsoft.com/WMIConfig/2002/State"
XSI_NS: Final = "http://www.w3.org/2001/XMLSchema-instance"
PUBLIC_KEY_TOKEN: Final = "31bf3856ad364e35"  # noqa: S105 - the assemblies' public token
ARCHITECTURES: Final = ("amd64", "arm64", "x86", "wow64")

PASSES: Final = (
    "windowsPE",
    "offlineServicing",
    "generalize",
    "specialize",
    "auditSystem",
    "auditUser",
    "oobeSystem",
)
"""Every configuration pass, in the order Windows runs them."""

COMPONENT_PASSES: Final[dict[str, frozenset[str]]] = {
    "Microsoft-Windows-Setup": frozenset({"windowsPE"}),
    "Microsoft-Windows-International-Core-WinPE": frozenset({"windowsPE"}),
    "Microsoft-Windows-PnpCustomizationsWinPE": frozenset({"windowsPE"}),
    "Microsoft-Windows-PnpCustomizationsNonWinPE": frozenset(
        {"offlineServicing", "auditSystem", "specialize"}
    ),
    "Microsoft-Windows-International-Core": frozenset(
        {"specialize", "oobeSystem", "auditSystem", "auditUser"}
    ),
    "Microsoft-Windows-Shell-Setup": frozenset(
        {"offlineServicing", "specialize", "auditSystem", "auditUser", "oobeSystem"}
    ),
    "Microsoft-Windows-Deployment": frozenset(
        {"generalize", "specialize", "auditSystem", "auditUser", "oobeSystem"}
    ),
    "Microsoft-Windows-PnpSysprep": frozenset({"generalize"}),
    "Microsoft-Windows-Security-SPP": frozenset({"generalize", "specialize"}),
    "Microsoft-Windows-Security-Licensing-SLC": frozenset({"generalize", "specialize"}),
    "Microsoft-Windows-Security-SPP-UX": frozenset({"specialize"}),
    "Microsoft-Windows-ServerManager-SvrMgrNc": frozenset({"specialize"}),
    "Microsoft-Windows-OutOfBoxExperience": frozenset({"specialize"}),
    "Microsoft-Windows-TerminalServices-LocalSessionManager": frozenset(
        {"offlineServicing", "specialize"}
    ),
    "Microsoft-Windows-TerminalServices-RDP-WinStationExtensions": frozenset({"specialize"}),
    "Microsoft-Windows-TCPIP": frozenset({"windowsPE", "specialize"}),
    "Microsoft-Windows-DNS-Client": frozenset({"specialize"}),
    "Microsoft-Windows-UnattendedJoin": frozenset({"specialize"}),
    "Microsoft-Windows-IE-ESC": frozenset({"specialize"}),
    "Microsoft-Windows-SQMApi": frozenset({"specialize", "oobeSystem"}),
    "Microsoft-Windows-LUA-Settings": frozenset({"offlineServicing"}),
    "Networking-MPSSVC-Svc": frozenset({"specialize"}),
}
"""Component -> the passes in which at least one of its settings is valid."""

SKIP_REARM_COMPONENTS: Final = frozenset(
    {"Microsoft-Windows-Security-SPP", "Microsoft-Windows-Security-Licensing-SLC"}
)
"""Where SkipRearm lives (SLC is the Windows Vista/7 name of SPP)."""
