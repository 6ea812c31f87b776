"""WindowsVolumes: labelled volumes from the drive letters (GetVolumeInformationW; a config
drive is a CD or a small disk Windows mounts itself), and partitions that can grow, through
root/Microsoft/Windows/Storage (MSFT_Partition GetSupportedSize, Resize)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Final

from wincloud.errors import PlatformError
from wincloud.platform.base import Growable
from wincloud.platform.windows._win32.kernel32 import Kernel32
from wincloud.platform.windows._win32.wmi import STORAGE, Wmi, WmiObject, check_return

log = logging.getLogger(__name__)

MIN_GROWTH: Final = 1024 * 1024
"""Less free space than this after a partition is alignment slack, not worth a resize."""
RECOVERY_GPT: Final = "{de94bba4-06d1-4d40-a16a-bfd50179d6ac}"


def drive_letter(value: Any) -> str:
    """MSFT_Partition.DriveLetter (char16: a number or a one-letter string; 0 when none)."""
    if isinstance(value, int):
        return chr(value) if value else ""
    return str(value or "").strip("\0")


class WindowsVolumes:
    def __init__(self, kernel32: Kernel32, wmi: Wmi) -> None:
        self.kernel32 = kernel32
        self.wmi = wmi

    def labels(self) -> dict[str, Path]:
        return {v.label: Path(v.root) for v in self.kernel32.volumes() if v.label}

    def find_labelled(self, label: str) -> Path | None:
        found = self.labels()
        if label in found:
            return found[label]
        folded = {name.casefold(): path for name, path in found.items()}
        return folded.get(label.casefold())

    def _partitions(self) -> list[tuple[str, WmiObject]]:
        out = []
        for part in self.wmi.query(STORAGE, "MSFT_Partition"):
            letter = drive_letter(part.get("DriveLetter"))
            if not letter or str(part.get("GptType", "")).lower() == RECOVERY_GPT:
                continue
            out.append((f"{letter.upper()}:", part))
        return sorted(out, key=lambda item: item[0])

    def growable(self) -> list[Growable]:
        out = []
        for volume, part in self._partitions():
            result = self.wmi.call(STORAGE, part.path, "GetSupportedSize")
            code = int(result.get("ReturnValue") or 0)
            if code != 0:
                log.info("volume cannot be resized volume=%s return_value=%d", volume, code)
                continue
            size, size_max = int(part.get("Size")), int(result["SizeMax"])
            if size_max - size >= MIN_GROWTH:
                out.append(Growable(volume, size, size_max))
        return out

    def extend(self, volume: str) -> int:
        wanted = volume.rstrip("\\").upper()
        wanted = wanted if wanted.endswith(":") else wanted + ":"
        for name, part in self._partitions():
            if name != wanted:
                continue
            result = self.wmi.call(STORAGE, part.path, "GetSupportedSize")
            check_return(result, "GetSupportedSize", volume)
            size_max = int(result["SizeMax"])
            if size_max <= int(part.get("Size")):
                return int(part.get("Size"))
            check_return(
                self.wmi.call(STORAGE, part.path, "Resize", {"Size": str(size_max)}),
                "Resize",
                volume,
            )
            log.info("volume extended volume=%s size=%d", volume, size_max)
            return size_max
        raise PlatformError(
            "no partition with this drive letter", operation="extend", subject=volume
        )
