"""The image cache on a Hyper-V host: one copy of each Glance image per host, streamed once.

Glance's chunks go straight into ``HyperVHost.write_file`` (no local copy on the compute node),
with a progress line every ``DriverSettings.progress_every_bytes``. A base is complete when its
file size equals the size Glance reports; anything else found under that name (a copy cut short by
a crash) is removed and fetched again. Instances use a base through differencing disks, so a base
is never written after it is complete.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator

from wincloud.errors import HostOperationFailed, ImageError, PathInUse
from wincloud.hyperv.host import HyperVHost
from wincloud.hyperv.nova.plan import (
    BASE_DIR_NAME,
    DriverSettings,
    ImageFacts,
    base_image_path,
    image_format,
    join,
    unused_bases,
)

log = logging.getLogger(__name__)

Download = Callable[[], Iterable[bytes]]


class ImageCache:
    def __init__(
        self,
        host: HyperVHost,
        settings: DriverSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._host = host
        self._settings = settings
        self._clock = clock
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def fetch(self, image: ImageFacts, instances_path: str, download: Download) -> tuple[str, bool]:
        """The cached base for ``image`` (copied from Glance first if needed) and whether it was
        copied now. Concurrent spawns of one image on one host copy it once."""
        fmt = image_format(image.disk_format, image_id=image.image_id)
        path = base_image_path(instances_path, image.image_id, fmt)
        with self._lock(path):
            if self._is_complete(path, image.size_bytes):
                log.info("image cache hit image=%s path=%s", image.image_id, path)
                return path, False
            self._host.remove_path(path)
            self._host.make_dir(join(instances_path, BASE_DIR_NAME))
            done = False
            try:
                written = self._host.write_file(path, self._progress(image, download()))
                if image.size_bytes and written != image.size_bytes:
                    raise ImageError(
                        f"image copy cut short: {written} of {image.size_bytes} bytes",
                        subject=f"image {image.image_id}",
                        hint="retry; check the Glance service and the host's free space",
                    )
                self._host.get_vhd(path)  # the host must read it as a virtual disk
                done = True
            finally:
                if not done:
                    self._host.remove_path(path)
            return path, True

    def remove_unused(
        self, instances_path: str, in_use: set[str], *, now: dt.datetime, min_age_s: float
    ) -> list[str]:
        """Remove cached bases no instance on this host uses, written ``min_age_s`` ago or more.
        A base still held by the host (a disk chain Nova no longer knows of) stays."""
        folder = join(instances_path, BASE_DIR_NAME)
        if not self._host.file_exists(folder):
            return []
        removed = []
        entries = self._host.list_dir(folder)
        for name in unused_bases(entries, in_use, now=now, min_age_s=min_age_s):
            path = join(folder, name)
            with self._lock(path):
                try:
                    self._host.remove_path(path)
                except PathInUse as exc:
                    log.warning("cached image kept path=%s reason=%s", path, exc)
                    continue
            log.info("cached image removed path=%s", path)
            removed.append(path)
        return removed

    def _is_complete(self, path: str, size_bytes: int) -> bool:
        """The file is there with Glance's size (or, size unknown, reads as a virtual disk)."""
        if not self._host.file_exists(path):
            return False
        folder, _, name = path.rpartition("\\")
        sizes = {e.name.casefold(): e.size_bytes for e in self._host.list_dir(folder)}
        if size_bytes:
            return sizes.get(name.casefold()) == size_bytes
        try:
            self._host.get_vhd(path)
        except HostOperationFailed:
            return False
        return True

    def _progress(self, image: ImageFacts, chunks: Iterable[bytes]) -> Iterator[bytes]:
        started = self._clock()
        copied = 0
        next_report = self._settings.progress_every_bytes
        total_mb = image.size_bytes / 2**20
        for chunk in chunks:
            copied += len(chunk)
            yield chunk
            if copied >= next_report:
                next_report += self._settings.progress_every_bytes
                log.info(
                    "image copy image=%s copied_mb=%.0f of_mb=%.0f mb_per_s=%.1f",
                    image.image_id,
                    copied / 2**20,
                    total_mb,
                    _rate(copied, self._clock() - started),
                )
        log.info(
            "image copied image=%s mb=%.1f seconds=%.2f mb_per_s=%.1f",
            image.image_id,
            copied / 2**20,
            self._clock() - started,
            _rate(copied, self._clock() - started),
        )

    def _lock(self, path: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(path.casefold(), threading.Lock())


def _rate(nbytes: int, seconds: float) -> float:
    return nbytes / 2**20 / seconds if seconds > 0 else 0.0
