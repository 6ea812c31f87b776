"""The config drive: a volume labelled ``config-2`` (ISO 9660 or VFAT), read without mounting
(through the platform's volume list), or a directory or image named in the config."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import ClassVar

from wincloud.agent.metadata import InstanceMetadata, PasswordSink, ReportSink
from wincloud.agent.sources._labelled import DriveDirTree
from wincloud.agent.sources._openstack import parse_openstack
from wincloud.agent.sources.base import SourceDeps
from wincloud.agent.tree import DriveTree, Tree
from wincloud.errors import PlatformError, SourceUnavailable

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
        return parse_openstack(self.tree(self.found), source=self.name)

    def password_sink(self) -> PasswordSink | None:
        return None

    def report_sink(self) -> ReportSink | None:
        return None
