"""The external programs behind ``wincloud.image.disk``: libguestfs (through ``guestfish
--listen``/``--remote``), ``qemu-img info`` and ``msiinfo``. The only module of the package that
starts processes.

Why guestfish and not the Python binding: Debian's python3-guestfs is built for the system
interpreter only, while the guestfish CLI ships with libguestfs-tools on every distribution;
``--listen`` keeps one appliance up for a whole session, so each command costs a short client
process, not an appliance boot. libguestfs runs without root (``LIBGUESTFS_BACKEND=direct``).
KVM is tried first; when the appliance does not come up (a /dev/kvm that cannot run guests),
the session is started again with TCG (``force_tcg``) and later sessions go straight to TCG.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import signal
import stat
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from wincloud.errors import ImageError
from wincloud.image.disk.volume import Volume, parts

log = logging.getLogger(__name__)

LAUNCH_TIMEOUT: Final = 300.0
CALL_TIMEOUT: Final = 300.0
_TCG = {"forced": False}


@dataclass(frozen=True)
class ImageInfo:
    format: str
    virtual_size: int
    actual_size: int


def _run(
    argv: Sequence[str], *, timeout: float, env: Mapping[str, str] | None = None, what: str
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
            check=False,
        )
    except FileNotFoundError as exc:
        raise ImageError(
            f"{argv[0]} is not installed",
            subject=what,
            hint="install libguestfs-tools and qemu-utils (Debian) to work on images",
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise ImageError(f"{argv[0]} timed out after {timeout:g} s", subject=what) from exc


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def image_info(path: Path) -> ImageInfo:
    """Format and sizes from ``qemu-img info`` (raw, qcow2, vhdx, vpc, ...)."""
    require_file(path)
    done = _run(["qemu-img", "info", "--output=json", str(path)], timeout=60, what=str(path))
    if done.returncode != 0:
        raise ImageError(f"qemu-img cannot read it: {_last_line(done.stderr)}", subject=str(path))
    info = json.loads(done.stdout)
    return ImageInfo(
        str(info["format"]), int(info["virtual-size"]), int(info.get("actual-size", 0))
    )


DISK_HINT: Final = "give a disk image (qcow2, raw, vhdx, vpc) that holds a Windows installation"
BOOT_SIGNATURE: Final = b"\x55\xaa"
"""Bytes 510-511 of an MBR, of GPT's protective MBR, and of an NTFS or FAT boot sector."""


def require_file(path: Path) -> None:
    """The image argument names a regular file (or a link to one)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ImageError(
            "no such file (expected a disk image)", subject=str(path), hint=DISK_HINT
        ) from None
    except OSError as exc:  # a name too long, a parent that is a file, a loop of links
        raise ImageError(
            f"cannot use the image path ({exc.strerror})", subject=str(path), hint=DISK_HINT
        ) from None
    if stat.S_ISREG(mode):
        return
    what = "a folder," if stat.S_ISDIR(mode) else "not a regular file, so"
    raise ImageError(f"{what} not a disk image", subject=str(path), hint=DISK_HINT)


def check_is_disk(path: Path, info: ImageInfo) -> None:
    """Refuse what is not a disk image before an appliance boots for it: an empty file, or
    one that qemu-img can only call raw data (a text file, an ISO, a blank disk) because its
    first sector is neither a partition table nor a boot sector."""
    if info.virtual_size == 0:
        raise ImageError("not a disk image: the file is empty", subject=str(path), hint=DISK_HINT)
    if info.format != "raw":
        return  # qemu-img recognised a disk image format
    try:
        with path.open("rb") as handle:
            first = handle.read(512)
    except OSError as exc:
        raise ImageError(f"cannot read the image ({exc.strerror})", subject=str(path)) from None
    if len(first) < 512 or first[510:512] != BOOT_SIGNATURE:
        raise ImageError(
            "not a disk image: no partition table or boot sector in its first 512 bytes "
            "(qemu-img reads it as raw data)",
            subject=str(path),
            hint=DISK_HINT,
        )


CHECKED_FORMATS: Final = frozenset({"qcow2", "vhdx", "vdi", "qed", "parallels"})
"""Formats whose metadata ``qemu-img check`` verifies (raw has none)."""


def check_image(path: Path, fmt: str) -> None:
    """Refuse an image whose metadata ``qemu-img check`` finds damaged: a qcow2 cut short (an
    interrupted copy) otherwise reads as an empty disk and looks like "no Windows"."""
    if fmt not in CHECKED_FORMATS:
        return
    argv = ["qemu-img", "check", "--output=json", "-f", fmt, str(path)]
    done = _run(argv, timeout=600, what=str(path))
    if done.returncode in (0, 3):  # 3: leaked clusters only, harmless for reading
        return
    try:
        report = json.loads(done.stdout) if done.stdout.strip() else {}
    except ValueError:
        report = {}
    if done.returncode == 2 or report.get("corruptions") or report.get("check-errors"):
        raise ImageError(
            f"the {fmt} image is damaged (qemu-img check: {_last_line(done.stderr)})",
            subject=str(path),
            hint="a file cut short (an interrupted copy or download) looks like this: copy it "
            "again; "
            f"`qemu-img check {path}` gives the details",
        )
    if done.returncode != 63:  # 63: no checks for this format
        raise ImageError(f"qemu-img check failed: {_last_line(done.stderr)}", subject=str(path))


def msi_product_version(msi: Path) -> str | None:
    """ProductVersion from an MSI's Property table (msitools), None when msiinfo is missing."""
    try:
        done = _run(["msiinfo", "export", str(msi), "Property"], timeout=60, what=str(msi))
    except ImageError:
        return None
    if done.returncode != 0:
        raise ImageError(f"not a readable MSI: {_last_line(done.stderr)}", subject=str(msi))
    for line in done.stdout.splitlines():
        name, _, value = line.partition("\t")
        if name == "ProductVersion":
            return value.strip() or None
    return None


class Guestfish:
    """One libguestfs appliance, kept up by ``guestfish --listen``, driven by ``--remote``."""

    def __init__(self, image: Path, *, fmt: str, write: bool) -> None:
        self.image = image
        self.fmt = fmt
        self.write = write
        self.pid: int | None = None
        self.env: dict[str, str] = {
            "LIBGUESTFS_BACKEND": os.environ.get("LIBGUESTFS_BACKEND", "direct")
        }

    def start(self) -> None:
        try:
            self._start()
        except ImageError:
            settings = os.environ.get("LIBGUESTFS_BACKEND_SETTINGS", "")
            if "force_tcg" in settings or _TCG["forced"]:
                raise
            log.warning("libguestfs appliance failed with KVM; retrying with TCG")
            _TCG["forced"] = True
            self._start()

    def _start(self) -> None:
        if _TCG["forced"]:
            self.env["LIBGUESTFS_BACKEND_SETTINGS"] = "force_tcg"
        argv = ["guestfish", "--listen", f"--format={self.fmt}", "-a", str(self.image)]
        if not self.write:
            argv.insert(2, "--ro")
        # The daemon keeps the stderr it inherits: a file, not a pipe we would wait on forever.
        with tempfile.TemporaryFile() as err:
            try:
                done = subprocess.run(
                    argv,
                    stdout=subprocess.PIPE,
                    stderr=err,
                    text=True,
                    timeout=60,
                    env={**os.environ, **self.env},
                    check=False,
                )
            except FileNotFoundError as exc:
                raise ImageError(
                    "guestfish is not installed",
                    subject=str(self.image),
                    hint="install libguestfs-tools",
                ) from exc
            err.seek(0)
            errors = err.read().decode("utf-8", "replace")
        match = re.search(r"GUESTFISH_PID=(\d+)", done.stdout)
        if done.returncode != 0 or match is None:
            raise ImageError(
                f"guestfish did not start: {_last_line(errors)}", subject=str(self.image)
            )
        self.pid = int(match.group(1))
        try:
            self.call("run", timeout=LAUNCH_TIMEOUT)
        except ImageError:
            self.close()
            raise
        except BaseException:  # interrupted (Ctrl-C, SIGTERM) while the appliance boots
            self.kill()
            raise

    def call(self, *args: str, timeout: float = CALL_TIMEOUT, tolerate: bool = False) -> str:
        """Run one guestfish command in the session and return its output.

        A failing command ends a guestfish server; ``tolerate`` prefixes it with ``-`` (errors
        ignored, the session lives on) and a failure then returns "".
        """
        if self.pid is None:
            raise ImageError("the libguestfs session is closed", subject=str(self.image))
        command = [f"-{args[0]}", *args[1:]] if tolerate else list(args)
        done = _run(
            ["guestfish", f"--remote={self.pid}", "--", *command],
            timeout=timeout,
            env=self.env,
            what=str(self.image),
        )
        if done.returncode != 0:
            raise ImageError(
                f"guestfish {args[0]} failed: {_last_line(done.stderr)}", subject=str(self.image)
            )
        return done.stdout

    def kill(self) -> None:
        """Stop the server at once, not after the command it is running (an interrupted
        launch); libguestfs's recovery process then stops its QEMU."""
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)

    def close(self) -> None:
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        _run(
            ["guestfish", f"--remote={pid}", "--", "exit"],
            timeout=60,
            env=self.env,
            what=str(self.image),
        )


class GuestfsVolume:
    """The file system mounted at ``/`` of a guestfish session (NTFS via ntfs-3g, FAT)."""

    def __init__(self, fish: Guestfish, device: str) -> None:
        self.fish = fish
        self.where = f"{fish.image}:{device}"

    def find(self, path: str) -> str | None:
        wanted = "/" + "/".join(parts(path))
        if wanted == "/":
            return "/"
        actual = self.fish.call("case-sensitive-path", wanted, tolerate=True).strip()
        if not actual:
            return None  # a parent directory is missing
        return actual if self.fish.call("exists", actual).strip() == "true" else None

    def is_dir(self, path: str) -> bool:
        found = self.find(path)
        return found is not None and self.fish.call("is-dir", found).strip() == "true"

    def listdir(self, path: str) -> list[str]:
        found = self.find(path)
        if found is None or self.fish.call("is-dir", found).strip() != "true":
            return []
        return sorted(line for line in self.fish.call("ls", found).splitlines() if line)

    def read(self, path: str) -> bytes | None:
        found = self.find(path)
        if found is None or self.fish.call("is-file", found).strip() != "true":
            return None
        with tempfile.TemporaryDirectory(prefix="wincloud-gfs-") as tmp:
            local = Path(tmp) / "file"
            self.fish.call("download", found, str(local))
            return local.read_bytes()

    def download(self, path: str, local: Path) -> None:
        found = self.find(path)
        if found is None:
            raise ImageError("no such file in the image", subject=f"{self.where}{path}")
        self.fish.call("download", found, str(local.resolve()))

    def _target(self, path: str) -> str:
        names = parts(path)
        current = "/"
        for name in names[:-1]:
            candidate = current.rstrip("/") + "/" + name
            found = self.find(candidate)
            if found is None:
                self.fish.call("mkdir", candidate)
                found = candidate
            current = found
        candidate = current.rstrip("/") + "/" + names[-1]
        return self.find(candidate) or candidate

    def upload(self, local: Path, path: str) -> None:
        self.fish.call("upload", str(local.resolve()), self._target(path))

    def write(self, path: str, data: bytes) -> None:
        with tempfile.TemporaryDirectory(prefix="wincloud-gfs-") as tmp:
            local = Path(tmp) / "file"
            local.write_bytes(data)
            self.upload(local, path)

    def free_bytes(self) -> int | None:
        fields = dict(
            line.partition(":")[::2] for line in self.fish.call("statvfs", "/").splitlines()
        )
        try:
            return int(fields["bavail"]) * int(fields.get("frsize") or fields["bsize"])
        except (KeyError, ValueError):
            return None


class GuestfsDisk:
    """A disk image opened through libguestfs."""

    def __init__(self, fish: Guestfish) -> None:
        self.fish = fish
        self.where = str(fish.image)
        self._mounted: str | None = None

    def partition_table(self) -> str | None:
        devices = [d for d in self.fish.call("list-devices").splitlines() if d]
        if not devices:
            return None
        kind = self.fish.call("part-get-parttype", devices[0], tolerate=True).strip()
        return {"gpt": "gpt", "msdos": "mbr"}.get(kind)

    def filesystems(self) -> Mapping[str, str]:
        out: dict[str, str] = {}
        for line in self.fish.call("list-filesystems").splitlines():
            device, _, fstype = line.partition(":")
            if device:
                out[device.strip()] = fstype.strip()
        return out

    @contextmanager
    def mount(self, device: str, *, write: bool = False) -> Iterator[Volume]:
        if write and not self.fish.write:
            raise ImageError("the image was opened read-only", subject=self.where)
        self.fish.call("umount-all")
        try:
            self.fish.call("mount" if write else "mount-ro", device, "/")
        except ImageError as exc:
            raise ImageError(
                f"cannot mount {device}: {exc.message}",
                subject=self.where,
                hint="if Windows was hibernated or shut down with Fast Startup, boot it and run "
                "'shutdown /s /t 0' (or disable Fast Startup), then try again",
            ) from exc
        try:
            yield GuestfsVolume(self.fish, device)
        except BaseException:
            # a failed guestfish command ends its server: keep the first error, not "not running"
            with contextlib.suppress(ImageError):
                self._unmount(write)
            raise
        self._unmount(write)

    def _unmount(self, write: bool) -> None:
        if write:
            self.fish.call("sync")
        self.fish.call("umount-all")


@contextmanager
def open_disk(image: Path, *, write: bool = False) -> Iterator[GuestfsDisk]:
    """A libguestfs session on ``image``; ``write`` opens it read-write."""
    info = image_info(image)
    check_is_disk(image, info)
    check_image(image, info.format)
    fish = Guestfish(image, fmt=info.format, write=write)
    fish.start()
    try:
        yield GuestfsDisk(fish)
    finally:
        fish.close()
