"""PosixVolumes: <root>/dev/disk/by-label (udev's links); on a live system blkid as fallback."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Final

from wincloud.errors import NotSupported
from wincloud.platform.base import Growable, Processes
from wincloud.platform.posix._root import Root, os_error

BY_LABEL: Final = "/dev/disk/by-label"


def _unescape(name: str) -> str:
    """udev writes unsafe characters of a label as ``\\xNN``."""
    if "\\x" not in name:
        return name
    return name.encode("latin-1").decode("unicode_escape")


class PosixVolumes:
    def __init__(self, root: Root, processes: Processes) -> None:
        self.root = root
        self.processes = processes

    def _resolve(self, link: Path) -> Path:
        """Follow one udev link inside the root (``../../sr0`` or ``/dev/sr0``)."""
        if not link.is_symlink():
            return link
        target = PurePosixPath(os.readlink(link))
        if target.is_absolute():
            return self.root.host(str(target))
        guest = PurePosixPath(self.root.guest(link.parent)) / target
        parts: list[str] = []
        for part in guest.parts[1:]:
            if part == "..":
                if parts:
                    parts.pop()
            elif part != ".":
                parts.append(part)
        return self.root.host("/" + "/".join(parts))

    def labels(self) -> dict[str, Path]:
        folder = self.root.host(BY_LABEL)
        try:
            links = sorted(folder.iterdir())
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise os_error("list", exc, BY_LABEL) from None
        return {_unescape(link.name): self._resolve(link) for link in links}

    def find_labelled(self, label: str) -> Path | None:
        found = self.labels()
        if label in found:
            return found[label]
        folded = {name.casefold(): path for name, path in found.items()}
        if label.casefold() in folded:
            return folded[label.casefold()]
        if self.root.is_live:
            return self._blkid(label)
        return None

    def growable(self) -> list[Growable]:
        raise NotSupported(
            "volumes are not resized on POSIX (growpart in the initramfs does that)",
            operation="extend_volume",
        )

    def extend(self, volume: str) -> int:
        raise NotSupported("volumes are not resized on POSIX", operation="extend_volume")

    def _blkid(self, label: str) -> Path | None:
        for wanted in dict.fromkeys([label, label.upper()]):
            argv = ["blkid", "-c", "/dev/null", "-l", "-o", "device", "-t", f"LABEL={wanted}"]
            done = self.processes.run(argv, timeout=30)
            device = done.stdout.decode().strip()
            if done.exit_code == 0 and device:
                return Path(device)
        return None
