"""``WindowsISCSIDriver``: Cinder's volume driver for a Microsoft iSCSI Target Server, reached
over PowerShell remoting (imported only inside Cinder).

Each method translates Cinder's volume/snapshot objects into one ``IscsiVolumes`` call and our
errors into Cinder's exceptions; the decisions live in ``volumes.py`` and ``images.py``.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cinder import exception, interface
from cinder.volume import driver

from wincloud.errors import ImageError, WincloudError
from wincloud.hyperv.cinder import images, options
from wincloud.hyperv.cinder.volumes import IscsiVolumes

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _translated(what: str) -> Iterator[None]:
    """Our errors -> VolumeBackendAPIException (ImageError -> ImageUnacceptable), once, here."""
    try:
        yield
    except ImageError as exc:
        raise exception.ImageUnacceptable(image_id="", reason=f"{exc} ({exc.hint})") from exc
    except WincloudError as exc:
        hint = f" ({exc.hint})" if exc.hint else ""
        raise exception.VolumeBackendAPIException(data=f"{what}: {exc}{hint}") from exc


@interface.volumedriver
class WindowsISCSIDriver(driver.ISCSIDriver):  # type: ignore[misc]
    """Volumes as VHDX virtual disks of a Windows iSCSI Target Server (one target per volume,
    initiator ACL by IQN, optional CHAP), driven over PowerShell remoting by wincloud."""

    VERSION = "1.0.0"
    CI_WIKI_NAME = "wincloud_CI"
    SUPPORTED = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.configuration is not None:
            self.configuration.append_config_values(options.OPTS)
        self._volumes: IscsiVolumes | None = None

    @staticmethod
    def get_driver_options() -> list[Any]:
        return list(options.OPTS)

    @property
    def volumes(self) -> IscsiVolumes:
        if self._volumes is None:
            with _translated("connecting to the Windows host"):
                host = options.connect(self.configuration)
                self._volumes = IscsiVolumes(host, options.settings(self.configuration))
        return self._volumes

    # ---- setup and stats -----------------------------------------------------------------------
    def do_setup(self, context: Any) -> None:
        with _translated("setup"):
            self.volumes.check_setup()

    def check_for_setup_error(self) -> None:
        with _translated("setup check"):
            portals = self.volumes.portals()
        log.info("windows iscsi backend ready portals=%s", [p.location for p in portals])

    def _update_volume_stats(self) -> None:
        with _translated("capacity"):
            total_gb, free_gb = self.volumes.stats()
        conf = self.configuration
        self._stats = {
            "volume_backend_name": conf.safe_get("volume_backend_name") or type(self).__name__,
            "vendor_name": "Microsoft",
            "driver_version": self.VERSION,
            "storage_protocol": "iSCSI",
            "total_capacity_gb": total_gb,
            "free_capacity_gb": free_gb,
            "reserved_percentage": conf.safe_get("reserved_percentage") or 0,
            "thin_provisioning_support": not conf.safe_get("windows_iscsi_fixed_disks"),
            "QoS_support": False,
            "multiattach": False,
        }

    # ---- volumes -------------------------------------------------------------------------------
    def create_volume(self, volume: Any) -> None:
        with _translated(f"create {volume.name}"):
            self.volumes.create(volume.name, volume.size)

    def delete_volume(self, volume: Any) -> None:
        with _translated(f"delete {volume.name}"):
            self.volumes.delete(volume.name)

    def extend_volume(self, volume: Any, new_size: int) -> None:
        with _translated(f"extend {volume.name}"):
            self.volumes.extend(volume.name, new_size)

    def create_cloned_volume(self, volume: Any, src_vref: Any) -> None:
        with _translated(f"clone {src_vref.name} to {volume.name}"):
            self.volumes.clone(volume.name, volume.size, src_vref.name)

    def local_path(self, volume: Any) -> str:
        return self.volumes.path(volume.name)

    # ---- snapshots -----------------------------------------------------------------------------
    def create_snapshot(self, snapshot: Any) -> dict[str, Any]:
        with _translated(f"snapshot {snapshot.volume_name}"):
            snapshot_id = self.volumes.snapshot(snapshot.volume_name, snapshot.name)
        return {"provider_location": snapshot_id}

    def _snapshot_id(self, snapshot: Any) -> str | None:
        return snapshot.provider_location or self.volumes.find_snapshot(
            snapshot.volume_name, snapshot.name
        )

    def delete_snapshot(self, snapshot: Any) -> None:
        with _translated(f"delete snapshot {snapshot.name}"):
            snapshot_id = self._snapshot_id(snapshot)
            if snapshot_id:
                self.volumes.delete_snapshot(snapshot_id)

    def create_volume_from_snapshot(self, volume: Any, snapshot: Any) -> None:
        with _translated(f"create {volume.name} from snapshot {snapshot.name}"):
            snapshot_id = self._snapshot_id(snapshot)
            if not snapshot_id:
                raise exception.SnapshotNotFound(snapshot_id=snapshot.id)
            self.volumes.from_snapshot(volume.name, volume.size, snapshot_id)

    # ---- exports and connections ---------------------------------------------------------------
    def ensure_export(self, context: Any, volume: Any) -> None:
        """Targets on the Windows host persist across restarts: nothing to do."""

    def create_export(self, context: Any, volume: Any, connector: Any) -> dict[str, Any]:
        with _translated(f"export {volume.name}"):
            export = self.volumes.export(volume.name)
        updates: dict[str, Any] = {"provider_location": export.target_name}
        if export.auth:
            updates["provider_auth"] = export.auth
        return updates

    def remove_export(self, context: Any, volume: Any) -> None:
        with _translated(f"remove the export of {volume.name}"):
            self.volumes.unexport(volume.name)

    def initialize_connection(self, volume: Any, connector: Any, **kwargs: Any) -> dict[str, Any]:
        initiator = (connector or {}).get("initiator")
        if not initiator:
            raise exception.InvalidConnectorException(missing="initiator")
        with _translated(f"connect {volume.name}"):
            props = self.volumes.connect(
                volume.name,
                initiator,
                provider_auth=volume.provider_auth,
                multipath=bool(connector.get("multipath")),
            )
        props["volume_id"] = volume.id
        props["encrypted"] = bool(volume.encryption_key_id)
        return {"driver_volume_type": "iscsi", "data": props}

    def terminate_connection(self, volume: Any, connector: Any, **kwargs: Any) -> None:
        initiator = (connector or {}).get("initiator")
        with _translated(f"disconnect {volume.name}"):
            self.volumes.disconnect(volume.name, initiator)

    # ---- images --------------------------------------------------------------------------------
    def copy_image_to_volume(
        self,
        context: Any,
        volume: Any,
        image_service: Any,
        image_id: str,
        disable_sparse: bool = False,
    ) -> None:
        meta = image_service.show(context, image_id)
        fmt = str(meta.get("disk_format") or "")
        with tempfile.TemporaryDirectory(prefix="wincloud-cinder-") as tmp:
            source = Path(tmp) / f"image.{fmt if fmt in images.IMAGE_FORMATS else 'raw'}"
            with source.open("wb") as f:
                image_service.download(context, image_id, f)
            vhdx = Path(tmp) / "volume.vhdx"
            try:
                images.image_to_vhdx(source, fmt, vhdx, volume.size * 2**30)
            except ImageError as exc:
                raise exception.ImageUnacceptable(image_id=image_id, reason=str(exc)) from exc
            with _translated(f"write image {image_id} to {volume.name}"):
                self.volumes.write_image(volume.name, vhdx)

    def copy_volume_to_image(
        self, context: Any, volume: Any, image_service: Any, image_meta: dict[str, Any]
    ) -> None:
        fmt = str(image_meta.get("disk_format") or "vhdx")
        with tempfile.TemporaryDirectory(prefix="wincloud-cinder-") as tmp:
            vhdx = Path(tmp) / "volume.vhdx"
            with _translated(f"read {volume.name}"):
                self.volumes.read_image(volume.name, vhdx)
            try:
                out = images.vhdx_to_image(vhdx, fmt, Path(tmp) / f"image.{fmt}")
            except ImageError as exc:
                raise exception.ImageUnacceptable(
                    image_id=image_meta["id"], reason=str(exc)
                ) from exc
            with out.open("rb") as f:
                image_service.update(
                    context,
                    image_meta["id"],
                    {"disk_format": fmt, "container_format": "bare"},
                    f,
                )
