"""The config drive: a volume labelled ``config-2`` (ISO 9660 or VFAT), read without mounting
(through the platform's volume list), or a directory or image named in the config."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, ClassVar

import msgspec

from wincloud.agent.metadata import InstanceMetadata, PasswordSink, ReportSink
from wincloud.agent.sources._labelled import DriveDirTree
from wincloud.agent.sources._openstack import parse_openstack, read_network_config
from wincloud.agent.sources.base import SourceDeps
from wincloud.agent.tree import DriveTree, Tree
from wincloud.errors import InvalidMetadata, PlatformError, SourceUnavailable

log = logging.getLogger(__name__)


class ConfigDriveSource:
    name: ClassVar[str] = "configdrive"

    def __init__(self, deps: SourceDeps) -> None:
        self.deps = deps
        self.config = deps.config.configdrive
        self.found: Path | None = None

    @property
    def where(self) -> str:
        return str(self.found) if self.found else f"volume labelled {self.config.label}"

    def find(self) -> Path | None:
        for configured in self.config.paths:
            if Path(configured).exists():
                return Path(configured)
        try:
            return self.deps.platform.volumes.find_labelled(self.config.label)
        except PlatformError as exc:
            raise SourceUnavailable(
                f"cannot list volumes ({exc.message})", subject=self.config.label
            ) from None

    def probe(self) -> bool:
        self.found = self.find()
        return self.found is not None

    def tree(self, path: Path) -> Tree:
        if path.is_dir():
            return DriveDirTree(path)
        return DriveTree(path, reader=self.deps.read_drive)

    def load(self) -> InstanceMetadata:
        if self.found is None and not self.probe():
            raise SourceUnavailable("no config drive", subject=self.where)
        assert self.found is not None
        tree = self.tree(self.found)
        md = parse_openstack(tree, source=self.name)
        if md.network_data is None:
            network = self.interfaces_network(tree)
            if network is not None:
                md = msgspec.structs.replace(md, network_data=network)
        return md

    def interfaces_network(self, tree: Tree) -> dict[str, Any] | None:
        """The drive's Debian interfaces file (``network_config``, no network_data.json) as
        network_data, for the interfaces that can be tied to an adapter without guessing
        (``_eni``); None when there is none, or nothing in it can be tied. A broken file is
        logged and left out: it costs the network configuration, not the drive."""
        found = read_network_config(tree)
        if found is None:
            return None
        where, text = found
        from wincloud.agent.sources import _eni

        try:
            interfaces = _eni.parse_interfaces(text, where=where)
        except InvalidMetadata as exc:
            log.warning("network config file left out error=%s", exc)
            return None
        if not interfaces.interfaces:
            return None
        try:
            adapters = self.deps.platform.network.adapters()
        except PlatformError as exc:
            log.warning("network config file not applied: adapters unknown error=%s", exc)
            return None
        macs = [a.mac for a in adapters if a.mac]
        tied = _eni.tie_to_adapters(interfaces, macs, where=where)
        return _eni.network_data_from_interfaces(interfaces, tied)

    def password_sink(self) -> PasswordSink | None:
        return None

    def report_sink(self) -> ReportSink | None:
        return None
