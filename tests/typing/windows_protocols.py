"""mypy-only: every Windows implementation is assignable to its Protocol, and every real and
fake binding to its binding Protocol. Checked by ``mypy --strict tests/typing`` (also with
``--platform win32``); never run by pytest."""

from __future__ import annotations

from pathlib import Path

from wincloud.platform import (
    Certificates,
    Clock,
    Files,
    Host,
    Licensing,
    Network,
    Processes,
    RemoteAccess,
    State,
    SystemSettings,
    Users,
    Volumes,
)
from wincloud.platform.windows import (
    Bindings,
    WindowsCertificates,
    WindowsClock,
    WindowsFiles,
    WindowsHost,
    WindowsLicensing,
    WindowsNetwork,
    WindowsProcesses,
    WindowsRemoteAccess,
    WindowsState,
    WindowsSystemSettings,
    WindowsUsers,
    WindowsVolumes,
)
from wincloud.platform.windows._win32.advapi import Advapi, Win32Advapi
from wincloud.platform.windows._win32.crypt32 import CertStore, Win32CertStore
from wincloud.platform.windows._win32.fake import (
    FakeAccounts,
    FakeAdvapi,
    FakeKernel32,
    FakeNetApi,
    FakeRegistry,
    FakeServices,
    FakeSpawner,
    FakeUserenv,
    FakeWmi,
)
from wincloud.platform.windows._win32.fake.remote import FakeCertStore, FakeWsMan
from wincloud.platform.windows._win32.kernel32 import Kernel32, Win32Kernel32
from wincloud.platform.windows._win32.netapi import NetApi, Win32NetApi
from wincloud.platform.windows._win32.registry import FullRegistry, WinRegistry
from wincloud.platform.windows._win32.services import ScmServices, ServiceManager
from wincloud.platform.windows._win32.spawn import JobSpawner, Spawner
from wincloud.platform.windows._win32.userenv import Userenv, Win32Userenv
from wincloud.platform.windows._win32.wmi import ComWmi, Wmi
from wincloud.platform.windows._win32.wsman import ComWsMan, WsMan
from wincloud.platform.windows.firewall import Firewall


def real() -> tuple[
    NetApi, Advapi, Userenv, Kernel32, FullRegistry, Wmi, Spawner, ServiceManager, CertStore, WsMan
]:
    return (
        Win32NetApi(),
        Win32Advapi(),
        Win32Userenv(),
        Win32Kernel32(),
        WinRegistry(),
        ComWmi(),
        JobSpawner(),
        ScmServices(),
        Win32CertStore(),
        ComWsMan(),
    )


def fakes() -> Bindings:
    accounts = FakeAccounts()
    registry = FakeRegistry()
    return Bindings(
        netapi=FakeNetApi(accounts),
        advapi=FakeAdvapi(accounts),
        userenv=FakeUserenv(accounts),
        kernel32=FakeKernel32(registry),
        registry=registry,
        wmi=FakeWmi(),
        spawner=FakeSpawner(),
        services=FakeServices(),
        certificates=FakeCertStore(),
        wsman=FakeWsMan(),
    )


def capabilities(
    b: Bindings,
) -> tuple[
    Host,
    Users,
    Files,
    Processes,
    State,
    Volumes,
    Network,
    Clock,
    Licensing,
    Certificates,
    RemoteAccess,
    SystemSettings,
]:
    files = WindowsFiles(b.advapi, root=Path())
    processes = WindowsProcesses(b.spawner, b.kernel32, files)
    certificates = WindowsCertificates(b.certificates)
    return (
        WindowsHost(b.kernel32, b.advapi, b.registry),
        WindowsUsers(b.netapi, b.advapi, b.userenv, files),
        files,
        processes,
        WindowsState(b.registry),
        WindowsVolumes(b.kernel32, b.wmi),
        WindowsNetwork(b.wmi, b.registry),
        WindowsClock(b.registry, processes, b.services),
        WindowsLicensing(b.wmi, b.registry),
        certificates,
        WindowsRemoteAccess(b.registry, b.services, b.wsman, Firewall(processes), certificates),
        WindowsSystemSettings(b.registry, processes, b.wmi),
    )
