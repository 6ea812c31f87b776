"""Metadata sources, by name. One module per source, named after its key; imported lazily."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Final

from wincloud.agent.sources.base import Source, SourceDeps
from wincloud.errors import ConfigError

__all__ = ["DEFAULT_SOURCES", "REGISTRY", "Source", "SourceDeps", "create_source"]

REGISTRY: Final[Mapping[str, str]] = {
    "configdrive": "wincloud.agent.sources.configdrive:ConfigDriveSource",
    "openstack_http": "wincloud.agent.sources.openstack_http:OpenStackHttpSource",
    "ec2": "wincloud.agent.sources.ec2:Ec2Source",
    "nocloud": "wincloud.agent.sources.nocloud:NoCloudSource",
    "opennebula": "wincloud.agent.sources.opennebula:OpenNebulaSource",
    "ovf": "wincloud.agent.sources.ovf:OvfSource",
    "vmware": "wincloud.agent.sources.vmware:VMwareSource",
    "cloudstack": "wincloud.agent.sources.cloudstack:CloudStackSource",
}

DEFAULT_SOURCES: Final = (
    # local and cheap first (a volume label, one VMware Tools call), then the network
    "configdrive",
    "opennebula",
    "ovf",
    "vmware",
    "openstack_http",
    "ec2",
    "nocloud",
    # last: its candidates come from DHCP leases and DNS, so it may wait on a resolver
    "cloudstack",
)


def create_source(name: str, deps: SourceDeps, *, registry: Mapping[str, str] = REGISTRY) -> Source:
    target = registry.get(name)
    if target is None:
        raise ConfigError(
            f"unknown metadata source {name!r}",
            subject="sources",
            hint="valid sources: " + ", ".join(sorted(registry)),
        )
    module_name, _, attr = target.partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    source: Source = cls(deps)
    return source
