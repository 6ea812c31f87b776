"""The Windows backend: decisions in this package (one module per capability), Win32 bindings
under ``_win32/`` (their Windows-only imports happen inside the methods, so this package
imports on Linux, where the decisions are tested against the stateful fakes in
``_win32/fake/``). Nothing here has been run on Windows yet.

``create_platform(bindings)`` wires decisions to bindings; ``windows_platform()`` uses the real
ones.
"""

from __future__ import annotations

from pathlib import Path

from msgspec import Struct

from wincloud.platform.base import Platform
from wincloud.platform.windows._win32.advapi import Advapi
from wincloud.platform.windows._win32.crypt32 import CertStore
from wincloud.platform.windows._win32.kernel32 import Kernel32
from wincloud.platform.windows._win32.netapi import NetApi
from wincloud.platform.windows._win32.registry import FullRegistry
from wincloud.platform.windows._win32.services import ServiceManager
from wincloud.platform.windows._win32.spawn import Spawner
from wincloud.platform.windows._win32.userenv import Userenv
from wincloud.platform.windows._win32.wmi import Wmi
from wincloud.platform.windows._win32.wsman import WsMan
from wincloud.platform.windows.certificates import WindowsCertificates
from wincloud.platform.windows.clock import WindowsClock
from wincloud.platform.windows.files import WindowsFiles
from wincloud.platform.windows.firewall import Firewall
from wincloud.platform.windows.host import WindowsHost
from wincloud.platform.windows.hypervisor import WindowsHypervisor
from wincloud.platform.windows.licensing import WindowsLicensing
from wincloud.platform.windows.network import WindowsNetwork
from wincloud.platform.windows.processes import WindowsProcesses
from wincloud.platform.windows.remote_access import WindowsRemoteAccess
from wincloud.platform.windows.settings import WindowsSystemSettings
from wincloud.platform.windows.state import WindowsState
from wincloud.platform.windows.users import WindowsUsers
from wincloud.platform.windows.volumes import WindowsVolumes

__all__ = [
    "Bindings",
    "WindowsCertificates",
    "WindowsClock",
    "WindowsFiles",
    "WindowsHost",
    "WindowsHypervisor",
    "WindowsLicensing",
    "WindowsNetwork",
    "WindowsProcesses",
    "WindowsRemoteAccess",
    "WindowsState",
    "WindowsSystemSettings",
    "WindowsUsers",
    "WindowsVolumes",
    "create_platform",
    "real_bindings",
    "windows_platform",
]


class Bindings(Struct, frozen=True):
    """Every OS-call family the decisions use."""

    netapi: NetApi
    advapi: Advapi
    userenv: Userenv
    kernel32: Kernel32
    registry: FullRegistry
    wmi: Wmi
    spawner: Spawner
    services: ServiceManager
    certificates: CertStore
    wsman: WsMan


def real_bindings() -> Bindings:
    from wincloud.platform.windows._win32.advapi import Win32Advapi
    from wincloud.platform.windows._win32.crypt32 import Win32CertStore
    from wincloud.platform.windows._win32.kernel32 import Win32Kernel32
    from wincloud.platform.windows._win32.netapi import Win32NetApi
    from wincloud.platform.windows._win32.registry import WinRegistry
    from wincloud.platform.windows._win32.services import ScmServices
    from wincloud.platform.windows._win32.spawn import JobSpawner
    from wincloud.platform.windows._win32.userenv import Win32Userenv
    from wincloud.platform.windows._win32.wmi import ComWmi
    from wincloud.platform.windows._win32.wsman import ComWsMan

    return Bindings(
        netapi=Win32NetApi(),
        advapi=Win32Advapi(),
        userenv=Win32Userenv(),
        kernel32=Win32Kernel32(),
        registry=WinRegistry(),
        wmi=ComWmi(),
        spawner=JobSpawner(),
        services=ScmServices(),
        certificates=Win32CertStore(),
        wsman=ComWsMan(),
    )


def create_platform(bindings: Bindings, *, root: Path | None = None) -> Platform:
    """The Windows platform on these bindings; ``root`` maps drive letters under a directory
    (tests)."""
    b = bindings
    files = WindowsFiles(b.advapi, root=root)
    processes = WindowsProcesses(b.spawner, b.kernel32, files)
    certificates = WindowsCertificates(b.certificates)
    return Platform(
        name="windows",
        family="windows",
        host=WindowsHost(b.kernel32, b.advapi, b.registry),
        users=WindowsUsers(b.netapi, b.advapi, b.userenv, files),
        files=files,
        processes=processes,
        state=WindowsState(b.registry),
        volumes=WindowsVolumes(b.kernel32, b.wmi),
        network=WindowsNetwork(b.wmi, b.registry),
        clock=WindowsClock(b.registry, processes, b.services),
        licensing=WindowsLicensing(b.wmi, b.registry),
        certificates=certificates,
        remote_access=WindowsRemoteAccess(
            b.registry, b.services, b.wsman, Firewall(processes), certificates
        ),
        settings=WindowsSystemSettings(b.registry, processes, b.wmi),
        hypervisor=WindowsHypervisor(processes),
    )


def windows_platform() -> Platform:
    return create_platform(real_bindings())
