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
    "users": "wincloud.agent.plugins.users:UsersPlugin",
    "password": "wincloud.agent.plugins.password:PasswordPlugin",
    "ssh_keys": "wincloud.agent.plugins.ssh_keys:SshKeysPlugin",
    "userdata": "wincloud.agent.plugins.userdata:UserDataPlugin",
}

DEFAULT_ORDER: Final = ("hostname", "users", "password", "ssh_keys", "userdata")


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
