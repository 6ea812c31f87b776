"""The OS boundary: small capability Protocols, the value types they exchange, and Platform.

Plugins and sources receive a ``Platform`` (a bundle of capabilities) and never touch the OS
themselves. Every implementation (``fake/``, ``posix/``, ``windows/``) passes the same contract
suites in ``tests/unit/platform/``. Paths given to a capability are *guest* paths (``/etc/x`` on
POSIX, ``C:\\x`` on Windows); an implementation may map them under an alternate root.

Errors: OS failures are ``PlatformError`` (``operation``, ``os_code``, ``detail``); something a
backend cannot do at all is ``NotSupported``. Absent things are ``None`` or ``False``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from wincloud.secret import Secret

# -- value types ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Completed:
    """A finished command: exit code and captured output (never contains what was on stdin)."""

    argv: tuple[str, ...]
    exit_code: int
    stdout: bytes = b""
    stderr: bytes = b""


@dataclass(frozen=True)
class FileInfo:
    mode: int
    """Permission bits (``0o600``)."""
    owner: str | None
    """User name, or None when the owner has no name (or the platform has no owners)."""
    size: int
    is_dir: bool = False


@dataclass(frozen=True)
class Adapter:
    name: str
    mac: str | None


@dataclass(frozen=True)
class RoutePlan:
    destination: str
    """CIDR, ``0.0.0.0/0`` for the default route."""
    gateway: str


@dataclass(frozen=True)
class InterfacePlan:
    """How one adapter, matched by MAC address, should be configured."""

    mac: str
    addresses: tuple[str, ...] = ()
    """Static addresses in CIDR form."""
    routes: tuple[RoutePlan, ...] = ()
    dhcp4: bool = False
    dhcp6: bool = False
    mtu: int | None = None


@dataclass(frozen=True)
class NetworkPlan:
    interfaces: tuple[InterfacePlan, ...] = ()
    dns_servers: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()


# -- capabilities --------------------------------------------------------------------------


class Host(Protocol):
    def hostname(self) -> str:
        """The configured host name ("" when none is configured)."""
        ...

    def set_hostname(self, name: str) -> bool:
        """Configure ``name``; True when it takes effect only after a reboot."""
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

    def run_script(self, script: bytes, *, name: str, timeout: float) -> Completed:
        """Run a script the way this OS runs one of its kind (by ``#!`` line on POSIX, by the
        extension of ``name`` on Windows)."""
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


class Network(Protocol):
    def adapters(self) -> list[Adapter]: ...

    def apply(self, plan: NetworkPlan) -> bool:
        """Configure adapters as planned; True when something changed."""
        ...


class Clock(Protocol):
    """Time settings: zone and NTP servers."""

    def timezone(self) -> str | None: ...

    def set_timezone(self, name: str) -> bool:
        """IANA name (``Europe/Paris``); True when it changed."""
        ...

    def ntp_servers(self) -> list[str]: ...

    def set_ntp_servers(self, servers: Sequence[str]) -> bool: ...


# -- the bundle ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Platform:
    """Every capability a plugin or a source may use."""

    name: Literal["posix", "windows", "fake"]
    host: Host
    users: Users
    files: Files
    processes: Processes
    state: State
    volumes: Volumes
    network: Network
    clock: Clock
