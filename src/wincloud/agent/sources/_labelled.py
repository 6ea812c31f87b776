"""Sources read from a drive found by its volume label (a CD the cloud attaches), or from a
path the config names (a directory, or an image file read without mounting it)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Protocol

from wincloud.agent.metadata import InstanceMetadata, PasswordSink, ReportSink
from wincloud.agent.sources.base import SourceDeps
from wincloud.agent.tree import DirTree, DriveTree, Tree
from wincloud.errors import InvalidMetadata, PlatformError, SourceUnavailable


class DriveDirTree(DirTree):
    """A drive mounted as a directory (a configured path; a CD's drive letter on Windows): a
    symbolic link on it that leads out of it is refused, never followed to a file of the
    guest (a NoCloud ``user-data`` linked to a private key would become the user data)."""

    def _check(self, path: str) -> None:
        target = self.root.joinpath(*(part for part in path.split("/") if part))
        try:
            inside = target.resolve().is_relative_to(self.root.resolve())
        except (OSError, RuntimeError):  # a link loop
            inside = False
        if not inside:
            raise InvalidMetadata("a link that leads out of the drive", subject=str(target))

    def read(self, path: str) -> bytes | None:
        self._check(path)
        return super().read(path)

    def children(self, path: str) -> list[str]:
        self._check(path)
        return super().children(path)


def read_top_file(tree: Tree, name: str) -> bytes | None:
    """The drive's top-level file ``name``; when absent, the one file whose name differs from
    it only in case (``CONTEXT.SH`` on an ISO written without Joliet or Rock Ridge names,
    ``OVF-ENV.XML``), as Windows finds it on the mounted CD. Several such files are refused:
    which one a reader took would depend on the platform."""
    raw = tree.read(name)
    if raw is not None:
        return raw
    matches = [n for n in tree.children("") if n.casefold() == name.casefold()]
    if len(matches) > 1:
        raise InvalidMetadata(
            f"{len(matches)} files named {name} in different cases", subject=tree.where
        )
    return tree.read(matches[0]) if matches else None


class DriveConfig(Protocol):
    @property
    def label(self) -> str: ...

    @property
    def paths(self) -> tuple[str, ...] | list[str]: ...


class LabelledDriveSource:
    """Subclasses name themselves, say what is missing, and parse the drive's tree."""

    name: ClassVar[str]
    absent: ClassVar[str]  # "no OVF environment drive"

    def __init__(self, deps: SourceDeps, config: DriveConfig) -> None:
        self.deps = deps
        self.config = config
        self.found: Path | None = None

    @property
    def where(self) -> str:
        return str(self.found) if self.found else f"volume labelled {self.config.label}"

    def probe(self) -> bool:
        for configured in self.config.paths:
            if Path(configured).exists():
                self.found = Path(configured)
                return True
        try:
            self.found = self.deps.platform.volumes.find_labelled(self.config.label)
        except PlatformError as exc:
            raise SourceUnavailable(
                f"cannot list volumes ({exc.message})", subject=self.config.label
            ) from None
        return self.found is not None

    def load(self) -> InstanceMetadata:
        if self.found is None and not self.probe():
            raise SourceUnavailable(self.absent, subject=self.where)
        assert self.found is not None
        tree: Tree = (
            DriveDirTree(self.found)
            if self.found.is_dir()
            else DriveTree(self.found, reader=self.deps.read_drive)
        )
        return self.parse(tree)

    def parse(self, tree: Tree) -> InstanceMetadata:
        raise NotImplementedError

    def password_sink(self) -> PasswordSink | None:
        return None

    def report_sink(self) -> ReportSink | None:
        return None
