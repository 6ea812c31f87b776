"""The ``IscsiTarget`` Protocol over PowerShell remoting, a mixin of PsrpHost.

Scripts: ``scripts/iscsi_server.ps1``, ``iscsi_disk.ps1``, ``iscsi_target.ps1``,
``iscsi_snapshot.ps1`` (an ``Action`` parameter picks the cmdlet). Each projects
``[pscustomobject]`` records with the properties read here. The CHAP secret travels as a string
parameter inside the (encrypted) WinRM session and becomes a PSCredential on the host; it is
never read back. Verified only against the replay server (no Windows host was available).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wincloud.errors import ConfigError, HostOperationFailed
from wincloud.hyperv.iscsi import (
    CHAP_SECRET_LENGTH,
    IscsiDisk,
    IscsiDiskType,
    IscsiPortal,
    IscsiSession,
    IscsiSnapshot,
    IscsiTargetInfo,
    LunMapping,
    initiator_id,
)
from wincloud.hyperv.psrp.decode import Record
from wincloud.secret import Secret

_DISK_TYPES: dict[str, IscsiDiskType] = {
    "fixed": "fixed",
    "dynamic": "dynamic",
    "differencing": "differencing",
}


def _u64(value: int) -> Any:
    from pypsrp.serializer import TaggedValue

    return TaggedValue("U64", int(value))


def iscsi_disk(r: Record) -> IscsiDisk:
    kind = _DISK_TYPES.get(r.text("DiskType").lower())
    if kind is None:
        raise HostOperationFailed(
            f"{r.cmdlet} on {r.host}: unknown disk type {r.text('DiskType')!r}",
            host=r.host,
            cmdlet=r.cmdlet,
        )
    return IscsiDisk(
        path=r.text("Path"),
        size_bytes=r.integer("Size"),
        disk_type=kind,
        description=r.text("Description", ""),
        enabled=bool(r.opt_flag("Enabled") if r.opt_flag("Enabled") is not None else True),
        parent_path=r.opt_text("ParentPath"),
        status=r.text("Status", "") or "NotConnected",
    )


def iscsi_target(r: Record) -> IscsiTargetInfo:
    luns = []
    for item in r.str_list("LunMappings"):
        number, _, path = item.partition("|")
        try:
            luns.append(LunMapping(int(number), path))
        except ValueError as exc:
            raise HostOperationFailed(
                f"{r.cmdlet} on {r.host}: a LUN mapping is not '<lun>|<path>'",
                host=r.host,
                cmdlet=r.cmdlet,
                detail=item[:200],
            ) from exc
    return IscsiTargetInfo(
        name=r.text("TargetName"),
        iqn=r.text("TargetIqn"),
        initiator_ids=tuple(r.str_list("InitiatorIds")),
        luns=tuple(sorted(luns, key=lambda m: m.lun)),
        chap_enabled=r.flag("EnableChap"),
        chap_user=r.text("ChapUserName", ""),
        enabled=bool(r.opt_flag("Enable") if r.opt_flag("Enable") is not None else True),
        status=r.text("Status", "") or "NotConnected",
    )


def iscsi_snapshot(r: Record) -> IscsiSnapshot:
    return IscsiSnapshot(
        snapshot_id=r.text("SnapshotId"),
        original_path=r.text("OriginalPath"),
        description=r.text("Description", ""),
        created_at=r.datetime("TimeStamp"),
    )


class PsrpIscsiTarget:
    """The ``IscsiTarget`` Protocol. Needs the host's ``_run``/``_one`` (PsrpHost defines them;
    these stubs only type them)."""

    name: str

    def _run(
        self,
        script: str,
        cmdlet: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout_s: float | None = None,
    ) -> list[Record]:  # pragma: no cover - PsrpHost's own comes first in the MRO
        raise NotImplementedError

    def _one(
        self,
        script: str,
        cmdlet: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout_s: float | None = None,
    ) -> Record:  # pragma: no cover - PsrpHost's own comes first in the MRO
        raise NotImplementedError

    # ---- the server ---------------------------------------------------------------------------
    def iscsi_portals(self) -> list[IscsiPortal]:
        return [
            IscsiPortal(r.text("Address"), r.integer("Port"), bool(r.opt_flag("Enabled")))
            for r in self._run("iscsi_server", "Get-IscsiTargetServerSetting")
        ]

    # ---- virtual disks ------------------------------------------------------------------------
    def _disk(self, cmdlet: str, **params: Any) -> list[IscsiDisk]:
        return [iscsi_disk(r) for r in self._run("iscsi_disk", cmdlet, params)]

    def _one_disk(self, cmdlet: str, **params: Any) -> IscsiDisk:
        return iscsi_disk(self._one("iscsi_disk", cmdlet, params))

    def new_iscsi_disk(
        self, path: str, size_bytes: int, *, description: str = "", fixed: bool = False
    ) -> IscsiDisk:
        if not path.lower().endswith(".vhdx"):
            raise ConfigError("an iSCSI virtual disk is a .vhdx file", subject=path)
        if size_bytes <= 0:
            raise ConfigError("a virtual disk size is positive", subject=f"{path} size")
        return self._one_disk(
            "New-IscsiVirtualDisk",
            Action="new",
            Path=path,
            SizeBytes=_u64(size_bytes),
            Fixed=fixed,
            Description=description,
        )

    def import_iscsi_disk(self, path: str, *, description: str = "") -> IscsiDisk:
        return self._one_disk(
            "Import-IscsiVirtualDisk", Action="import", Path=path, Description=description
        )

    def get_iscsi_disk(self, path: str) -> IscsiDisk | None:
        found = self._disk("Get-IscsiVirtualDisk", Action="get", Path=path)
        return found[0] if found else None

    def list_iscsi_disks(self) -> list[IscsiDisk]:
        return self._disk("Get-IscsiVirtualDisk", Action="list")

    def resize_iscsi_disk(self, path: str, size_bytes: int) -> IscsiDisk:
        return self._one_disk(
            "Resize-IscsiVirtualDisk", Action="resize", Path=path, SizeBytes=_u64(size_bytes)
        )

    def remove_iscsi_disk(self, path: str) -> None:
        self._disk("Remove-IscsiVirtualDisk", Action="remove", Path=path)

    # ---- targets ------------------------------------------------------------------------------
    def _targets(self, cmdlet: str, **params: Any) -> list[IscsiTargetInfo]:
        return [iscsi_target(r) for r in self._run("iscsi_target", cmdlet, params)]

    def _one_target(self, cmdlet: str, **params: Any) -> IscsiTargetInfo:
        return iscsi_target(self._one("iscsi_target", cmdlet, params))

    def new_iscsi_target(
        self, name: str, *, initiator_ids: tuple[str, ...] = ()
    ) -> IscsiTargetInfo:
        ids = {"InitiatorIds": [initiator_id(i) for i in initiator_ids]} if initiator_ids else {}
        return self._one_target("New-IscsiServerTarget", Action="new", TargetName=name, **ids)

    def get_iscsi_target(self, name: str) -> IscsiTargetInfo | None:
        found = self._targets("Get-IscsiServerTarget", Action="get", TargetName=name)
        return found[0] if found else None

    def list_iscsi_targets(self) -> list[IscsiTargetInfo]:
        return self._targets("Get-IscsiServerTarget", Action="list")

    def set_iscsi_initiators(self, name: str, initiator_ids: tuple[str, ...]) -> IscsiTargetInfo:
        ids = {"InitiatorIds": [initiator_id(i) for i in initiator_ids]} if initiator_ids else {}
        return self._one_target(
            "Set-IscsiServerTarget", Action="initiators", TargetName=name, **ids
        )

    def set_iscsi_chap(self, name: str, user: str, secret: Secret | None) -> IscsiTargetInfo:
        if secret is not None:
            low, high = CHAP_SECRET_LENGTH
            if not user or not low <= len(secret.reveal()) <= high:
                raise ConfigError(
                    f"CHAP needs a user name and a secret of {low} to {high} characters",
                    subject=f"{name} chap",
                )
        return self._one_target(
            "Set-IscsiServerTarget",
            Action="chap",
            TargetName=name,
            ChapUser=user if secret is not None else "",
            ChapSecret=secret.reveal() if secret is not None else "",
        )

    def map_iscsi_disk(self, target: str, path: str, *, lun: int | None = None) -> IscsiTargetInfo:
        return self._one_target(
            "Add-IscsiVirtualDiskTargetMapping",
            Action="map",
            TargetName=target,
            Path=path,
            Lun=-1 if lun is None else int(lun),
        )

    def unmap_iscsi_disk(self, target: str, path: str) -> IscsiTargetInfo:
        return self._one_target(
            "Remove-IscsiVirtualDiskTargetMapping", Action="unmap", TargetName=target, Path=path
        )

    def remove_iscsi_target(self, name: str) -> None:
        self._targets("Remove-IscsiServerTarget", Action="remove", TargetName=name)

    # ---- snapshots ----------------------------------------------------------------------------
    def checkpoint_iscsi_disk(self, path: str, description: str) -> IscsiSnapshot:
        r = self._one(
            "iscsi_snapshot",
            "Checkpoint-IscsiVirtualDisk",
            {"Action": "checkpoint", "Path": path, "Description": description},
        )
        return iscsi_snapshot(r)

    def list_iscsi_snapshots(self, path: str | None = None) -> list[IscsiSnapshot]:
        recs = self._run(
            "iscsi_snapshot",
            "Get-IscsiVirtualDiskSnapshot",
            {"Action": "list", "Path": path or ""},
        )
        return [iscsi_snapshot(r) for r in recs]

    def copy_iscsi_snapshot(self, snapshot_id: str, dest: str) -> None:
        self._run(
            "iscsi_snapshot",
            "Export-IscsiVirtualDiskSnapshot",
            {"Action": "copy", "SnapshotId": snapshot_id, "Destination": dest},
            timeout_s=3600,
        )

    def remove_iscsi_snapshot(self, snapshot_id: str) -> None:
        self._run(
            "iscsi_snapshot",
            "Remove-IscsiVirtualDiskSnapshot",
            {"Action": "remove", "SnapshotId": snapshot_id},
        )


class PsrpIscsi(PsrpIscsiTarget):
    """PsrpHost's mixin: ``IscsiTarget`` plus the ``IscsiInitiator`` Protocol
    (``scripts/iscsi_initiator.ps1``)."""

    def _initiator(self, cmdlet: str, **params: Any) -> list[Record]:
        return self._run("iscsi_initiator", cmdlet, params, timeout_s=120)

    def iscsi_initiator_name(self) -> str:
        return self._one("iscsi_initiator", "Get-InitiatorPort", {"Action": "name"}).text(
            "NodeAddress"
        )

    def iscsi_login(
        self, portal: str, target_iqn: str, lun: int, *, chap: tuple[str, Secret] | None = None
    ) -> int:
        address, _, port = portal.rpartition(":")
        if not address or not port.isdigit():
            raise ConfigError("a portal is 'address:port'", subject=portal)
        params: dict[str, Any] = {
            "Action": "login",
            "PortalAddress": address.strip("[]"),
            "PortalPort": int(port),
            "TargetIqn": target_iqn,
            "Lun": int(lun),
        }
        if chap is not None:
            params.update(ChapUser=chap[0], ChapSecret=chap[1].reveal())
        r = self._one("iscsi_initiator", "Connect-IscsiTarget", params, timeout_s=120)
        return r.integer("DiskNumber")

    def iscsi_logout(self, target_iqn: str) -> None:
        self._initiator("Disconnect-IscsiTarget", Action="logout", TargetIqn=target_iqn)

    def iscsi_sessions(self) -> list[IscsiSession]:
        out = []
        for r in self._initiator("Get-IscsiSession", Action="sessions"):
            disks = []
            for item in r.str_list("Disks"):
                lun, _, number = item.partition("|")
                if lun.lstrip("-").isdigit() and number.isdigit():
                    disks.append((int(lun), int(number)))
            out.append(IscsiSession(r.text("TargetIqn"), r.text("Portal"), tuple(sorted(disks))))
        return out

    def attach_passthrough(self, vm: str, disk_number: int) -> int:
        params = {"Action": "attach", "VMName": vm, "DiskNumber": int(disk_number)}
        return self._one("iscsi_initiator", "Add-VMHardDiskDrive", params).integer("Location")

    def detach_passthrough(self, vm: str, disk_number: int) -> None:
        self._initiator(
            "Remove-VMHardDiskDrive", Action="detach", VMName=vm, DiskNumber=int(disk_number)
        )

    def list_passthrough(self, vm: str) -> list[int]:
        recs = self._initiator("Get-VMHardDiskDrive", Action="list", VMName=vm)
        return sorted(r.integer("DiskNumber") for r in recs)
