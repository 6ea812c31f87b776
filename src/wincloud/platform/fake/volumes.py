"""FakeVolumes: labelled volumes given by the test (label -> image file or directory), and
volumes that can grow (volume -> (size, max_size)): drive letters on a Windows-like fake,
mount points on a POSIX-like one; ``refused`` volumes (volume -> reason) fail to grow, as a
partition that is not the last one does."""

from __future__ import annotations

from pathlib import Path

from wincloud.errors import PlatformError
from wincloud.platform.base import Growable


class FakeVolumes:
    def __init__(
        self,
        labelled: dict[str, Path] | None = None,
        *,
        sizes: dict[str, tuple[int, int]] | None = None,
        windows: bool = False,
    ) -> None:
        self.labelled = dict(labelled or {})
        self.sizes = dict(sizes or {})
        self.windows = windows
        self.extended: list[str] = []
        self.refused: dict[str, str] = {}

    def find_labelled(self, label: str) -> Path | None:
        if label in self.labelled:
            return self.labelled[label]
        folded = {name.casefold(): path for name, path in self.labelled.items()}
        return folded.get(label.casefold())

    def labels(self) -> dict[str, Path]:
        return dict(self.labelled)

    def growable(self) -> list[Growable]:
        return [
            Growable(volume, size, most)
            for volume, (size, most) in sorted(self.sizes.items())
            if most > size
        ]

    def extend(self, volume: str) -> int:
        if volume not in self.sizes:
            raise PlatformError("no such volume", operation="extend_volume", subject=volume)
        if volume in self.refused:
            reason = self.refused[volume]
            raise PlatformError(f"not grown ({reason})", operation="extend_volume", subject=volume)
        _, most = self.sizes[volume]
        self.sizes[volume] = (most, most)
        self.extended.append(volume)
        return most
