"""Plugins, by name, in their default order. One module per plugin, named after its key."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Final

from wincloud.agent.plugins.base import (
    Frequency,
    Handoff,
    Outcome,
    Plugin,
    RunContext,
    Stage,
)
from wincloud.errors import ConfigError

__all__ = [
    "DEFAULT_ORDER",
    "REGISTRY",
    "Frequency",
    "Handoff",
    "Outcome",
    "Plugin",
    "RunContext",
    "Stage",
    "create_plugin",
]

REGISTRY: Final[Mapping[str, str]] = {
    "hostname": "wincloud.agent.plugins.hostname:HostnamePlugin",
    "network": "wincloud.agent.plugins.network:NetworkPlugin",
    "ntp": "wincloud.agent.plugins.ntp:NtpPlugin",
    "timezone": "wincloud.agent.plugins.timezone:TimezonePlugin",
    "extend_volumes": "wincloud.agent.plugins.extend_volumes:ExtendVolumesPlugin",
    "san_policy": "wincloud.agent.plugins.san_policy:SanPolicyPlugin",
    "display_idle": "wincloud.agent.plugins.display_idle:DisplayIdlePlugin",
    "rdp": "wincloud.agent.plugins.rdp:RdpPlugin",
    "users": "wincloud.agent.plugins.users:UsersPlugin",
    "password": "wincloud.agent.plugins.password:PasswordPlugin",
    "ssh_keys": "wincloud.agent.plugins.ssh_keys:SshKeysPlugin",
    "winrm": "wincloud.agent.plugins.winrm:WinRMPlugin",
    "licensing": "wincloud.agent.plugins.licensing:LicensingPlugin",
    "pagefile": "wincloud.agent.plugins.pagefile:PageFilePlugin",
    "cloudconfig": "wincloud.agent.plugins.cloudconfig:CloudConfigPlugin",
    "userdata": "wincloud.agent.plugins.userdata:UserDataPlugin",
    "local_scripts": "wincloud.agent.plugins.local_scripts:LocalScriptsPlugin",
}

DEFAULT_ORDER: Final = (
    "hostname",
    "network",
    "ntp",
    "timezone",
    "extend_volumes",
    "san_policy",
    "display_idle",
    "rdp",
    "users",
    "password",
    "ssh_keys",
    "winrm",
    "licensing",
    "pagefile",
    "cloudconfig",
    "userdata",
    "local_scripts",
)
"""Host name first (a Windows rename reboots, cheaply, before anything else); the network
and the machine settings; the administrator (users, password, ssh_keys), then what needs its
password (winrm); licensing; page files (may reboot); the user's own data last."""


def create_plugin(name: str, *, registry: Mapping[str, str] = REGISTRY) -> Plugin:
    target = registry.get(name)
    if target is None:
        raise ConfigError(
            f"unknown plugin {name!r}",
            subject="plugins",
            hint="valid plugins: " + ", ".join(sorted(registry)),
        )
    module_name, _, attr = target.partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    plugin: Plugin = cls()
    if plugin.stage is not Stage.MAIN and plugin.frequency is Frequency.PER_INSTANCE:
        raise ConfigError(
            f"plugin {name!r} runs before metadata discovery, so it cannot be per-instance",
            subject=target,
        )
    return plugin
