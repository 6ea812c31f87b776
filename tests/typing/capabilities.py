"""mypy-only: the capabilities only Windows has, the plugins and the report sink fit their
Protocols (fake and POSIX backends; the Windows backend adds itself). Checked by
``mypy --strict tests/typing`` (never run by pytest)."""

from __future__ import annotations

import httpx

from wincloud.agent.metadata import ReportSink
from wincloud.agent.plugins import Plugin
from wincloud.agent.plugins.cloudconfig import CloudConfigPlugin
from wincloud.agent.plugins.display_idle import DisplayIdlePlugin
from wincloud.agent.plugins.extend_volumes import ExtendVolumesPlugin
from wincloud.agent.plugins.licensing import LicensingPlugin
from wincloud.agent.plugins.local_scripts import LocalScriptsPlugin
from wincloud.agent.plugins.network import NetworkPlugin
from wincloud.agent.plugins.ntp import NtpPlugin
from wincloud.agent.plugins.pagefile import PageFilePlugin
from wincloud.agent.plugins.rdp import RdpPlugin
from wincloud.agent.plugins.san_policy import SanPolicyPlugin
from wincloud.agent.plugins.timezone import TimezonePlugin
from wincloud.agent.plugins.winrm import WinRMPlugin
from wincloud.agent.report import HttpReportSink
from wincloud.platform import Certificates, Licensing, RemoteAccess, SystemSettings
from wincloud.platform.fake import (
    FakeCertificates,
    FakeLicensing,
    FakeRemoteAccess,
    FakeSystemSettings,
)
from wincloud.platform.posix import (
    PosixCertificates,
    PosixLicensing,
    PosixRemoteAccess,
    PosixSystemSettings,
)


def plugins() -> list[Plugin]:
    return [
        CloudConfigPlugin(),
        DisplayIdlePlugin(),
        ExtendVolumesPlugin(),
        LicensingPlugin(),
        LocalScriptsPlugin(),
        NetworkPlugin(),
        NtpPlugin(),
        PageFilePlugin(),
        RdpPlugin(),
        SanPolicyPlugin(),
        TimezonePlugin(),
        WinRMPlugin(),
    ]


def report(client: httpx.Client) -> ReportSink:
    return HttpReportSink(client, "http://x/openstack/latest/wincloud", timeout=1)


def fakes() -> tuple[Licensing, Certificates, RemoteAccess, SystemSettings]:
    certificates = FakeCertificates()
    return (
        FakeLicensing(),
        certificates,
        FakeRemoteAccess(certificates),
        FakeSystemSettings(),
    )


def posix() -> tuple[Licensing, Certificates, RemoteAccess, SystemSettings]:
    return (PosixLicensing(), PosixCertificates(), PosixRemoteAccess(), PosixSystemSettings())
