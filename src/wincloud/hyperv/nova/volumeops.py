"""Cinder iSCSI volumes on Hyper-V instances, decided without Nova: the host logs its Microsoft
iSCSI initiator in to the volume's target and gives the LUN's disk to the VM as a passthrough
SCSI disk. ``connection_info`` is what Cinder's initialize_connection returned (os-brick's iSCSI
properties: target_portal, target_iqn, target_lun, auth_method/auth_username/auth_password).
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from wincloud.errors import ConfigError, HyperVError
from wincloud.hyperv.iscsi import IscsiInitiator
from wincloud.secret import Secret

log = logging.getLogger(__name__)


class VolumeHost(IscsiInitiator, Protocol):
    """What attach/detach need of the Hyper-V host (FakeHost and PsrpHost have it)."""


def iscsi_target(
    connection_info: dict[str, Any],
) -> tuple[str, str, int, tuple[str, Secret] | None]:
    """(portal, iqn, lun, chap) from Cinder's connection info; ConfigError for anything but an
    iSCSI volume with one-way CHAP or none."""
    kind = connection_info.get("driver_volume_type")
    if kind != "iscsi":
        raise ConfigError(
            f"the Hyper-V driver attaches iSCSI volumes only, not {kind!r}",
            subject="connection_info.driver_volume_type",
            hint="use an iSCSI Cinder backend for Hyper-V instances",
        )
    data = connection_info.get("data") or {}
    try:
        portal, iqn, lun = (
            str(data["target_portal"]),
            str(data["target_iqn"]),
            int(data["target_lun"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(
            "the connection info lacks target_portal/target_iqn/target_lun",
            subject="connection_info.data",
        ) from exc
    method = str(data.get("auth_method") or "").upper()
    chap = None
    if method == "CHAP":
        chap = (str(data.get("auth_username") or ""), Secret(str(data.get("auth_password") or "")))
    elif method:
        raise ConfigError(f"unsupported auth_method {method!r} (CHAP only)", subject="auth_method")
    return portal, iqn, lun, chap


class VolumeOps:
    def __init__(self, host: object) -> None:
        if not isinstance(host, IscsiInitiator):
            raise ConfigError(
                "the Hyper-V host object has no iSCSI initiator operations",
                subject=type(host).__name__,
            )
        self.host: VolumeHost = host

    def connector(self, ip: str, hostname: str) -> dict[str, Any]:
        """The connector Nova hands Cinder (os-brick's keys for an iSCSI initiator)."""
        return {
            "initiator": self.host.iscsi_initiator_name(),
            "ip": ip,
            "host": hostname,
            "multipath": False,
            "platform": "x86_64",
            "os_type": "windows",
        }

    def attach(self, vm: str, connection_info: dict[str, Any]) -> int:
        """Log in, pass the LUN's disk through to ``vm``; the host disk number. A failed attach
        logs the session out again."""
        portal, iqn, lun, chap = iscsi_target(connection_info)
        disk = self.host.iscsi_login(portal, iqn, lun, chap=chap)
        try:
            self.host.attach_passthrough(vm, disk)
        except HyperVError:
            try:
                self.host.iscsi_logout(iqn)
            except HyperVError as exc:  # the attach error is the one to report
                log.warning("iscsi logout after a failed attach failed iqn=%s error=%s", iqn, exc)
            raise
        log.info("volume attached vm=%s iqn=%s lun=%d disk=%d", vm, iqn, lun, disk)
        return disk

    def detach(self, vm: str, connection_info: dict[str, Any]) -> None:
        """Take the passthrough disk off ``vm`` and log the session out (one target per volume:
        nothing else uses it). A volume the host no longer has a session for is already gone."""
        _portal, iqn, lun, _chap = iscsi_target(connection_info)
        for session in self.host.iscsi_sessions():
            if session.target_iqn.casefold() != iqn.casefold():
                continue
            disk = session.disk_of(lun)
            if disk is not None:
                self.host.detach_passthrough(vm, disk)
            self.host.iscsi_logout(session.target_iqn)
            log.info("volume detached vm=%s iqn=%s lun=%d disk=%s", vm, iqn, lun, disk)
            return
        log.info("volume already detached vm=%s iqn=%s", vm, iqn)

    def detach_all(self, vm: str, block_device_info: dict[str, Any] | None) -> None:
        """Detach every volume Nova lists for the instance (before its VM is removed)."""
        for bdm in (block_device_info or {}).get("block_device_mapping") or []:
            info = bdm.get("connection_info") if isinstance(bdm, dict) else None
            if info and info.get("driver_volume_type") == "iscsi":
                self.detach(vm, info)
