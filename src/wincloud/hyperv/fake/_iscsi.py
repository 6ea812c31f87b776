"""The fake host's iSCSI Target Server (the ``IscsiTarget`` Protocol), a mixin of FakeHost.

Virtual disks are VHDX files on the fake volume (made with the storage half's ``new_vhd``);
targets, LUN mappings, CHAP and snapshots are kept here. The rules it enforces are in
``ISCSI_RULES`` below, in the same form as ``rules.RULES`` (verified = stated on the page named).
Test hook: ``set_iscsi_portals``.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Final

from wincloud.errors import (
    ConfigError,
    HostObjectExists,
    HostObjectNotFound,
    HostOperationFailed,
    HyperVError,
    PathInUse,
)
from wincloud.hyperv.fake._fs import FakeFile, VhdRecord, key, norm
from wincloud.hyperv.fake._iscsi_initiator import FakeIscsiInitiator
from wincloud.hyperv.fake.rules import UNVERIFIED, Rule
from wincloud.hyperv.host import VhdFormat, VhdType
from wincloud.hyperv.iscsi import (
    CHAP_SECRET_LENGTH,
    IscsiDisk,
    IscsiDiskType,
    IscsiPortal,
    IscsiSnapshot,
    IscsiTargetInfo,
    LunMapping,
    initiator_id,
)
from wincloud.secret import Secret

_PS = "https://learn.microsoft.com/en-us/powershell/module/iscsitarget/"
ISCSI_RULES: Final[dict[str, Rule]] = {
    r.id: r
    for r in (
        Rule(
            "iscsi.new-exists",
            "New-IscsiVirtualDisk refuses a path that exists (Import-IscsiVirtualDisk imports one)",
            _PS + "new-iscsivirtualdisk",
        ),
        Rule(
            "iscsi.vhdx",
            "the iSCSI Target Server (2012 R2 and later) creates VHDX virtual disks",
            _PS + "new-iscsivirtualdisk",
        ),
        Rule(
            "iscsi.snapshot-export",
            "Export-IscsiVirtualDiskSnapshot exposes a snapshot as a virtual disk object",
            _PS + "export-iscsivirtualdisksnapshot",
        ),
        Rule(
            "iscsi.target-initiators",
            "a target is assigned to initiators by InitiatorIds (IQN:, IPAddress:, DNSName:, ...)",
            _PS + "new-iscsiservertarget",
        ),
        Rule(
            "iscsi.chap",
            "Set-IscsiServerTarget -EnableChap with -Chap (a PSCredential) sets one-way CHAP",
            _PS + "set-iscsiservertarget",
        ),
        Rule(
            "iscsi.chap-length",
            "a CHAP secret has 12 to 16 characters (Microsoft initiator and target)",
            UNVERIFIED,
            _PS + "set-iscsiservertarget",
        ),
        Rule(
            "iscsi.target-unique",
            "a target name is used once per server",
            UNVERIFIED,
            _PS + "new-iscsiservertarget",
        ),
        Rule(
            "iscsi.remove-mapped",
            "a virtual disk mapped to a target is not removed (unmap it first)",
            UNVERIFIED,
            _PS + "remove-iscsivirtualdisk",
        ),
        Rule(
            "iscsi.remove-keeps-file",
            "Remove-IscsiVirtualDisk forgets the disk and leaves its VHDX file",
            UNVERIFIED,
            _PS + "remove-iscsivirtualdisk",
        ),
        Rule(
            "iscsi.file-open",
            "the target service holds a virtual disk's file open: it is not removed or replaced",
            UNVERIFIED,
        ),
        Rule("iscsi.grow-only", "wincloud grows virtual disks only", UNVERIFIED),
        Rule(
            "iscsi.lun-unique",
            "a LUN number is used once per target (0..254)",
            UNVERIFIED,
            _PS + "add-iscsivirtualdisktargetmapping",
        ),
    )
}
_IQN_PREFIX = "iqn.1991-05.com.microsoft"
_TARGET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,222}$")


def iscsi_cite(rule_id: str) -> str:
    rule = ISCSI_RULES[rule_id]
    return f"rule {rule.id} ({rule.source})"


@dataclass
class _Target:
    name: str
    iqn: str
    initiators: list[str] = field(default_factory=list)
    luns: dict[int, str] = field(default_factory=dict)  # lun -> disk key
    chap_user: str = ""
    chap_secret: Secret | None = None


@dataclass
class _Snapshot:
    snapshot_id: str
    original: str  # disk key
    description: str
    created_at: dt.datetime
    file: FakeFile


@dataclass
class _IscsiState:
    portals: list[IscsiPortal] = field(default_factory=lambda: [IscsiPortal("127.0.0.1", 3260)])
    disks: dict[str, str] = field(default_factory=dict)  # disk key -> description
    targets: dict[str, _Target] = field(default_factory=dict)  # casefolded name -> target
    snapshots: dict[str, _Snapshot] = field(default_factory=dict)


class FakeIscsi(FakeIscsiInitiator):
    hostname: str

    # ---- state and helpers ------------------------------------------------------------------
    def _iscsi(self) -> _IscsiState:
        state: _IscsiState | None = getattr(self, "_iscsi_state", None)
        if state is None:
            state = _IscsiState()
            self._iscsi_state = state
        return state

    def set_iscsi_portals(self, portals: list[IscsiPortal]) -> None:
        """Test hook: the addresses the target server listens on."""
        self._iscsi().portals = list(portals)

    def _iscsi_error(
        self,
        cls: type[HyperVError],
        message: str,
        *,
        cmdlet: str,
        rule: str | None = None,
        subject: str | None = None,
    ) -> HyperVError:
        return cls(
            f"{cmdlet} failed on {self.name}: {message}",
            host=self.name,
            cmdlet=cmdlet,
            detail=iscsi_cite(rule) if rule else "",
            subject=subject,
        )

    def _check_not_open(self, path: str, cmdlet: str) -> None:
        served = self._iscsi().disks
        for k in self._volume.below(path):
            if k in served:
                raise self._iscsi_error(
                    PathInUse,
                    "the file is a virtual disk of the iSCSI Target Server",
                    cmdlet=cmdlet,
                    rule="iscsi.file-open",
                    subject=norm(path),
                )
        super()._check_not_open(path, cmdlet)

    def _disk_info(self, k: str) -> IscsiDisk:
        f = self._volume.files[k]
        rec = self._vhd_of(f, "Get-IscsiVirtualDisk")
        kind: IscsiDiskType = (
            "fixed"
            if rec.vhd_type is VhdType.FIXED
            else ("differencing" if rec.vhd_type is VhdType.DIFFERENCING else "dynamic")
        )
        parent = self._info(f, rec).parent_path
        return IscsiDisk(f.path, rec.size_bytes, kind, self._iscsi().disks[k], True, parent)

    def _served(self, path: str, cmdlet: str) -> str:
        k = key(path)
        if k not in self._iscsi().disks:
            raise self._iscsi_error(
                HostObjectNotFound,
                "no iSCSI virtual disk has that path",
                cmdlet=cmdlet,
                subject=norm(path),
            )
        return k

    def _target(self, name: str, cmdlet: str) -> _Target:
        t = self._iscsi().targets.get(name.casefold())
        if t is None:
            raise self._iscsi_error(
                HostObjectNotFound, "no iSCSI target of that name", cmdlet=cmdlet, subject=name
            )
        return t

    def _target_info(self, t: _Target) -> IscsiTargetInfo:
        files = self._volume.files
        luns = tuple(
            LunMapping(lun, files[k].path if k in files else k) for lun, k in sorted(t.luns.items())
        )
        return IscsiTargetInfo(
            name=t.name,
            iqn=t.iqn,
            initiator_ids=tuple(t.initiators),
            luns=luns,
            chap_enabled=t.chap_secret is not None,
            chap_user=t.chap_user if t.chap_secret is not None else "",
        )

    # ---- Protocol: the server -----------------------------------------------------------------
    def iscsi_portals(self) -> list[IscsiPortal]:
        return list(self._iscsi().portals)

    # ---- Protocol: virtual disks --------------------------------------------------------------
    def new_iscsi_disk(
        self, path: str, size_bytes: int, *, description: str = "", fixed: bool = False
    ) -> IscsiDisk:
        cmdlet = "New-IscsiVirtualDisk"
        if not norm(path).casefold().endswith(".vhdx"):
            raise ConfigError(
                f"{cmdlet}: a virtual disk is a .vhdx file",
                subject=norm(path),
                hint=iscsi_cite("iscsi.vhdx"),
            )
        if key(path) in self._volume.files:
            raise self._iscsi_error(
                HostObjectExists,
                "the file exists",
                cmdlet=cmdlet,
                rule="iscsi.new-exists",
                subject=norm(path),
            )
        self.new_vhd(path, size_bytes, fmt=VhdFormat.VHDX, dynamic=not fixed)
        self._iscsi().disks[key(path)] = description
        return self._disk_info(key(path))

    def import_iscsi_disk(self, path: str, *, description: str = "") -> IscsiDisk:
        cmdlet = "Import-IscsiVirtualDisk"
        f = self._file(path, cmdlet)
        rec = self._vhd_of(f, cmdlet)
        if rec.format is not VhdFormat.VHDX:
            raise self._iscsi_error(
                HostOperationFailed,
                "the file is not a VHDX",
                cmdlet=cmdlet,
                rule="iscsi.vhdx",
                subject=f.path,
            )
        if key(path) in self._iscsi().disks:
            raise self._iscsi_error(
                HostObjectExists, "the disk is already imported", cmdlet=cmdlet, subject=f.path
            )
        self._iscsi().disks[key(path)] = description
        return self._disk_info(key(path))

    def get_iscsi_disk(self, path: str) -> IscsiDisk | None:
        k = key(path)
        return self._disk_info(k) if k in self._iscsi().disks else None

    def list_iscsi_disks(self) -> list[IscsiDisk]:
        return [self._disk_info(k) for k in sorted(self._iscsi().disks)]

    def resize_iscsi_disk(self, path: str, size_bytes: int) -> IscsiDisk:
        cmdlet = "Resize-IscsiVirtualDisk"
        k = self._served(path, cmdlet)
        current = self._disk_info(k).size_bytes
        if size_bytes < current:
            raise self._iscsi_error(
                HostOperationFailed,
                f"shrinking is refused ({current} -> {size_bytes} bytes)",
                cmdlet=cmdlet,
                rule="iscsi.grow-only",
                subject=norm(path),
            )
        self.resize_vhd(path, size_bytes)
        return self._disk_info(k)

    def remove_iscsi_disk(self, path: str) -> None:
        cmdlet = "Remove-IscsiVirtualDisk"
        k = key(path)
        state = self._iscsi()
        if k not in state.disks:
            return
        for t in state.targets.values():
            if k in t.luns.values():
                raise self._iscsi_error(
                    PathInUse,
                    f"target {t.name} maps the disk",
                    cmdlet=cmdlet,
                    rule="iscsi.remove-mapped",
                    subject=norm(path),
                )
        del state.disks[k]

    # ---- Protocol: targets ---------------------------------------------------------------------
    def new_iscsi_target(
        self, name: str, *, initiator_ids: tuple[str, ...] = ()
    ) -> IscsiTargetInfo:
        cmdlet = "New-IscsiServerTarget"
        if not _TARGET_NAME.match(name):
            raise ConfigError(
                f"{cmdlet}: a target name is letters, digits, '.' and '-'", subject=name
            )
        state = self._iscsi()
        if name.casefold() in state.targets:
            raise self._iscsi_error(
                HostObjectExists,
                "a target of that name exists",
                cmdlet=cmdlet,
                rule="iscsi.target-unique",
                subject=name,
            )
        iqn = f"{_IQN_PREFIX}:{self.hostname.lower()}-{name.lower()}-target"
        t = _Target(name, iqn, _dedupe(initiator_ids))
        state.targets[name.casefold()] = t
        return self._target_info(t)

    def get_iscsi_target(self, name: str) -> IscsiTargetInfo | None:
        t = self._iscsi().targets.get(name.casefold())
        return self._target_info(t) if t is not None else None

    def list_iscsi_targets(self) -> list[IscsiTargetInfo]:
        targets = self._iscsi().targets
        return [self._target_info(targets[k]) for k in sorted(targets)]

    def set_iscsi_initiators(self, name: str, initiator_ids: tuple[str, ...]) -> IscsiTargetInfo:
        t = self._target(name, "Set-IscsiServerTarget")
        t.initiators = _dedupe(initiator_ids)
        return self._target_info(t)

    def set_iscsi_chap(self, name: str, user: str, secret: Secret | None) -> IscsiTargetInfo:
        cmdlet = "Set-IscsiServerTarget"
        t = self._target(name, cmdlet)
        if secret is None:
            t.chap_user, t.chap_secret = "", None
            return self._target_info(t)
        low, high = CHAP_SECRET_LENGTH
        if not user or not low <= len(secret.reveal()) <= high:
            raise ConfigError(
                f"{cmdlet}: CHAP needs a user name and a secret of {low} to {high} characters",
                subject=f"{name} chap",
                hint=iscsi_cite("iscsi.chap-length"),
            )
        t.chap_user, t.chap_secret = user, secret
        return self._target_info(t)

    def map_iscsi_disk(self, target: str, path: str, *, lun: int | None = None) -> IscsiTargetInfo:
        cmdlet = "Add-IscsiVirtualDiskTargetMapping"
        t = self._target(target, cmdlet)
        k = self._served(path, cmdlet)
        if k in t.luns.values():
            return self._target_info(t)
        if lun is None:
            lun = next(n for n in range(255) if n not in t.luns)
        if not 0 <= lun <= 254 or lun in t.luns:
            raise self._iscsi_error(
                HostObjectExists,
                f"LUN {lun} is taken or out of range",
                cmdlet=cmdlet,
                rule="iscsi.lun-unique",
                subject=f"{t.name} lun {lun}",
            )
        t.luns[lun] = k
        return self._target_info(t)

    def unmap_iscsi_disk(self, target: str, path: str) -> IscsiTargetInfo:
        t = self._target(target, "Remove-IscsiVirtualDiskTargetMapping")
        t.luns = {n: k for n, k in t.luns.items() if k != key(path)}
        return self._target_info(t)

    def remove_iscsi_target(self, name: str) -> None:
        self._iscsi().targets.pop(name.casefold(), None)

    # ---- Protocol: snapshots -------------------------------------------------------------------
    def checkpoint_iscsi_disk(self, path: str, description: str) -> IscsiSnapshot:
        cmdlet = "Checkpoint-IscsiVirtualDisk"
        k = self._served(path, cmdlet)
        f = self._volume.files[k]
        snap = _Snapshot(
            "{" + str(uuid.uuid4()).upper() + "}",
            k,
            description,
            self._clock(),
            _copy_file(f),
        )
        self._iscsi().snapshots[snap.snapshot_id.casefold()] = snap
        return self._snapshot_info(snap)

    def _snapshot_info(self, s: _Snapshot) -> IscsiSnapshot:
        return IscsiSnapshot(s.snapshot_id, s.file.path, s.description, s.created_at)

    def list_iscsi_snapshots(self, path: str | None = None) -> list[IscsiSnapshot]:
        snaps = list(self._iscsi().snapshots.values())
        if path is not None:
            snaps = [s for s in snaps if s.original == key(path)]
        return [self._snapshot_info(s) for s in snaps]

    def copy_iscsi_snapshot(self, snapshot_id: str, dest: str) -> None:
        cmdlet = "Export-IscsiVirtualDiskSnapshot"
        snap = self._iscsi().snapshots.get(snapshot_id.casefold())
        if snap is None:
            raise self._iscsi_error(
                HostObjectNotFound, "no snapshot with that id", cmdlet=cmdlet, subject=snapshot_id
            )
        cmdlet = "Copy-Item"
        self._check_parent_dir(dest, cmdlet)
        if key(dest) in self._volume.files:
            raise self._iscsi_error(
                HostObjectExists, "the destination exists", cmdlet=cmdlet, subject=norm(dest)
            )
        self._check_space(snap.file.size, dest, cmdlet)
        copy = _copy_file(snap.file)
        copy.path = norm(dest)
        copy.modified_at = self._clock()
        self._volume.files[key(dest)] = copy

    def remove_iscsi_snapshot(self, snapshot_id: str) -> None:
        self._iscsi().snapshots.pop(snapshot_id.casefold(), None)


def _dedupe(ids: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for raw in ids:
        ident = initiator_id(raw)
        if ident.casefold() not in {o.casefold() for o in out}:
            out.append(ident)
    return out


def _copy_file(f: FakeFile) -> FakeFile:
    vhd = None
    if f.vhd is not None:
        v = f.vhd
        vhd = VhdRecord(
            v.format, v.vhd_type, v.size_bytes, v.file_size_bytes, v.parent_key, v.valid
        )
    return FakeFile(f.path, bytearray(f.data), vhd, f.modified_at)
