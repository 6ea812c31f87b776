"""The POSIX backend: every capability works under an injected root (``/`` when live), so the
tests run it for real on a scratch tree."""

from __future__ import annotations

from pathlib import Path

from wincloud.platform.base import Platform
from wincloud.platform.posix._root import Root
from wincloud.platform.posix.certificates import PosixCertificates
from wincloud.platform.posix.clock import PosixClock
from wincloud.platform.posix.files import PosixFiles
from wincloud.platform.posix.host import PosixHost
from wincloud.platform.posix.hypervisor import PosixHypervisor
from wincloud.platform.posix.licensing import PosixLicensing
from wincloud.platform.posix.network import PosixNetwork
from wincloud.platform.posix.processes import PosixProcesses
from wincloud.platform.posix.remote_access import PosixRemoteAccess
from wincloud.platform.posix.settings import PosixSystemSettings
from wincloud.platform.posix.state import PosixState
from wincloud.platform.posix.users import PosixUsers
from wincloud.platform.posix.volumes import PosixVolumes

__all__ = [
    "PosixCertificates",
    "PosixClock",
    "PosixFiles",
    "PosixHost",
    "PosixHypervisor",
    "PosixLicensing",
    "PosixNetwork",
    "PosixProcesses",
    "PosixRemoteAccess",
    "PosixState",
    "PosixSystemSettings",
    "PosixUsers",
    "PosixVolumes",
    "host_path",
    "posix_platform",
]


def host_path(root: Path, guest: str) -> Path:
    """Where ``guest`` (an absolute path) is under ``root``, links resolved inside the root
    as a chroot would (for files opened outside the platform, such as the log file)."""
    return Root(root).host(guest)


def posix_platform(root: Path = Path("/")) -> Platform:
    base = Root(root)
    processes = PosixProcesses(base)
    return Platform(
        name="posix",
        family="posix",
        host=PosixHost(base, processes),
        users=PosixUsers(base, processes),
        files=PosixFiles(base),
        processes=processes,
        state=PosixState(base),
        volumes=PosixVolumes(base, processes),
        network=PosixNetwork(base, processes),
        clock=PosixClock(base, processes),
        licensing=PosixLicensing(),
        certificates=PosixCertificates(),
        remote_access=PosixRemoteAccess(),
        settings=PosixSystemSettings(),
        hypervisor=PosixHypervisor(base, processes),
    )
