"""The value types the capability Protocols exchange (frozen msgspec Structs and literal
aliases; no behaviour). ``wincloud.platform.base`` re-exports them."""

from __future__ import annotations

from typing import Literal, TypeAlias

from msgspec import Struct

# -- value types ---------------------------------------------------------------------------


class Completed(Struct, frozen=True):
    """A finished command: exit code and captured output (never contains what was on stdin)."""

    argv: tuple[str, ...]
    exit_code: int
    stdout: bytes = b""
    stderr: bytes = b""


class FileInfo(Struct, frozen=True):
    mode: int
    """Permission bits (``0o600``)."""
    owner: str | None
    """User name, or None when the owner has no name (or the platform has no owners)."""
    size: int
    is_dir: bool = False


class Adapter(Struct, frozen=True):
    name: str
    mac: str | None


class RoutePlan(Struct, frozen=True):
    destination: str
    """CIDR, ``0.0.0.0/0`` for the default route."""
    gateway: str


LinkKind: TypeAlias = Literal["physical", "bond", "vlan"]
BondMode: TypeAlias = Literal[
    "balance-rr",
    "active-backup",
    "balance-xor",
    "broadcast",
    "802.3ad",
    "balance-tlb",
    "balance-alb",
]


class InterfacePlan(Struct, frozen=True):
    """How one link should be configured: a physical adapter matched by MAC address, a bond
    of physical adapters, or a VLAN on another link (physical or bond).

    Identity: a physical link is its ``mac``; a bond or a VLAN is its ``name`` (the interface
    the backend creates). Bond members are planned as physical links of their own (usually
    without addresses); ``check_plan`` verifies every reference."""

    mac: str
    """Physical: the adapter's MAC (lowercase). Bond/VLAN: the MAC to give it, or ""."""
    addresses: tuple[str, ...] = ()
    """Static addresses in CIDR form."""
    routes: tuple[RoutePlan, ...] = ()
    dhcp4: bool = False
    dhcp6: bool = False
    """DHCPv6 (stateful or stateless)."""
    mtu: int | None = None
    kind: LinkKind = "physical"
    name: str = ""
    """Bond/VLAN: the interface to create (``bond0``, ``vlan101``). Physical: ""."""
    link: str = ""
    """VLAN: its parent: a physical link's MAC or a bond's name."""
    vlan_id: int | None = None
    """VLAN: the 802.1Q id (1-4094)."""
    members: tuple[str, ...] = ()
    """Bond: the MACs of its physical members."""
    bond_mode: BondMode | None = None
    """Bond: the Linux bonding mode name (Windows maps it to a teaming mode)."""
    bond_miimon: int | None = None
    """Bond: link monitoring interval, milliseconds."""
    bond_hash_policy: str = ""
    """Bond: transmit hash policy (``layer2``, ``layer3+4``, ...), "" for the default."""
    ipv6_autoconf: bool = False
    """Accept router advertisements (SLAAC) on this link."""

    @property
    def key(self) -> str:
        """The link's identity: its MAC when physical, else its name."""
        return self.mac if self.kind == "physical" else self.name


class NetworkPlan(Struct, frozen=True):
    interfaces: tuple[InterfacePlan, ...] = ()
    dns_servers: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()


ScriptKind: TypeAlias = Literal[
    "shebang", "powershell", "powershell_sysnative", "powershell_x86", "cmd"
]
"""How a script is run: by its ``#!`` line (POSIX), by PowerShell (the OS's default, the native
64-bit one, or the 32-bit one), or by ``cmd.exe`` as a batch file (Windows)."""


class Growable(Struct, frozen=True):
    """A volume whose partition has unallocated space right after it."""

    volume: str
    """The backend's identifier: a drive letter (``C:``) or a mount point."""
    size: int
    """Bytes now."""
    max_size: int
    """Bytes it would have once extended."""


class WindowsProduct(Struct, frozen=True):
    """The installed Windows, as the licensing service sees it."""

    name: str
    """Product name (``Windows Server 2022 Datacenter``)."""
    edition: str
    """EditionID (``ServerDatacenter``, ``ServerStandard``, ``ServerTurbine``, ``Professional``)."""
    build: int
    """Build number (``20348``)."""
    installation_type: str = "Server"
    """``Server``, ``Server Core`` or ``Client``."""


LicenseState: TypeAlias = Literal[
    "unlicensed",
    "licensed",
    "oob-grace",
    "oot-grace",
    "non-genuine-grace",
    "notification",
    "extended-grace",
    "unknown",
]


class LicenseStatus(Struct, frozen=True):
    state: LicenseState
    """SoftwareLicensingProduct.LicenseStatus 0-6 as a name; ``unknown`` for anything else."""
    partial_key: str = ""
    """Last five characters of the installed product key ("" when none)."""
    kms_host: str = ""
    """The KMS host set on the machine (``host`` or ``host:port``), "" when none."""
    grace_minutes: int = 0
    """Minutes left in the current grace period (0 when licensed)."""


class RdpSettings(Struct, frozen=True):
    enabled: bool
    port: int
    nla: bool
    """Network Level Authentication required."""


class WinRMListener(Struct, frozen=True):
    transport: Literal["http", "https"]
    port: int
    thumbprint: str = ""
    """HTTPS: SHA-1 thumbprint of its certificate (uppercase hex)."""


class PageFile(Struct, frozen=True):
    path: str
    """``C:\\pagefile.sys``."""
    initial_mb: int = 0
    maximum_mb: int = 0
    """Both 0: the system manages this file's size."""


SanPolicy: TypeAlias = Literal["online_all", "offline_shared", "offline_all", "offline_internal"]
"""What Windows does with newly attached disks (diskpart ``san policy=``)."""
