"""mypy-only: every agent and platform implementation is assignable to its Protocol.
Checked by ``mypy tests/typing`` (never run by pytest)."""

from __future__ import annotations

from pathlib import Path

import httpx

from wincloud.agent.metadata import PasswordSink
from wincloud.agent.plugins import Plugin
from wincloud.agent.plugins.hostname import HostnamePlugin
from wincloud.agent.plugins.password import PasswordPlugin
from wincloud.agent.plugins.ssh_keys import SshKeysPlugin
from wincloud.agent.plugins.userdata import UserDataPlugin
from wincloud.agent.plugins.users import UsersPlugin
from wincloud.agent.sources import Source, SourceDeps
from wincloud.agent.sources.configdrive import ConfigDriveSource
from wincloud.agent.sources.ec2 import Ec2Source
from wincloud.agent.sources.nocloud import NoCloudSource
from wincloud.agent.sources.openstack_http import HttpPasswordSink, OpenStackHttpSource
from wincloud.agent.tree import DirTree, DriveTree, FilesTree, HttpTree, MemoryTree, Tree
from wincloud.platform import Clock, Files, Host, Network, Processes, State, Users, Volumes
from wincloud.platform.fake import (
    FakeClock,
    FakeFiles,
    FakeHost,
    FakeNetwork,
    FakeProcesses,
    FakeState,
    FakeUsers,
    FakeVolumes,
)
from wincloud.platform.posix import (
    PosixClock,
    PosixFiles,
    PosixHost,
    PosixNetwork,
    PosixProcesses,
    PosixState,
    PosixUsers,
    PosixVolumes,
)
from wincloud.platform.posix._root import Root


def sources(deps: SourceDeps) -> list[Source]:
    return [
        ConfigDriveSource(deps),
        OpenStackHttpSource(deps),
        Ec2Source(deps),
        NoCloudSource(deps),
    ]


def plugins() -> list[Plugin]:
    return [HostnamePlugin(), UsersPlugin(), PasswordPlugin(), SshKeysPlugin(), UserDataPlugin()]


def trees(client: httpx.Client, files: Files) -> list[Tree]:
    return [
        MemoryTree({}),
        DirTree(Path()),
        DriveTree(Path()),
        FilesTree(files, "/"),
        HttpTree(client, "http://x", timeout=1),
    ]


def sink(client: httpx.Client) -> PasswordSink:
    return HttpPasswordSink(client, "http://x", timeout=1)


def fakes() -> tuple[Host, Users, Files, Processes, State, Volumes, Network, Clock]:
    files = FakeFiles()
    return (
        FakeHost(),
        FakeUsers(files),
        files,
        FakeProcesses(),
        FakeState(),
        FakeVolumes(),
        FakeNetwork(),
        FakeClock(),
    )


def posix(root: Root) -> tuple[Host, Users, Files, Processes, State, Volumes, Network, Clock]:
    processes = PosixProcesses(root)
    return (
        PosixHost(root, processes),
        PosixUsers(root, processes),
        PosixFiles(root),
        processes,
        PosixState(root),
        PosixVolumes(root, processes),
        PosixNetwork(root),
        PosixClock(root),
    )
