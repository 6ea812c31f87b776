"""The answer CD (``wincloud image media``): answer files, VirtIO drivers, agent, build script.

Layout (docs/images.md, "Answer media and the QEMU build"), label ``WINCLOUD``::

    /autounattend.xml                      install answer file (Setup finds it on removable media)
    /$WinPEDriver$/<viostor|vioscsi>/...   the boot-critical storage driver (windowsPE loads it)
    /$WinPEDriver$/NetKVM/...              the network driver (network.model = "virtio")
    /wincloud/build.ps1                    the in-guest build script (FirstLogonCommands runs it)
    /wincloud/generalize.xml               the answer file for sysprep /generalize
    /wincloud/agent.msi                    the wincloud agent
    /wincloud/drivers/<name>/...           the other VirtIO drivers and drivers.extra (pnputil)
    /SHA256SUMS                            "<sha256>  <path>" for every other file, sorted

Drivers come from the operator's virtio-win ISO, read with pycdlib (no mount), for the spec's
Windows version and architecture only (virtio-win's ``<driver>/<os>/<arch>/`` folders). The
image is written through the config-drive ISO writer (Rock Ridge + Joliet, every timestamp
1980-01-01, entries sorted), so the same inputs give the same bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from wincloud.errors import DriveError, ImageError
from wincloud.image.virtio_layout import ARCH_DIRS, OS_DIRS

if TYPE_CHECKING:
    from wincloud.image.spec import ImageSpec

log = logging.getLogger(__name__)

LABEL: Final = "WINCLOUD"
WINPE_DIR: Final = "$WinPEDriver$"
SUMS_NAME: Final = "SHA256SUMS"
STORAGE_DRIVERS: Final[Mapping[str, str]] = {"virtio": "viostor", "scsi": "vioscsi"}
NETWORK_DRIVER: Final = "NetKVM"
OTHER_DRIVERS: Final = ("Balloon", "pvpanic", "viorng", "vioserial")
"""VirtIO drivers staged for pnputil besides the boot-critical ones (copied when present)."""
SKIPPED_SUFFIXES: Final = (".pdb",)
"""Debug symbols: not needed to install a driver."""
MAX_DRIVER_BYTES: Final = 256 * 1024 * 1024
MAX_EXTRA_ENTRIES: Final = 10_000
"""Files and folders in one drivers.extra folder (a driver package has a few dozen)."""
MAX_CD_NAME: Final = 64
_CD_NAME: Final = re.compile(r"[\x20-\x7e]+")


@dataclass(frozen=True)
class DriverChoice:
    """Which virtio-win folders a spec needs."""

    storage: str
    network: str | None
    os_dir: str
    arch_dir: str

    def folder(self, driver: str) -> str:
        return f"{driver}/{self.os_dir}/{self.arch_dir}"


def choose_drivers(version: str, architecture: str, bus: str, network_model: str) -> DriverChoice:
    """The virtio-win folders for a Windows version, architecture, disk bus and NIC model."""
    try:
        return DriverChoice(
            storage=STORAGE_DRIVERS[bus],
            network=NETWORK_DRIVER if network_model == "virtio" else None,
            os_dir=OS_DIRS[version],
            arch_dir=ARCH_DIRS[architecture],
        )
    except KeyError as exc:
        raise ImageError(f"no VirtIO driver mapping for {exc.args[0]!r}") from None


@dataclass(frozen=True)
class DriverFiles:
    """Files read from the virtio-win ISO: paths relative to the answer CD's root."""

    winpe: dict[str, bytes]
    staged: dict[str, bytes]


def read_virtio_drivers(iso_path: Path, choice: DriverChoice) -> DriverFiles:
    """The storage and network drivers (for ``$WinPEDriver$``) and the other drivers present
    (for ``/wincloud/drivers``) of one Windows version from a virtio-win ISO."""
    with _open_iso(iso_path) as iso:
        index = _index(iso, iso_path)
        winpe: dict[str, bytes] = {}
        for driver in filter(None, (choice.storage, choice.network)):
            files = _driver_files(iso, index, choice.folder(driver))
            if not files:
                raise ImageError(
                    f"the virtio-win ISO has no {driver} driver for this Windows version "
                    f"(folder {choice.folder(driver)}/ missing or empty)",
                    subject=str(iso_path),
                    hint=_present_hint(index, driver),
                )
            winpe.update({f"{WINPE_DIR}/{driver}/{rel}": data for rel, data in files.items()})
        staged: dict[str, bytes] = {}
        for driver in OTHER_DRIVERS:
            files = _driver_files(iso, index, choice.folder(driver))
            if not files:
                log.info("virtio driver absent, skipped driver=%s", choice.folder(driver))
            staged.update({f"wincloud/drivers/{driver}/{rel}": data for rel, data in files.items()})
    return DriverFiles(winpe=winpe, staged=staged)


def read_extra_drivers(folders: tuple[Path, ...]) -> dict[str, bytes]:
    """``drivers.extra`` folders, each under ``wincloud/drivers/extra<N>-<name>/``.

    Only what really lies in the folder goes onto the CD: a symbolic link whose target is
    outside the folder (``/etc/shadow``, ``../../secrets``) or missing, and anything that is
    neither a file nor a folder (a FIFO, a device, a socket), is refused, naming the path. A
    link to a file inside the folder is copied as that file; a link to a folder inside it is
    left out (its files are staged at their own place). At most MAX_DRIVER_BYTES a folder."""
    out: dict[str, bytes] = {}
    for number, folder in enumerate(folders, start=1):
        key = f"drivers.extra[{number - 1}]"
        base = f"wincloud/drivers/extra{number}-{folder.name or 'drivers'}"
        total = 0
        for path in list_extra_files(folder, key=key):
            if path.suffix.lower() in SKIPPED_SUFFIXES:
                continue
            target = f"{base}/{path.relative_to(folder).as_posix()}"
            _check_cd_name(target, path, key=key)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise ImageError(
                    f"{key}: cannot read a driver file ({exc.strerror})", subject=str(path)
                ) from None
            total += len(data)
            if total > MAX_DRIVER_BYTES:
                raise ImageError(
                    f"{key}: over {MAX_DRIVER_BYTES >> 20} MiB of driver files",
                    subject=str(folder),
                    hint="give the folder of the driver package (its .inf, .sys and .cat)",
                )
            out[target] = data
    return out


def list_extra_files(folder: Path, *, key: str) -> list[Path]:
    """The regular files under ``folder`` (sorted), links checked to stay inside it."""
    try:
        root = folder.resolve(strict=True)
    except OSError as exc:
        raise ImageError(
            f"{key}: cannot open the folder ({exc.strerror})", subject=str(folder)
        ) from None
    found: list[Path] = []
    pending = [folder]
    seen = 0
    while pending:
        current = pending.pop()
        try:
            entries = sorted(current.iterdir())
        except OSError as exc:
            raise ImageError(
                f"{key}: cannot list a driver folder ({exc.strerror})", subject=str(current)
            ) from None
        seen += len(entries)
        if seen > MAX_EXTRA_ENTRIES:
            raise ImageError(
                f"{key}: more than {MAX_EXTRA_ENTRIES} files and folders",
                subject=str(folder),
                hint="give the folder of the driver package, not a folder above it",
            )
        for entry in entries:
            if entry.is_symlink():
                if _inside_link(entry, root, key=key).is_file():
                    found.append(entry)
                # a link to a folder inside: its files are staged where they really are
            elif entry.is_dir():
                pending.append(entry)
            elif entry.is_file():
                found.append(entry)
            else:
                raise ImageError(
                    f"{key}: neither a file nor a folder (a FIFO, socket or device)",
                    subject=str(entry),
                    hint="a driver folder holds files and folders only",
                )
    return sorted(found)


def _inside_link(link: Path, root: Path, *, key: str) -> Path:
    """The target of ``link``; ImageError when it is missing, loops or leaves ``root``."""
    try:
        real = link.resolve(strict=True)
    except (OSError, RuntimeError):
        raise ImageError(
            f"{key}: a symbolic link whose target is missing or loops",
            subject=str(link),
            hint="remove the link or replace it with the file it should be",
        ) from None
    if not real.is_relative_to(root):
        raise ImageError(
            f"{key}: a symbolic link to {real}, outside the driver folder "
            "(only what is in the folder goes onto the answer CD)",
            subject=str(link),
            hint="copy the file into the folder, or remove the link",
        )
    return real


def _check_cd_name(target: str, source: Path, *, key: str) -> None:
    """The answer CD's names are printable ASCII (SHA256SUMS, build.ps1's pnputil call) and
    at most 64 characters a component (Joliet)."""
    names = target.split("/")
    if not all(_CD_NAME.fullmatch(name) for name in names):
        raise ImageError(
            f"{key}: a file name on the answer CD must be printable ASCII",
            subject=str(source),
            hint="rename the file or folder (driver packages use ASCII names)",
        )
    if any(len(name) > MAX_CD_NAME for name in names):
        raise ImageError(
            f"{key}: a file or folder name longer than {MAX_CD_NAME} characters "
            "(the answer CD's Joliet limit)",
            subject=str(source),
            hint="shorten the name",
        )


def build_script() -> bytes:
    """The in-guest build script shipped in the package (``wincloud/image/guest/build.ps1``)."""
    return resources.files("wincloud.image.guest").joinpath("build.ps1").read_bytes()


def layout_media(
    *,
    install_xml: bytes,
    generalize_xml: bytes,
    agent_msi: bytes,
    drivers: DriverFiles,
    extra_drivers: Mapping[str, bytes] | None = None,
    script: bytes | None = None,
) -> dict[str, bytes]:
    """Every file of the answer CD by path, SHA256SUMS included (pure)."""
    files: dict[str, bytes] = {
        "autounattend.xml": install_xml,
        "wincloud/build.ps1": build_script() if script is None else script,
        "wincloud/generalize.xml": generalize_xml,
        "wincloud/agent.msi": agent_msi,
    }
    for part in (drivers.winpe, drivers.staged, extra_drivers or {}):
        for path, data in part.items():
            if path in files:
                raise ImageError("two files for one path on the answer CD", subject=path)
            files[path] = data
    files[SUMS_NAME] = render_sums(files)
    return dict(sorted(files.items()))


def render_sums(files: Mapping[str, bytes]) -> bytes:
    """sha256sum's text format, sorted by path, SHA256SUMS itself left out."""
    lines = [
        f"{hashlib.sha256(files[path]).hexdigest()}  {path}\n"
        for path in sorted(files)
        if path != SUMS_NAME
    ]
    return "".join(lines).encode("ascii")


def check_output(out: Path, what: str) -> None:
    """Refuse an output path that a rename would clobber or that cannot be written: an existing
    folder, device or pipe (``/dev/null`` would be replaced by a file), or a parent that is not
    a writable folder. Creates the missing parent folders."""
    hint = "give --out the path of a file in a writable folder"
    try:
        mode: int | None = out.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:  # a name too long, a parent that is a file, a loop of links
        raise ImageError(
            f"cannot use the {what} path ({exc.strerror})", subject=str(out), hint=hint
        ) from None
    if mode is not None and not stat.S_ISREG(mode):
        raise ImageError(
            f"the {what} path exists and is not a regular file", subject=str(out), hint=hint
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImageError(
            f"cannot create the folder for the {what} ({exc.strerror})", subject=str(out), hint=hint
        ) from None
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise ImageError(f"the folder of the {what} is not writable", subject=str(out), hint=hint)


def refuse_inputs(out: Path, spec: ImageSpec, what: str) -> None:
    """An --out that is one of the spec's own inputs (a typo away: ``--out iso/virtio-win.iso``)
    would be replaced by the output."""
    inputs = {
        "the spec": spec.path,
        "source": spec.source.media,
        "drivers.virtio_win_iso": spec.drivers.virtio_win_iso,
        "agent.msi": spec.agent.msi,
    }
    for key, path in inputs.items():
        if path is not None and out.exists() and path.exists() and out.samefile(path):
            raise ImageError(
                f"the {what} would replace {key}, an input of the spec",
                subject=str(out),
                hint="give --out another file name",
            )


def write_media(files: Mapping[str, bytes], out: Path) -> None:
    """Write the answer CD to ``out`` (atomically: a temporary file renamed into place)."""
    from wincloud.configdrive.iso import write_iso
    from wincloud.image.outfile import replacing

    root = _nest(files)
    check_output(out, "answer CD")
    try:
        with replacing(out, what="answer CD") as sink:
            write_iso(root, sink, label=LABEL, subject=str(out))
    except DriveError as exc:
        raise ImageError(f"cannot write the answer CD ({exc.message})", subject=str(out)) from exc


def media_files(spec: ImageSpec) -> dict[str, bytes]:
    """Everything the answer CD of ``spec`` holds (reads the ISO, MSI and driver folders)."""
    from wincloud.image.unattend import render_unattend

    spec.require_files("drivers.virtio_win_iso", "drivers.extra", "agent.msi")
    choice = choose_drivers(
        spec.source.version, spec.source.architecture, spec.disk.bus, spec.network.model
    )
    drivers = read_virtio_drivers(spec.drivers.virtio_win_iso, choice)
    return layout_media(
        install_xml=_as_bytes(render_unattend(spec, "install")),
        generalize_xml=_as_bytes(render_unattend(spec, "generalize")),
        agent_msi=spec.agent.msi.read_bytes(),
        drivers=drivers,
        extra_drivers=read_extra_drivers(tuple(spec.drivers.extra)),
    )


def build_media(spec: ImageSpec, out: Path) -> dict[str, bytes]:
    """Write the answer CD of ``spec`` to ``out``; returns its files."""
    check_output(out, "answer CD")
    refuse_inputs(out, spec, "answer CD")
    files = media_files(spec)
    write_media(files, out)
    return files


# -- reading the virtio-win ISO --------------------------------------------------------------


@contextlib.contextmanager
def _open_iso(path: Path) -> Iterator[Any]:
    import pycdlib

    if not path.is_file():
        raise ImageError("virtio-win ISO not found", subject=str(path))
    iso = pycdlib.PyCdlib()
    try:
        iso.open(str(path))
    except Exception as exc:  # pycdlib raises several types for a bad image
        raise ImageError(f"unreadable virtio-win ISO ({exc})", subject=str(path)) from exc
    try:
        yield iso
    finally:
        with contextlib.suppress(Exception):
            iso.close()


@dataclass(frozen=True)
class _Index:
    kind: str
    """pycdlib's keyword for the names used: joliet_path, rr_path or iso_path."""
    files: dict[str, tuple[str, str]]
    """casefolded path -> (path as named, no leading /; the path to ask pycdlib for)."""


def _index(iso: Any, where: Path) -> _Index:
    if iso.has_joliet():
        kind = "joliet_path"
    elif iso.has_rock_ridge():
        kind = "rr_path"
    else:
        kind = "iso_path"
    files: dict[str, tuple[str, str]] = {}
    try:
        for dirpath, _dirs, names in iso.walk(**{kind: "/"}):
            for name in names:
                asked = f"{dirpath.rstrip('/')}/{name}"
                key = asked.lstrip("/")
                if kind == "iso_path":
                    key = "/".join(p.split(";")[0].rstrip(".") for p in key.split("/"))
                files[key.casefold()] = (key, asked)
    except Exception as exc:
        raise ImageError(f"damaged virtio-win ISO ({exc})", subject=str(where)) from exc
    return _Index(kind, files)


def _driver_files(iso: Any, index: _Index, folder: str) -> dict[str, bytes]:
    """Files under ``folder`` (case-insensitive), relative to it, debug symbols skipped."""
    prefix = folder.casefold() + "/"
    out: dict[str, bytes] = {}
    total = 0
    for key in sorted(index.files):
        if not key.startswith(prefix) or key.endswith(SKIPPED_SUFFIXES):
            continue
        named, asked = index.files[key]
        sink = io.BytesIO()
        iso.get_file_from_iso_fp(sink, **{index.kind: asked})
        data = sink.getvalue()
        total += len(data)
        if total > MAX_DRIVER_BYTES:
            raise ImageError(f"over {MAX_DRIVER_BYTES} bytes of driver files in {folder}")
        out[named[len(folder) + 1 :]] = data
    return out


def _present_hint(index: _Index, driver: str) -> str:
    prefix = driver.casefold() + "/"
    found = sorted(
        {
            "/".join(key.split("/")[1:3])
            for key in index.files
            if key.startswith(prefix) and key.count("/") >= 3
        }
    )
    if not found:
        return f"this ISO has no {driver} folder at all; use a full virtio-win ISO"
    return (
        f"folders present for {driver}: {', '.join(found)}; use a virtio-win release that "
        "supports this Windows version, or check source.version and source.architecture"
    )


def _as_bytes(text: str | bytes) -> bytes:
    return text.encode("ascii") if isinstance(text, str) else text


def _nest(files: Mapping[str, bytes]) -> Any:
    from wincloud.configdrive.layout import Folder

    root = Folder()
    seen: dict[str, str] = {}
    for path in sorted(files):
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            if seen.setdefault(prefix.casefold(), prefix) != prefix:
                raise ImageError("two answer-CD paths differ only in case", subject=prefix)
        folder = root
        for name in parts[:-1]:
            folder = folder.folders.setdefault(name, Folder())
        folder.files[parts[-1]] = files[path]
    return root
