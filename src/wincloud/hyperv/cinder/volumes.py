"""What a Cinder volume is on a Windows iSCSI Target Server, decided without Cinder.

One volume = one VHDX virtual disk ``<volume_dir>\\<volume name>.vhdx`` = one iSCSI target named
after the volume, the disk at LUN 0, the attaching initiators' IQNs as the target's access list,
one-way CHAP when configured. A snapshot is an iSCSI virtual-disk snapshot (VSS) whose id is the
Cinder snapshot's ``provider_location``. The Cinder driver (``driver.py``) only translates
Cinder's objects into these calls; every method here reads as the operator's runbook.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import string
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from wincloud.errors import ConfigError, HostObjectNotFound, HostOperationFailed
from wincloud.hyperv.host import HostInfo
from wincloud.hyperv.iscsi import IscsiDisk, IscsiPortal, IscsiTarget, IscsiTargetInfo
from wincloud.secret import Secret

log = logging.getLogger(__name__)

GIB = 1024**3
CHAP_SECRET_CHARS = 16  # the most Microsoft's target takes (12..16)
_ALPHABET = string.ascii_letters + string.digits


class VolumeHost(IscsiTarget, Protocol):
    """The parts of a Windows host the volume backend uses (FakeHost and PsrpHost have them)."""

    def host_info(self) -> HostInfo: ...
    def make_dir(self, path: str) -> None: ...
    def file_exists(self, path: str) -> bool: ...
    def remove_path(self, path: str) -> None: ...
    def write_file(self, path: str, chunks: Iterable[bytes]) -> int: ...
    def read_file(self, path: str, *, max_bytes: int, offset: int = 0) -> bytes: ...


@dataclass(frozen=True)
class BackendSettings:
    volume_dir: str = "C:\\iSCSIVirtualDisks"  # windows_iscsi_lun_path
    portals: tuple[str, ...] = ()  # "address:port" wanted; empty: every enabled portal
    use_chap: bool = False
    chap_username: str = ""  # empty: one generated per volume
    chap_password: Secret | None = None  # None: one generated per volume
    fixed_disks: bool = False
    chunk_bytes: int = 8 * 1024 * 1024


@dataclass(frozen=True)
class Export:
    target_name: str
    auth: str | None  # "CHAP <user> <secret>" (Cinder's provider_auth) or None


def generate_chap(user_prefix: str = "wincloud") -> tuple[str, Secret]:
    user = f"{user_prefix}-{secrets.token_hex(4)}"
    return user, Secret("".join(secrets.choice(_ALPHABET) for _ in range(CHAP_SECRET_CHARS)))


def parse_auth(provider_auth: str | None) -> tuple[str, str, Secret] | None:
    """``"CHAP user secret"`` -> (method, user, secret); None when there is none."""
    if not provider_auth:
        return None
    parts = provider_auth.split()
    if len(parts) != 3:
        raise ConfigError("provider_auth is not '<method> <user> <secret>'", subject="auth")
    return parts[0], parts[1], Secret(parts[2])


class IscsiVolumes:
    def __init__(self, host: VolumeHost, settings: BackendSettings) -> None:
        self.host = host
        self.settings = settings

    # ---- names ---------------------------------------------------------------------------------
    def path(self, volume_name: str) -> str:
        return f"{self.settings.volume_dir.rstrip(chr(92))}\\{volume_name}.vhdx"

    @staticmethod
    def target_name(volume_name: str) -> str:
        return volume_name

    # ---- the backend ---------------------------------------------------------------------------
    def portals(self) -> list[IscsiPortal]:
        """The configured portals the server listens on (all enabled ones when none is set);
        ConfigError when none is left."""
        live = [p for p in self.host.iscsi_portals() if p.enabled]
        wanted = self.settings.portals
        chosen = [p for p in live if not wanted or p.location in wanted]
        missing = sorted(set(wanted) - {p.location for p in live})
        if missing:
            log.warning("iscsi portals not available host=%s portals=%s", self.host.name, missing)
        if not chosen:
            raise ConfigError(
                "none of the configured iSCSI portals is available on the host",
                subject=", ".join(wanted) or self.host.name,
                hint="set target_ip_address/target_port to an address the target server listens "
                "on (Get-IscsiTargetServerSetting), or install the iSCSI Target Server role",
            )
        return chosen

    def check_setup(self) -> list[IscsiPortal]:
        self.host.make_dir(self.settings.volume_dir)
        return self.portals()

    def stats(self) -> tuple[float, float]:
        """(total_gb, free_gb) of the volume holding volume_dir."""
        info = self.host.host_info()
        return info.disk_gb_total, info.disk_gb_free

    # ---- volumes -------------------------------------------------------------------------------
    def create(self, volume_name: str, size_gb: int) -> IscsiDisk:
        return self.host.new_iscsi_disk(
            self.path(volume_name),
            size_gb * GIB,
            description=volume_name,
            fixed=self.settings.fixed_disks,
        )

    def delete(self, volume_name: str) -> None:
        """Target (if an export is left), virtual disk, file; each absent part is skipped."""
        path = self.path(volume_name)
        self.host.remove_iscsi_target(self.target_name(volume_name))
        for snap in self.host.list_iscsi_snapshots(path):
            if snap.description.startswith(f"{volume_name}-tmp-"):
                self.host.remove_iscsi_snapshot(snap.snapshot_id)
        self.host.remove_iscsi_disk(path)
        self.host.remove_path(path)

    def exists(self, volume_name: str) -> bool:
        return self.host.get_iscsi_disk(self.path(volume_name)) is not None

    def extend(self, volume_name: str, new_size_gb: int) -> IscsiDisk:
        return self.host.resize_iscsi_disk(self.path(volume_name), new_size_gb * GIB)

    # ---- snapshots -----------------------------------------------------------------------------
    def snapshot(self, volume_name: str, snapshot_name: str) -> str:
        """The new snapshot's id (kept by Cinder as the snapshot's provider_location)."""
        return self.host.checkpoint_iscsi_disk(self.path(volume_name), snapshot_name).snapshot_id

    def find_snapshot(self, volume_name: str, snapshot_name: str) -> str | None:
        for snap in self.host.list_iscsi_snapshots(self.path(volume_name)):
            if snap.description == snapshot_name:
                return snap.snapshot_id
        return None

    def delete_snapshot(self, snapshot_id: str) -> None:
        self.host.remove_iscsi_snapshot(snapshot_id)

    def from_snapshot(self, volume_name: str, size_gb: int, snapshot_id: str) -> IscsiDisk:
        """Copy the snapshot out to the new volume's path, import it, grow it to ``size_gb``."""
        path = self.path(volume_name)
        self.host.copy_iscsi_snapshot(snapshot_id, path)
        try:
            disk = self.host.import_iscsi_disk(path, description=volume_name)
            if disk.size_bytes < size_gb * GIB:
                disk = self.host.resize_iscsi_disk(path, size_gb * GIB)
        except Exception:
            with contextlib.suppress(Exception):
                self.host.remove_iscsi_disk(path)
                self.host.remove_path(path)
            raise
        return disk

    @contextlib.contextmanager
    def _temporary_snapshot(self, volume_name: str) -> Iterator[str]:
        name = f"{volume_name}-tmp-{uuid.uuid4().hex[:12]}"
        snapshot_id = self.snapshot(volume_name, name)
        try:
            yield snapshot_id
        finally:
            self.host.remove_iscsi_snapshot(snapshot_id)

    def clone(self, volume_name: str, size_gb: int, source_name: str) -> IscsiDisk:
        with self._temporary_snapshot(source_name) as snapshot_id:
            return self.from_snapshot(volume_name, size_gb, snapshot_id)

    # ---- exports and connections ---------------------------------------------------------------
    def export(self, volume_name: str) -> Export:
        """The volume's target (made once; CHAP set when it is made), the disk at LUN 0."""
        name = self.target_name(volume_name)
        auth = None
        if self.host.get_iscsi_target(name) is None:
            self.host.new_iscsi_target(name)
            if self.settings.use_chap:
                user, secret = self.settings.chap_username, self.settings.chap_password
                if not user or secret is None:
                    user, secret = generate_chap()
                self.host.set_iscsi_chap(name, user, secret)
                auth = f"CHAP {user} {secret.reveal()}"
        self.host.map_iscsi_disk(name, self.path(volume_name), lun=0)
        return Export(name, auth)

    def unexport(self, volume_name: str) -> None:
        self.host.remove_iscsi_target(self.target_name(volume_name))

    def connect(
        self,
        volume_name: str,
        initiator: str,
        *,
        provider_auth: str | None = None,
        multipath: bool = False,
    ) -> dict[str, Any]:
        """Allow ``initiator`` on the volume's target; os-brick's iSCSI connection properties."""
        name = self.target_name(volume_name)
        target = self._target(name)
        ids = tuple(dict.fromkeys((*target.initiator_ids, f"IQN:{initiator}")))
        target = self.host.set_iscsi_initiators(name, ids)
        lun = target.lun_of(self.path(volume_name))
        if lun is None:
            raise HostOperationFailed(
                f"target {name} does not map the volume's disk",
                host=self.host.name,
                cmdlet="Get-IscsiServerTarget",
                subject=name,
                hint="create the export again (re-attach the volume)",
            )
        portals = [p.location for p in self.portals()]
        props: dict[str, Any] = {
            "target_discovered": False,
            "target_portal": portals[0],
            "target_iqn": target.iqn,
            "target_lun": lun,
        }
        auth = parse_auth(provider_auth)
        if auth is not None:
            props["auth_method"], props["auth_username"] = auth[0], auth[1]
            props["auth_password"] = auth[2].reveal()
        if multipath:
            props["target_portals"] = portals
            props["target_iqns"] = [target.iqn] * len(portals)
            props["target_luns"] = [lun] * len(portals)
        return props

    def disconnect(self, volume_name: str, initiator: str | None) -> None:
        """Take ``initiator`` off the target's list (None: everybody, a forced detach)."""
        name = self.target_name(volume_name)
        target = self.host.get_iscsi_target(name)
        if target is None:
            return
        keep: tuple[str, ...] = ()
        if initiator is not None:
            gone = f"IQN:{initiator}".casefold()
            keep = tuple(i for i in target.initiator_ids if i.casefold() != gone)
        self.host.set_iscsi_initiators(name, keep)

    def _target(self, name: str) -> IscsiTargetInfo:
        target = self.host.get_iscsi_target(name)
        if target is None:
            raise HostObjectNotFound(
                f"the volume has no iSCSI target {name}",
                host=self.host.name,
                cmdlet="Get-IscsiServerTarget",
                subject=name,
                hint="the export is missing: detach and attach the volume again",
            )
        return target

    # ---- images --------------------------------------------------------------------------------
    def write_image(self, volume_name: str, vhdx: Path) -> IscsiDisk:
        """Replace the volume's disk with the local VHDX ``vhdx`` (already at the volume's size):
        the server forgets the disk, the file is replaced (atomically on the host), imported."""
        path = self.path(volume_name)
        self.host.remove_iscsi_disk(path)
        try:
            self.host.write_file(path, _file_chunks(vhdx, self.settings.chunk_bytes))
        finally:
            disk = self.host.import_iscsi_disk(path, description=volume_name)
        return disk

    def read_image(self, volume_name: str, dest: Path) -> int:
        """A crash-consistent copy of the volume as a local VHDX at ``dest``; its byte count."""
        staging = f"{self.path(volume_name)}.{uuid.uuid4().hex[:8]}.export.vhdx"
        with self._temporary_snapshot(volume_name) as snapshot_id:
            self.host.copy_iscsi_snapshot(snapshot_id, staging)
        try:
            return _download(self.host, staging, dest, self.settings.chunk_bytes)
        finally:
            self.host.remove_path(staging)


def _file_chunks(path: Path, chunk_bytes: int) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(chunk_bytes):
            yield chunk


def _download(host: VolumeHost, path: str, dest: Path, chunk_bytes: int) -> int:
    """Read a host file in chunks until a short read (bounded: 2**22 chunks, 32 TiB at 8 MiB)."""
    total = 0
    with dest.open("wb") as out:
        for _ in range(1 << 22):
            data = host.read_file(path, max_bytes=chunk_bytes, offset=total)
            out.write(data)
            total += len(data)
            if len(data) < chunk_bytes:
                return total
    raise HostOperationFailed(
        "the file did not end", host=host.name, cmdlet="Get-Content", subject=path
    )
