"""The OS boundary: small capability Protocols, the value types they exchange, and Platform.

Plugins and sources receive a ``Platform`` (a bundle of capabilities) and never touch the OS
themselves. Every implementation (``fake/``, ``posix/``, ``windows/``) passes the same contract
suites in ``tests/unit/platform/``. Paths given to a capability are *guest* paths (``/etc/x`` on
POSIX, ``C:\\x`` on Windows); an implementation may map them under an alternate root.

Value types live in ``values.py`` and are re-exported here.

Errors: OS failures are ``PlatformError`` (``operation``, ``os_code``, ``detail``); something a
backend cannot do at all is ``NotSupported``. Absent things are ``None`` or ``False``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal, Protocol

from msgspec import Struct

from wincloud.platform.values import (
    Adapter,
    BondMode,
    Completed,
    FileInfo,
    Growable,
    InterfacePlan,
    LicenseState,
    LicenseStatus,
    LinkKind,
    NetworkPlan,
    PageFile,
    RdpSettings,
    RoutePlan,
    SanPolicy,
    ScriptKind,
    WindowsProduct,
    WinRMListener,
)
from wincloud.secret import Secret

__all__ = [
    "Adapter",
    "BondMode",
    "Certificates",
    "Clock",
    "Completed",
    "FileInfo",
    "Files",
    "Growable",
    "Host",
    "Hypervisor",
    "InterfacePlan",
    "LicenseState",
    "LicenseStatus",
    "Licensing",
    "LinkKind",
    "Network",
    "NetworkPlan",
    "PageFile",
    "Platform",
    "Processes",
    "RdpSettings",
    "RemoteAccess",
    "RoutePlan",
    "SanPolicy",
    "ScriptKind",
    "State",
    "SystemSettings",
    "Users",
    "Volumes",
    "WinRMListener",
    "WindowsProduct",
]

# -- capabilities --------------------------------------------------------------------------


class Host(Protocol):
    def hostname(self) -> str:
        """The configured host name ("" when none is configured). Windows: the name in
        effect after the next boot (a rename still pending counts), so a plugin that set it
        sees it set."""
        ...

    def set_hostname(self, name: str, *, domain: str = "") -> bool:
        """Configure ``name`` (one label, or a whole FQDN where the OS keeps one) and the
        host's DNS ``domain`` ("" leaves none). POSIX: ``/etc/hostname`` holds ``name`` and
        ``/etc/hosts`` maps ``name.domain name``; Windows: the computer name (the OS derives
        the NetBIOS name from it) and the primary DNS suffix. True when it takes effect only
        after a reboot (False when nothing changed). The caller decides the name (the
        hostname plugin cuts it for NetBIOS); a backend only refuses what its OS refuses."""
        ...

    def domain(self) -> str:
        """The configured DNS domain ("" when none): POSIX, the part after the first dot of
        the first name on the ``127.0.1.1`` line of /etc/hosts; Windows, the primary DNS
        suffix in effect after the next boot."""
        ...

    def reboot(self, reason: str) -> None:
        """Ask the OS to reboot soon (returns; the caller then stops its work)."""
        ...


class Users(Protocol):
    def exists(self, name: str) -> bool: ...

    def ensure(self, name: str, *, groups: Sequence[str] = ()) -> bool:
        """Create the user if missing and add it to ``groups`` (created when missing).
        True when the user was created now."""
        ...

    def groups_of(self, name: str) -> list[str]:
        """Supplementary groups of an existing user, sorted."""
        ...

    def admin_groups(self) -> list[str]:
        """The groups that make a user an administrator on this OS."""
        ...

    def set_password(self, name: str, password: Secret) -> None: ...

    def has_password(self, name: str) -> bool:
        """True when the user can log in with some password."""
        ...

    def set_authorized_keys(self, name: str, keys: Sequence[str]) -> str:
        """Make ``keys`` the user's SSH authorized keys; returns the guest path written."""
        ...

    def ensure_group(self, name: str) -> bool:
        """Create the local group if missing; True when it was created now."""
        ...

    def expire_password(self, name: str) -> None:
        """The user must change the password at the next logon (POSIX: ``chage -d 0``;
        Windows: the account's PasswordExpired flag)."""
        ...

    def set_password_hash(self, name: str, hashed: Secret) -> None:
        """Set an already hashed password (crypt(3) format, ``$6$...``). NotSupported on
        Windows, which takes no foreign hashes."""
        ...

    def set_admin_authorized_keys(self, keys: Sequence[str]) -> str:
        """Windows OpenSSH: make ``keys`` the content of
        ``%ProgramData%\\ssh\\administrators_authorized_keys`` (the file sshd reads for
        every member of Administrators), readable only by Administrators and SYSTEM; returns
        the guest path written. NotSupported on POSIX."""
        ...


class Files(Protocol):
    def read(self, path: str) -> bytes | None:
        """The file's content, None when it does not exist."""
        ...

    def list_dir(self, path: str) -> list[str] | None:
        """Sorted entry names, directories with a trailing '/'; None when no such directory."""
        ...

    def write(self, path: str, data: bytes, *, mode: int = 0o644, owner: str | None = None) -> None:
        """Atomically replace the file (parent directories are created)."""
        ...

    def make_dir(self, path: str, *, mode: int = 0o755, owner: str | None = None) -> None: ...

    def stat(self, path: str) -> FileInfo | None: ...

    def remove(self, path: str) -> bool:
        """Remove a file; False when there was none."""
        ...


class Processes(Protocol):
    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Completed:
        """Run a program to completion. A non-zero exit is a result; a missing program or a
        timeout (the whole process group is killed) raises PlatformError."""
        ...

    def run_script(
        self, script: bytes, *, name: str, timeout: float, kind: ScriptKind = "shebang"
    ) -> Completed:
        """Run a script as ``kind`` says (the caller decides the kind; ``name`` is a file name
        for logs and temporary files, its extension matching the kind). A kind the OS cannot
        run (PowerShell or cmd on POSIX) raises NotSupported; a ``shebang`` script without a
        ``#!`` line raises PlatformError."""
        ...


class State(Protocol):
    """Where the agent keeps its state between runs (one small document)."""

    where: str

    def read(self) -> bytes | None: ...

    def write(self, data: bytes) -> None:
        """Atomically replace the stored document."""
        ...


class Volumes(Protocol):
    def find_labelled(self, label: str) -> Path | None:
        """The device (or mounted directory) whose file system has this label."""
        ...

    def labels(self) -> dict[str, Path]:
        """Every labelled volume: label -> device (or mounted directory)."""
        ...

    def growable(self) -> list[Growable]:
        """Volumes that could grow into unallocated space after their partition (e.g. after
        the cloud grew the disk). NotSupported where the backend cannot resize."""
        ...

    def extend(self, volume: str) -> int:
        """Grow ``volume`` (a ``Growable.volume``) to its maximum; returns the new size."""
        ...


class Network(Protocol):
    def adapters(self) -> list[Adapter]: ...

    def apply(self, plan: NetworkPlan) -> bool:
        """Configure adapters as planned; True when something changed."""
        ...

    def dhcp_servers(self) -> list[str]:
        """The addresses of the DHCP servers that gave the adapters their current leases
        (the server identifier, option 54), without repeats, in adapter order; [] when no
        lease is known. POSIX: systemd-networkd's, dhclient's and NetworkManager's lease
        files; Windows: each DHCP-enabled adapter's ``DHCPServer``."""
        ...


class Hypervisor(Protocol):
    """What the hypervisor hands the guest besides disks and the network."""

    def guestinfo(self, key: str) -> bytes | None:
        """The VMware guestinfo variable ``guestinfo.<key>`` (VMware Tools' ``info-get``
        RPC), None when it is unset, when VMware Tools is not installed or when this is
        not VMware. ``key``: letters, digits, ``.``, ``_``, ``-`` (PlatformError otherwise)."""
        ...


class Clock(Protocol):
    """Time settings: zone and NTP servers."""

    def timezone(self) -> str | None: ...

    def set_timezone(self, name: str) -> bool:
        """IANA name (``Europe/Paris``); True when it changed."""
        ...

    def ntp_servers(self) -> list[str]: ...

    def set_ntp_servers(self, servers: Sequence[str]) -> bool: ...


class Licensing(Protocol):
    """Windows licensing (SoftwareLicensingService / SoftwareLicensingProduct). NotSupported
    on POSIX."""

    def product(self) -> WindowsProduct: ...

    def status(self) -> LicenseStatus:
        """The Windows product's license, as the licensing service reports it now."""
        ...

    def install_key(self, key: Secret) -> None:
        """Install a product key (``slmgr /ipk``); PlatformError (``os_code`` = the HRESULT)
        when refused."""
        ...

    def set_kms_host(self, host: str) -> None:
        """Set the KMS host (``host`` or ``host:port``; ``slmgr /skms``); "" clears it, so
        the KMS is found through DNS SRV records again."""
        ...

    def activate(self) -> None:
        """Activate now (``slmgr /ato``); PlatformError (``os_code`` = the HRESULT, e.g.
        0xC004F074 when no KMS answered) when activation fails."""
        ...


class Certificates(Protocol):
    """The machine's certificate stores (Windows: LocalMachine). NotSupported on POSIX."""

    def has(self, thumbprint: str) -> bool:
        """True when LocalMachine\\My holds a certificate with this SHA-1 thumbprint and its
        private key."""
        ...

    def import_pfx(self, pfx: bytes, password: Secret) -> str:
        """Import a PKCS#12 (certificate and private key) into LocalMachine\\My; returns the
        certificate's SHA-1 thumbprint (uppercase hex). Importing it again is harmless."""
        ...

    def trust(self, certificate_der: bytes, *, store: Literal["Root", "TrustedPeople"]) -> str:
        """Add a certificate (no key) to LocalMachine\\<store>; returns its thumbprint."""
        ...


class RemoteAccess(Protocol):
    """Remote Desktop and WinRM. NotSupported on POSIX."""

    def rdp(self) -> RdpSettings: ...

    def set_rdp(self, settings: RdpSettings) -> bool:
        """Apply the settings (the listener's port, NLA, connections allowed) and open the
        firewall for the port when enabled; True when something changed. A new port takes
        effect when the Remote Desktop service restarts (the backend restarts it)."""
        ...

    def winrm_listeners(self) -> list[WinRMListener]: ...

    def set_winrm_https_listener(self, *, port: int, thumbprint: str) -> bool:
        """Make sure an HTTPS listener on every address uses this port and certificate
        (replacing another HTTPS listener), the WinRM service runs and starts automatically,
        and the firewall allows the port. True when something changed."""
        ...

    def set_winrm_http_listener(self, *, port: int) -> bool:
        """Make sure an HTTP listener on every address uses this port (replacing another HTTP
        listener), the WinRM service runs and starts automatically, and the firewall allows
        the port. True when something changed. (Opt-in only: plain HTTP.)"""
        ...

    def set_winrm_service(
        self, *, basic: bool | None = None, allow_unencrypted: bool | None = None
    ) -> bool:
        """Set the WinRM service's Basic authentication and its AllowUnencrypted (messages
        in clear over HTTP); None leaves a setting as it is. True when something changed."""
        ...

    def map_winrm_certificate(
        self, *, subject: str, issuer_thumbprint: str, username: str, password: Secret
    ) -> bool:
        """Map client certificates whose subject (a UPN, ``admin@localhost``) is ``subject``
        and whose issuer has ``issuer_thumbprint`` to the local ``username`` (WinRM stores
        the credentials), and enable certificate authentication. True when it changed."""
        ...


class SystemSettings(Protocol):
    """Machine-wide Windows settings. NotSupported on POSIX."""

    def set_display_idle_timeout(self, seconds: int) -> bool:
        """Turn the display off after ``seconds`` idle (0: never), on AC and DC power, in
        the active power plan; True when it changed."""
        ...

    def page_files(self) -> list[PageFile] | None:
        """The configured page files; None when the system manages them automatically."""
        ...

    def set_page_files(self, files: Sequence[PageFile] | None) -> bool:
        """Configure page files (None: automatic management for all drives). True when it
        changed; a change takes effect after a reboot."""
        ...

    def san_policy(self) -> SanPolicy: ...

    def set_san_policy(self, policy: SanPolicy) -> bool:
        """True when it changed."""
        ...


# -- the bundle ----------------------------------------------------------------------------


class Platform(Struct, frozen=True):
    """Every capability a plugin or a source may use."""

    name: Literal["posix", "windows", "fake"]
    family: Literal["posix", "windows"]
    """The OS the plugins decide for (a fake mimics one of them)."""
    host: Host
    users: Users
    files: Files
    processes: Processes
    state: State
    volumes: Volumes
    network: Network
    clock: Clock
    licensing: Licensing
    certificates: Certificates
    remote_access: RemoteAccess
    settings: SystemSettings
    hypervisor: Hypervisor
