"""Files and virtual disks of the fake host (the half of FakeHost that needs no VM)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from wincloud.errors import (
    ConfigError,
    HostObjectExists,
    HostObjectNotFound,
    HostOperationFailed,
    HyperVError,
    InsufficientHostResources,
    PathInUse,
)
from wincloud.hyperv.fake._fs import FakeFile, FakeVolume, VhdRecord, key, norm
from wincloud.hyperv.fake._sniff import sniff
from wincloud.hyperv.fake.rules import cite
from wincloud.hyperv.host import VhdFormat, VhdInfo, VhdType

MIB = 1024 * 1024
GIB = 1024 * MIB
_VHD_EXTENSIONS = (".vhd", ".vhdx", ".avhd", ".avhdx")
_MAX_SIZE = {VhdFormat.VHD: 2040 * GIB, VhdFormat.VHDX: 64 * 1024 * GIB}


def _empty_file_size(fmt: VhdFormat, kind: VhdType, size: int) -> int:
    """File size right after New-VHD (unverified figures: VHDX headers and metadata take 4 MiB;
    a dynamic VHD is footer + header + BAT + footer copy)."""
    if fmt is VhdFormat.VHDX:
        return size + 4 * MIB if kind is VhdType.FIXED else 4 * MIB
    if kind is VhdType.FIXED:
        return size + 512
    bat = -(-size // (2 * MIB)) * 4
    return 512 + 1024 + -(-bat // 512) * 512 + 512


class FakeStorage:
    """Volume operations. Subclasses say which files running VMs hold open."""

    name: str
    _volume: FakeVolume
    _clock: Callable[[], dt.datetime]

    # ---- what the VM side tells us ----
    def _open_keys(self) -> set[str]:  # files held by active VMs, with their chains
        return set()

    def _attached_keys(self) -> set[str]:  # files on any VM's drives (any state)
        return set()

    # ---- helpers ----
    def _error(
        self,
        cls: type[HyperVError],
        message: str,
        *,
        cmdlet: str,
        rule: str | None = None,
        subject: str | None = None,
        hint: str | None = None,
    ) -> HyperVError:
        return cls(
            f"{cmdlet} failed on {self.name}: {message}",
            host=self.name,
            cmdlet=cmdlet,
            detail=cite(rule) if rule else "",
            subject=subject,
            hint=hint,
        )

    def _file(self, path: str, cmdlet: str) -> FakeFile:
        f = self._volume.files.get(key(path))
        if f is None:
            raise self._error(HostObjectNotFound, "no such file", cmdlet=cmdlet, subject=norm(path))
        return f

    def _check_parent_dir(self, path: str, cmdlet: str) -> None:
        parent = norm(path).rpartition("\\")[0]
        if not parent or not self._volume.is_dir(parent):
            raise self._error(
                HostObjectNotFound,
                "the parent directory does not exist",
                cmdlet=cmdlet,
                rule="file.parent-dir",
                subject=norm(path),
                hint="create it first (make_dir)",
            )

    def _check_not_open(self, path: str, cmdlet: str) -> None:
        open_keys = self._open_keys()
        if any(k in open_keys for k in self._volume.below(path)):
            raise self._error(
                PathInUse,
                "the file is in use by a running virtual machine",
                cmdlet=cmdlet,
                rule="file.in-use",
                subject=norm(path),
                hint="turn the VM off or detach the disk first",
            )

    def _check_space(self, extra: int, path: str, cmdlet: str) -> None:
        if extra > self._volume.free_bytes():
            raise self._error(
                InsufficientHostResources,
                "not enough space on the volume",
                cmdlet=cmdlet,
                rule="file.disk-space",
                subject=norm(path),
            )

    def _vhd_of(self, f: FakeFile, cmdlet: str) -> VhdRecord:
        if f.vhd is None:
            found = sniff(f.data)
            if found is None:
                raise self._error(
                    HostOperationFailed,
                    "the file is not a virtual hard disk",
                    cmdlet=cmdlet,
                    subject=f.path,
                )
            fmt, kind, size, parent = found
            parent_key = None
            if parent:
                folder = f.path.rpartition("\\")[0]
                parent_key = key(parent if ":" in parent else f"{folder}\\{parent}")
            return VhdRecord(fmt, kind, size, len(f.data), parent_key)
        if not f.vhd.valid:
            raise self._error(
                HostOperationFailed,
                "the file is no longer a valid virtual hard disk (it was merged)",
                cmdlet=cmdlet,
                rule="vhd.merge-ancestor",
                subject=f.path,
            )
        return f.vhd

    def _children(self, parent: str) -> list[str]:
        """Keys of the valid virtual disks whose parent is ``parent``."""
        pk = key(parent)
        out = []
        for k, f in self._volume.files.items():
            if f.vhd is None and not k.endswith(_VHD_EXTENSIONS):
                continue
            try:
                rec = self._vhd_of(f, "Get-VHD")
            except HyperVError:
                continue
            if rec.parent_key == pk:
                out.append(k)
        return out

    def _chain(self, path: str) -> list[str]:
        """Keys from ``path`` up to its root (bounded: a loop ends the walk)."""
        out: list[str] = []
        k: str | None = key(path)
        while k is not None and k not in out and len(out) < 64:
            out.append(k)
            f = self._volume.files.get(k)
            if f is None:
                break
            try:
                k = self._vhd_of(f, "Get-VHD").parent_key
            except HyperVError:
                break
        return out

    def _info(self, f: FakeFile, rec: VhdRecord) -> VhdInfo:
        parent = None
        if rec.parent_key is not None:
            pf = self._volume.files.get(rec.parent_key)
            parent = pf.path if pf is not None else rec.parent_key
        return VhdInfo(
            path=f.path,
            format=rec.format,
            vhd_type=rec.vhd_type,
            size_bytes=rec.size_bytes,
            file_size_bytes=self._file_size(f, rec, parent),
            parent_path=parent,
            attached=key(f.path) in self._open_keys(),
        )

    @staticmethod
    def _file_size(f: FakeFile, rec: VhdRecord, parent: str | None) -> int:
        """What read_file would hand out: a record's rendered bytes, when they can be built."""
        if f.vhd is None:
            return len(f.data)
        from wincloud.hyperv.fake._render import render_vhd

        data = render_vhd(rec.format, rec.vhd_type, rec.size_bytes, parent)
        return len(data) if data is not None else f.size

    # ---- virtual disks ----
    def new_vhd(
        self, path: str, size_bytes: int, *, fmt: VhdFormat = VhdFormat.VHDX, dynamic: bool = True
    ) -> VhdInfo:
        cmdlet = "New-VHD"
        fmt = VhdFormat(fmt)
        if not norm(path).casefold().endswith("." + fmt.value):
            raise ConfigError(
                f"the extension of {norm(path)} does not match the format {fmt.value}",
                subject=norm(path),
                hint=cite("vhd.extension"),
            )
        self._check_size(fmt, size_bytes, path, cmdlet)
        if key(path) in self._volume.files:
            raise self._error(
                HostObjectExists,
                "the file exists",
                cmdlet=cmdlet,
                rule="vhd.exists",
                subject=norm(path),
            )
        self._check_parent_dir(path, cmdlet)
        kind = VhdType.DYNAMIC if dynamic else VhdType.FIXED
        rec = VhdRecord(fmt, kind, size_bytes, _empty_file_size(fmt, kind, size_bytes))
        self._check_space(rec.file_size_bytes, path, cmdlet)
        f = FakeFile(norm(path), vhd=rec, modified_at=self._clock())
        self._volume.files[key(path)] = f
        return self._info(f, rec)

    def _check_size(self, fmt: VhdFormat, size: int, path: str, cmdlet: str) -> None:
        unit = MIB if fmt is VhdFormat.VHDX else 512
        if size <= 0 or size % unit:
            raise ConfigError(
                f"{cmdlet}: a {fmt.value} size must be a positive multiple of {unit} bytes",
                subject=f"{norm(path)} size={size}",
                hint=cite("vhd.size-multiple"),
            )
        if size > _MAX_SIZE[fmt]:
            raise ConfigError(
                f"{cmdlet}: {size} bytes is over the {fmt.value} maximum",
                subject=norm(path),
                hint=cite("vhd.max-size"),
            )

    def new_diff_vhd(self, parent: str, child: str) -> VhdInfo:
        cmdlet = "New-VHD"
        pf = self._file(parent, cmdlet)
        prec = self._vhd_of(pf, cmdlet)
        ext = norm(child).casefold().rpartition(".")[2]
        if ext.lstrip("a") != prec.format.value:
            raise self._error(
                HostOperationFailed,
                "a differencing disk has its parent's format",
                cmdlet=cmdlet,
                rule="vhd.diff-parent",
                subject=norm(child),
            )
        if key(child) in self._volume.files:
            raise self._error(
                HostObjectExists,
                "the file exists",
                cmdlet=cmdlet,
                rule="vhd.exists",
                subject=norm(child),
            )
        self._check_parent_dir(child, cmdlet)
        rec = VhdRecord(
            prec.format,
            VhdType.DIFFERENCING,
            prec.size_bytes,
            _empty_file_size(prec.format, VhdType.DYNAMIC, prec.size_bytes),
            parent_key=key(parent),
        )
        self._check_space(rec.file_size_bytes, child, cmdlet)
        f = FakeFile(norm(child), vhd=rec, modified_at=self._clock())
        self._volume.files[key(child)] = f
        return self._info(f, rec)

    def get_vhd(self, path: str) -> VhdInfo:
        f = self._file(path, "Get-VHD")
        return self._info(f, self._vhd_of(f, "Get-VHD"))

    def resize_vhd(self, path: str, size_bytes: int) -> VhdInfo:
        cmdlet = "Resize-VHD"
        f = self._file(path, cmdlet)
        rec = self._vhd_of(f, cmdlet)
        self._check_size(rec.format, size_bytes, path, cmdlet)
        if size_bytes < rec.size_bytes:
            raise self._error(
                HostOperationFailed,
                "shrinking a disk is refused",
                cmdlet=cmdlet,
                rule="vhd.grow-only",
                subject=f.path,
            )
        if key(path) in self._open_keys() and not self._online_resizable(path, rec):
            raise self._error(
                PathInUse,
                "the disk is attached to a running VM",
                cmdlet=cmdlet,
                rule="vhd.resize-offline",
                subject=f.path,
            )
        if f.vhd is None:  # a byte-written disk becomes a record: its bytes are no longer modelled
            f.vhd = VhdRecord(rec.format, rec.vhd_type, rec.size_bytes, len(f.data), rec.parent_key)
            f.data = bytearray()
        f.vhd.size_bytes = size_bytes
        if f.vhd.vhd_type is VhdType.FIXED:
            f.vhd.file_size_bytes = _empty_file_size(rec.format, VhdType.FIXED, size_bytes)
        f.modified_at = self._clock()
        return self._info(f, f.vhd)

    def _online_resizable(self, path: str, rec: VhdRecord) -> bool:
        return False

    def merge_vhd(self, child: str, dest: str | None = None) -> None:
        cmdlet = "Merge-VHD"
        cf = self._file(child, cmdlet)
        crec = self._vhd_of(cf, cmdlet)
        if crec.parent_key is None:
            raise self._error(
                HostOperationFailed,
                "the disk is not a differencing disk",
                cmdlet=cmdlet,
                rule="vhd.merge-ancestor",
                subject=cf.path,
            )
        chain = self._chain(child)
        dest_key = key(dest) if dest is not None else crec.parent_key
        if dest_key not in chain[1:]:
            raise self._error(
                HostOperationFailed,
                "the destination is not an ancestor of the disk",
                cmdlet=cmdlet,
                rule="vhd.merge-ancestor",
                subject=norm(dest or ""),
            )
        merged = chain[: chain.index(dest_key)]
        open_keys = self._open_keys()
        if any(k in open_keys for k in chain):
            raise self._error(
                PathInUse,
                "the chain is in use by a running VM",
                cmdlet=cmdlet,
                rule="vhd.merge-offline",
                subject=cf.path,
            )
        for k in [*merged[1:], dest_key]:
            others = [c for c in self._children(k) if c not in merged]
            if others:
                raise self._error(
                    PathInUse,
                    "another disk depends on a disk of the merge",
                    cmdlet=cmdlet,
                    rule="vhd.merge-siblings",
                    subject=self._volume.files[others[0]].path,
                )
        df = self._volume.files[dest_key]
        grown = sum(self._volume.files[k].size for k in merged) - len(merged) * 4 * MIB
        if df.vhd is not None and df.vhd.vhd_type is not VhdType.FIXED:
            df.vhd.file_size_bytes += max(0, grown)
        df.modified_at = self._clock()
        for k in merged:
            mf = self._volume.files[k]
            if mf.vhd is None:
                mf.vhd = VhdRecord(crec.format, VhdType.DIFFERENCING, crec.size_bytes, len(mf.data))
                mf.data = bytearray()
            mf.vhd.valid = False

    def set_vhd_parent(self, child: str, parent: str) -> VhdInfo:
        cmdlet = "Set-VHD"
        cf = self._file(child, cmdlet)
        crec = self._vhd_of(cf, cmdlet)
        prec = self._vhd_of(self._file(parent, cmdlet), cmdlet)
        if crec.vhd_type is not VhdType.DIFFERENCING or cf.vhd is None:
            raise self._error(
                HostOperationFailed,
                "the disk is not a differencing disk",
                cmdlet=cmdlet,
                rule="vhd.set-parent",
                subject=cf.path,
            )
        old = self._volume.files.get(crec.parent_key or "")
        before = self._vhd_of(old, cmdlet) if old is not None else None
        if prec.format is not crec.format or (
            before is not None and before.size_bytes != prec.size_bytes
        ):
            raise self._error(
                HostOperationFailed,
                "the new parent's format or size differs",
                cmdlet=cmdlet,
                rule="vhd.set-parent",
                subject=norm(parent),
            )
        self._check_not_open(child, cmdlet)
        cf.vhd.parent_key = key(parent)
        cf.modified_at = self._clock()
        return self._info(cf, cf.vhd)
