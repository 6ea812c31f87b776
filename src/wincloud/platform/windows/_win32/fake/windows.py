"""FakeWindows: every fake binding over one consistent machine (a sysprepped Windows Server
2022 with one virtio NIC, a 40 GB system disk on a grown 60 GB virtual disk, the services and
registry values a fresh install has)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wincloud.platform.base import Platform
from wincloud.platform.windows._win32.fake.accounts import (
    FakeAccounts,
    FakeAdvapi,
    FakeNetApi,
    FakeUserenv,
)
from wincloud.platform.windows._win32.fake.registry import FakeRegistry
from wincloud.platform.windows._win32.fake.remote import FakeCertStore, FakeWsMan
from wincloud.platform.windows._win32.fake.system import FakeKernel32, FakeServices, FakeSpawner
from wincloud.platform.windows._win32.fake.tools import TZ_INFO, TZ_KEYS, FakeTools
from wincloud.platform.windows._win32.fake.wmi import FakeWmi
from wincloud.platform.windows._win32.fake.wmi_lbfo import install_lbfo
from wincloud.platform.windows._win32.fake.wmi_network import add_adapter, install_network
from wincloud.platform.windows._win32.fake.wmi_storage import FakeLicensing, add_partition
from wincloud.platform.windows._win32.kernel32 import VolumeInfo
from wincloud.platform.windows._win32.services import StartType
from wincloud.platform.windows._win32.wmi import CIMV2

GB = 1024**3
MAC = "fa:16:3e:00:00:05"
ZONES = (
    "UTC",
    "GMT Standard Time",
    "Romance Standard Time",
    "W. Europe Standard Time",
    "Eastern Standard Time",
    "Pacific Standard Time",
)
CURRENT_VERSION = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion"


@dataclass
class FakeWindows:
    registry: FakeRegistry = field(default_factory=FakeRegistry)
    accounts: FakeAccounts = field(default_factory=FakeAccounts)
    wmi: FakeWmi = field(default_factory=FakeWmi)
    services: FakeServices = field(default_factory=FakeServices)
    certs: FakeCertStore = field(default_factory=FakeCertStore)
    wsman: FakeWsMan = field(default_factory=FakeWsMan)
    gvlks: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.netapi = FakeNetApi(self.accounts)
        self.advapi = FakeAdvapi(self.accounts)
        self.userenv = FakeUserenv(self.accounts)
        self.kernel32 = FakeKernel32(self.registry, volumes=[VolumeInfo("C:\\", "", "NTFS")])
        self.tools = FakeTools(self.registry, self.services)
        programs: dict[str, Any] = self.tools.programs()
        self.spawner = FakeSpawner(programs)
        self.licensing = FakeLicensing(self.wmi, gvlks=self.gvlks)
        for zone in ZONES:
            self.registry.write_text(rf"{TZ_KEYS}\{zone}", "Std", zone)
        self.registry.write_text(TZ_INFO, "TimeZoneKeyName", "UTC")
        for name, value in {
            "ProductName": "Windows Server 2022 Datacenter",
            "EditionID": "ServerDatacenter",
            "CurrentBuildNumber": "20348",
            "InstallationType": "Server",
        }.items():
            self.registry.write_text(CURRENT_VERSION, name, value)
        self.registry.write_text(
            r"SYSTEM\CurrentControlSet\Services\W32Time\Parameters", "Type", "NT5DS"
        )
        self.services.add("WinRM", state="stopped", start=StartType.MANUAL)
        self.services.add("w32time", state="stopped", start=StartType.MANUAL)
        self.services.add("TermService", state="running", start=StartType.MANUAL)
        install_network(self.wmi)
        install_lbfo(self.wmi)
        add_adapter(self.wmi, "Ethernet", MAC, 4, dhcp_address="10.0.0.99")
        add_partition(self.wmi, 0, 1, size=100 * 1024**2, size_max=100 * 1024**2)
        add_partition(self.wmi, 0, 2, size=40 * GB, size_max=60 * GB, letter="C")
        self.wmi.add(
            CIMV2,
            "Win32_ComputerSystem",
            {"Name": "WIN-TEMPLATE", "AutomaticManagedPagefile": True},
            ("Name",),
        )

    def bindings(self) -> Any:
        from wincloud.platform.windows import Bindings

        return Bindings(
            netapi=self.netapi,
            advapi=self.advapi,
            userenv=self.userenv,
            kernel32=self.kernel32,
            registry=self.registry,
            wmi=self.wmi,
            spawner=self.spawner,
            services=self.services,
            certificates=self.certs,
            wsman=self.wsman,
        )

    def platform(self, root: Path) -> Platform:
        """The real Windows decisions on these fakes; drive letters live under ``root``."""
        from wincloud.platform.windows import create_platform

        return create_platform(self.bindings(), root=root)
