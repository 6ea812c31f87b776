"""PosixVolumes: <root>/dev/disk/by-label (udev's links); on a live system blkid as fallback.
Growing: on the running system only, the last partition of a disk grows to the disk's end
(sfdisk) and its mounted ext2/3/4, XFS or btrfs file system grows online (``_partitions``)."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Final

from wincloud.errors import NotSupported, PlatformError
from wincloud.platform.base import Completed, Growable, Processes
from wincloud.platform.posix._root import Root, os_error

if TYPE_CHECKING:
    from wincloud.platform.posix import _partitions as parts

log = logging.getLogger(__name__)

BY_LABEL: Final = "/dev/disk/by-label"
TOOL_TIMEOUT: Final = 300.0


def _unescape(name: str) -> str:
    """udev writes unsafe characters of a label as ``\\xNN``."""
    if "\\x" not in name:
        return name
    return name.encode("latin-1").decode("unicode_escape")


class PosixVolumes:
    def __init__(self, root: Root, processes: Processes, *, system: Path | None = None) -> None:
        """``system``: where /proc, /sys and /dev of the running system are (``/`` when the
        root is live; a test gives a scratch tree). Without it nothing is resized."""
        self.root = root
        self.processes = processes
        self.system = system if system is not None else (Path("/") if root.is_live else None)

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

    def _system(self) -> Path:
        if self.system is None:
            raise NotSupported(
                "volumes are resized on the running system only, not under --root",
                operation="extend_volume",
            )
        return self.system

    def _candidates(self) -> dict[str, tuple[parts.Mount, parts.Partition]]:
        """mount point -> its mount and partition, one mount point per partition (the first
        mounted: ``/`` before a btrfs subvolume or a bind mount of it)."""
        from wincloud.platform.posix import _partitions as parts

        system = self._system()
        try:
            text = (system / "proc/self/mountinfo").read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise os_error("read", exc, "/proc/self/mountinfo") from None
        out: dict[str, tuple[parts.Mount, parts.Partition]] = {}
        seen: set[str] = set()
        for mount in parts.parse_mountinfo(text):
            devno = mount.devno
            if mount.fstype == "btrfs":  # st_dev of btrfs is anonymous; its source is not
                devno = self._devno(mount.source) or devno
            found = parts.find_partition(system, devno)
            if found is None:
                log.debug("volume is no partition volume=%s", mount.mountpoint)
            elif found.device not in seen:
                seen.add(found.device)
                out[mount.mountpoint] = (mount, found)
        return out

    def _devno(self, device: str) -> str | None:
        if sys.platform == "win32" or not device.startswith("/dev/"):
            return None
        try:
            rdev = os.stat(self._node(device)).st_rdev
        except OSError:
            return None
        return f"{os.major(rdev)}:{os.minor(rdev)}" if rdev else None

    def _node(self, device: str) -> Path:
        return self._system() / device.lstrip("/")

    def _plan(self, part: parts.Partition) -> parts.Plan:
        return self.plan_partition(self._node(part.disk), part.number, shown=part.disk)

    def plan_partition(self, disk: Path, number: int, *, shown: str = "") -> parts.Plan:
        """Read ``disk``'s table (a device or an image file) and decide for partition
        ``number``."""
        from wincloud.platform.posix import _partitions as parts

        shown = shown or str(disk)
        done = self.processes.run(["sfdisk", "--json", str(disk)], timeout=TOOL_TIMEOUT)
        if done.exit_code != 0:
            raise PlatformError(
                "cannot read the partition table",
                operation="sfdisk",
                os_code=done.exit_code,
                detail=done.stderr.decode("utf-8", "replace").strip()[-300:],
                subject=shown,
            )
        try:
            table = parts.parse_table(done.stdout)
            size = parts.device_bytes(disk)
        except (ValueError, json.JSONDecodeError) as exc:
            raise PlatformError(
                "sfdisk --json said something unexpected", operation="sfdisk", subject=shown
            ) from exc
        except OSError as exc:
            raise os_error("open", exc, shown) from None
        return parts.plan(table, size, number)

    def growable(self) -> list[Growable]:
        """Mounted file systems whose partition can grow, and those that did not follow their
        partition (a boot that grew the partition but stopped before the file system): the
        next run finishes the job."""
        out = []
        for mountpoint, (_, part) in sorted(self._candidates().items()):
            found = self._plan(part)
            if found.refused:
                log.warning(
                    "volume not grown volume=%s partition=%s reason=%s",
                    mountpoint,
                    part.device,
                    found.refused,
                )
            elif found.grows:
                out.append(Growable(mountpoint, found.size, found.max_size))
            elif (size := _fs_bytes(mountpoint)) and found.size - size > _fs_slack(found.size):
                log.info("file system smaller than its partition volume=%s", mountpoint)
                out.append(Growable(mountpoint, size, found.size))
        return out

    def grow_partition(self, disk: Path, number: int, *, shown: str = "") -> int:
        """Grow partition ``number`` of ``disk`` (a device or an image file) to the disk's end
        after the checks of ``plan``; returns its size in bytes now. A block device's kernel
        view is updated too (partx), so the file system sees the new size at once."""
        from wincloud.platform.posix import _partitions as parts

        shown = shown or str(disk)
        found = self.plan_partition(disk, number, shown=shown)
        if found.refused:
            raise PlatformError(
                f"partition {number} not grown ({found.refused})",
                operation="extend_volume",
                subject=shown,
                hint="grow it by hand (e.g. move the partitions after it, or convert to GPT)",
            )
        if not found.grows:
            return found.size
        argv, script = parts.sfdisk_grow(str(disk), number)
        self._check(self.processes.run(argv, timeout=TOOL_TIMEOUT, stdin=script), shown)
        if disk.is_block_device():  # sfdisk told the kernel already; partx makes sure
            update = ["partx", "--update", "--nr", str(number), str(disk)]
            done = self.processes.run(update, timeout=TOOL_TIMEOUT)
            if done.exit_code != 0:
                detail = done.stderr.decode("utf-8", "replace").strip()[-200:]
                log.warning("partx failed disk=%s number=%d detail=%s", shown, number, detail)
        after = self.plan_partition(disk, number, shown=shown)
        log.info(
            "partition grown disk=%s number=%d from=%d to=%d", shown, number, found.size, after.size
        )
        return after.size

    def grow_filesystem(self, fstype: str, device: str, mountpoint: str) -> None:
        """Grow the file system on ``device`` (a block device) to fill it: online where
        ``mountpoint`` is mounted (XFS and btrfs grow only so); ext also offline."""
        from wincloud.platform.posix import _partitions as parts

        try:
            argv = parts.grow_fs_argv(fstype, device, mountpoint)
        except ValueError:
            raise NotSupported(
                f"{fstype} file systems are not grown", operation="extend_volume", subject=device
            ) from None
        self._check(self.processes.run(argv, timeout=TOOL_TIMEOUT), device)

    def extend(self, volume: str) -> int:
        found = self._candidates().get(volume)
        if found is None:
            raise PlatformError(
                "not a mounted ext4, XFS or btrfs file system on a partition",
                operation="extend_volume",
                subject=volume,
            )
        mount, part = found
        size = self.grow_partition(self._node(part.disk), part.number, shown=part.disk)
        self.grow_filesystem(mount.fstype, str(self._node(part.device)), mount.mountpoint)
        log.info(
            "file system grown volume=%s device=%s fstype=%s", volume, part.device, mount.fstype
        )
        return size

    @staticmethod
    def _check(done: Completed, subject: str) -> None:
        if done.exit_code != 0:
            raise PlatformError(
                f"{done.argv[0]} failed",
                operation=done.argv[0],
                os_code=done.exit_code,
                detail=done.stderr.decode("utf-8", "replace").strip()[-300:],
                subject=subject,
            )

    def _blkid(self, label: str) -> Path | None:
        for wanted in dict.fromkeys([label, label.upper()]):
            argv = ["blkid", "-c", "/dev/null", "-l", "-o", "device", "-t", f"LABEL={wanted}"]
            done = self.processes.run(argv, timeout=30)
            device = done.stdout.decode().strip()
            if done.exit_code == 0 and device:
                return Path(device)
        return None


def _fs_bytes(mountpoint: str) -> int:
    """The mounted file system's size (statvfs), 0 when unknown."""
    if sys.platform == "win32":
        return 0
    try:
        stat = os.statvfs(mountpoint)
    except OSError:
        return 0
    return stat.f_blocks * stat.f_frsize


def _fs_slack(partition: int) -> int:
    """How much smaller than its partition a grown file system may look (its own metadata,
    the journal or log, statvfs's accounting): a fifth, at least 64 MiB."""
    return max(partition // 5, 64 * 1024 * 1024)
