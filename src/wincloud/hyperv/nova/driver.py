"""``HyperVDriver``: Nova's ComputeDriver for one Hyper-V host, driven over PowerShell remoting.

Each method reads as the operator's runbook (look up, check, act, clean up on failure) and
decides nothing about Windows: Nova's objects become ``plan`` records, and the host steps are
``InstanceOps`` and ``ImageCache`` calls. Host errors become Nova's exceptions here, once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from nova import exception
from nova.api.metadata import base as instance_metadata
from nova.compute import task_states
from nova.conf import CONF
from nova.i18n import _
from nova.image import glance
from nova.objects import fields as obj_fields
from nova.virt import driver, hardware
from nova.virt import node as virt_node
from oslo_serialization import jsonutils
from oslo_utils import versionutils

from wincloud.configdrive import DriveFormat, build_drive
from wincloud.errors import WincloudError
from wincloud.hyperv.nova import conf as hyperv_conf
from wincloud.hyperv.nova import translate
from wincloud.hyperv.nova.imagecache import ImageCache
from wincloud.hyperv.nova.plan import VmPlan, plan_vm, power_state
from wincloud.hyperv.nova.transfer import ChunkReader, file_chunks
from wincloud.hyperv.nova.vmops import InstanceOps
from wincloud.hyperv.nova.volumeops import VolumeOps

log = logging.getLogger(__name__)

hyperv_conf.register(CONF)


class HyperVHostNotReady(exception.NovaException):  # type: ignore[misc]
    msg_fmt = _("Hyper-V host %(host)s is not ready: %(reason)s (%(hint)s)")


class HyperVDriver(driver.ComputeDriver):  # type: ignore[misc]
    capabilities: ClassVar[dict[str, bool]] = {
        **driver.ComputeDriver.capabilities,
        "has_imagecache": True,
        "supports_secure_boot": True,
        "supports_image_type_vhd": True,
        "supports_image_type_vhdx": True,
    }

    def __init__(self, virtapi: Any, read_only: bool = False) -> None:
        super().__init__(virtapi)
        self.settings = hyperv_conf.settings(CONF)
        self.hyperv_host = hyperv_conf.connect(CONF)
        self._ops = InstanceOps(self.hyperv_host, self.settings)
        self._cache = ImageCache(self.hyperv_host, self.settings)
        self._volumes = VolumeOps(self.hyperv_host)
        self._image_api = glance.API()
        self._nodename: str | None = None

    # ---- the host --------------------------------------------------------------------------
    def init_host(self, host: str) -> None:
        try:
            info = self._ops.check_host()
        except WincloudError as exc:
            raise HyperVHostNotReady(
                host=self.hyperv_host.name, reason=str(exc), hint=exc.hint or "see the log"
            ) from exc
        self._nodename = info.hostname.lower()
        log.info(
            "hyper-v host ready host=%s hostname=%s os=%s instances_path=%s",
            self.hyperv_host.name,
            info.hostname,
            info.os_version,
            self._ops.instances_path,
        )

    def cleanup_host(self, host: str) -> None:
        self.hyperv_host.close()

    @property
    def nodename(self) -> str:
        if self._nodename is None:
            self._nodename = self.hyperv_host.host_info().hostname.lower()
        return self._nodename

    def get_available_nodes(self, refresh: bool = False) -> list[str]:
        return [self.nodename]

    def get_nodenames_by_uuid(self, refresh: bool = False) -> dict[str, str]:
        return {virt_node.get_local_node_uuid(): self.nodename}

    def get_host_ip_addr(self) -> str:
        return str(CONF.my_ip)

    def get_available_resource(self, nodename: str) -> dict[str, Any]:
        info = self.hyperv_host.host_info()
        ours = [vm for vm in self.hyperv_host.list_vms() if translate.is_uuid(vm.notes)]
        return {
            "vcpus": info.logical_processors,
            "memory_mb": info.memory_mb_total,
            "local_gb": int(info.disk_gb_total),
            "vcpus_used": sum(vm.cpu_count for vm in ours),
            "memory_mb_used": info.memory_mb_total - info.memory_mb_free,
            "local_gb_used": int(info.disk_gb_total - info.disk_gb_free),
            "hypervisor_type": obj_fields.HVType.HYPERV,
            "hypervisor_version": versionutils.convert_version_to_int(
                ".".join(info.os_version.split(".")[:3])
            ),
            "hypervisor_hostname": nodename,
            "cpu_info": jsonutils.dumps(
                {
                    "arch": obj_fields.Architecture.X86_64,
                    "model": "",
                    "vendor": "",
                    "features": [],
                    "topology": {"sockets": 1, "cores": info.logical_processors, "threads": 1},
                }
            ),
            "disk_available_least": int(info.disk_gb_free),
            "supported_instances": [
                (
                    obj_fields.Architecture.X86_64,
                    obj_fields.HVType.HYPERV,
                    obj_fields.VMMode.HVM,
                )
            ],
            "numa_topology": None,
            "uuid": virt_node.get_local_node_uuid(),
        }

    def update_provider_tree(
        self, provider_tree: Any, nodename: str, allocations: Any = None
    ) -> None:
        info = self.hyperv_host.host_info()
        ratios = self._get_allocation_ratios(provider_tree.data(nodename).inventory)
        totals = {
            "VCPU": (info.logical_processors, CONF.reserved_host_cpus),
            "MEMORY_MB": (info.memory_mb_total, CONF.reserved_host_memory_mb),
            "DISK_GB": (int(info.disk_gb_total), self._get_reserved_host_disk_gb_from_config()),
        }
        provider_tree.update_inventory(
            nodename,
            {
                rc: {
                    "total": total,
                    "min_unit": 1,
                    "max_unit": total,
                    "step_size": 1,
                    "allocation_ratio": ratios[rc],
                    "reserved": reserved,
                }
                for rc, (total, reserved) in totals.items()
            },
        )

    # ---- instances -------------------------------------------------------------------------
    def list_instances(self) -> list[str]:
        return [vm.name for vm in self.hyperv_host.list_vms() if translate.is_uuid(vm.notes)]

    def list_instance_uuids(self) -> list[str]:
        return [vm.notes for vm in self.hyperv_host.list_vms() if translate.is_uuid(vm.notes)]

    def instance_exists(self, instance: Any) -> bool:
        return self.hyperv_host.find_vm(instance.name) is not None

    def get_info(self, instance: Any, use_cache: bool = True) -> Any:
        vm = self.hyperv_host.find_vm(instance.name)
        if vm is None:
            raise exception.InstanceNotFound(instance_id=instance.uuid)
        return hardware.InstanceInfo(state=power_state(vm.state), internal_id=vm.vm_id)

    def spawn(
        self,
        context: Any,
        instance: Any,
        image_meta: Any,
        injected_files: Any,
        admin_password: Any,
        allocations: Any,
        network_info: Any = None,
        block_device_info: Any = None,
        power_on: bool = True,
        accel_info: Any = None,
    ) -> None:
        image = translate.image_facts(image_meta)
        with translate.nova_errors(instance, image.image_id):
            plan = plan_vm(
                translate.spawn_request(instance, image, network_info, block_device_info),
                self.settings,
                self._ops.instances_path,
            )
            with self._ops.removed_on_failure(plan.name):
                base, _fetched = self._cache.fetch(
                    image,
                    self._ops.instances_path,
                    lambda: self._image_api.download(context, image.image_id),
                )
                self._ops.create_vm(plan, base)
                if plan.config_drive:
                    self._attach_config_drive(
                        instance, plan, injected_files, admin_password, network_info
                    )
                with self._vifs_plugged(instance, network_info, power_on):
                    self._ops.add_nics(plan)
                if power_on:
                    self._ops.power_on(plan.name)
        log.info("instance spawned vm=%s generation=%d", plan.name, plan.generation)

    def destroy(
        self,
        context: Any,
        instance: Any,
        network_info: Any,
        block_device_info: Any = None,
        destroy_disks: bool = True,
        destroy_secrets: bool = True,
    ) -> None:
        self._detach_volumes(instance, block_device_info)
        self._ops.destroy(instance.name, keep_files=not destroy_disks)

    def cleanup(
        self,
        context: Any,
        instance: Any,
        network_info: Any,
        block_device_info: Any = None,
        destroy_disks: bool = True,
        migrate_data: Any = None,
        destroy_vifs: bool = True,
        destroy_secrets: bool = True,
    ) -> None:
        self._ops.destroy(instance.name, keep_files=not destroy_disks)

    # ---- volumes (Cinder iSCSI as passthrough disks: volumeops.py) --------------------------
    def get_volume_connector(self, instance: Any) -> dict[str, Any]:
        with translate.nova_errors(instance):
            return self._volumes.connector(CONF.my_block_storage_ip, CONF.host)

    def attach_volume(
        self,
        context: Any,
        connection_info: Any,
        instance: Any,
        mountpoint: Any,
        disk_bus: Any = None,
        device_type: Any = None,
        encryption: Any = None,
    ) -> None:
        with translate.nova_errors(instance):
            self._volumes.attach(instance.name, connection_info)

    def detach_volume(
        self,
        context: Any,
        connection_info: Any,
        instance: Any,
        mountpoint: Any,
        encryption: Any = None,
    ) -> None:
        with translate.nova_errors(instance):
            self._volumes.detach(instance.name, connection_info)

    def _detach_volumes(self, instance: Any, block_device_info: Any) -> None:
        if self.hyperv_host.find_vm(instance.name) is not None:
            with translate.nova_errors(instance):
                self._volumes.detach_all(instance.name, block_device_info)

    # ---- power -----------------------------------------------------------------------------
    def power_off(self, instance: Any, timeout: int = 0, retry_interval: int = 0) -> None:
        with translate.nova_errors(instance):
            self._ops.power_off(instance.name, float(timeout))

    def power_on(
        self,
        context: Any,
        instance: Any,
        network_info: Any,
        block_device_info: Any = None,
        accel_info: Any = None,
        share_info: Any = None,
    ) -> None:
        with translate.nova_errors(instance):
            self._ops.power_on(instance.name)

    def reboot(
        self,
        context: Any,
        instance: Any,
        network_info: Any,
        reboot_type: str,
        block_device_info: Any = None,
        bad_volumes_callback: Any = None,
        accel_info: Any = None,
        share_info: Any = None,
    ) -> None:
        with translate.nova_errors(instance):
            self._ops.reboot(
                instance.name,
                hard=reboot_type == "HARD",
                timeout_s=self.settings.shutdown_timeout_s,
            )

    def pause(self, instance: Any) -> None:
        with translate.nova_errors(instance):
            self._ops.pause(instance.name)

    def unpause(self, instance: Any) -> None:
        with translate.nova_errors(instance):
            self._ops.unpause(instance.name)

    def suspend(self, context: Any, instance: Any) -> None:
        with translate.nova_errors(instance):
            self._ops.suspend(instance.name)

    def resume(
        self,
        context: Any,
        instance: Any,
        network_info: Any,
        block_device_info: Any = None,
        share_info: Any = None,
    ) -> None:
        with translate.nova_errors(instance):
            self._ops.power_on(instance.name)

    def resume_state_on_host_boot(
        self, context: Any, instance: Any, network_info: Any, block_device_info: Any = None
    ) -> None:
        with translate.nova_errors(instance):
            self._ops.power_on(instance.name)

    def plug_vifs(self, instance: Any, network_info: Any) -> None:
        """NICs are added at spawn and bound by the Neutron agent; nothing to plug here."""

    def unplug_vifs(self, instance: Any, network_info: Any) -> None:
        """NICs go with the VM."""

    def get_console_output(self, context: Any, instance: Any) -> bytes:
        with translate.nova_errors(instance):
            return self._ops.console(instance.name)

    # ---- images ----------------------------------------------------------------------------
    def snapshot(self, context: Any, instance: Any, image_id: str, update_task_state: Any) -> None:
        with translate.nova_errors(instance):
            update_task_state(task_state=task_states.IMAGE_PENDING_UPLOAD)
            try:
                merged = self._ops.snapshot(instance.name, f"nova-snapshot-{image_id}")
                update_task_state(
                    task_state=task_states.IMAGE_UPLOADING,
                    expected_state=task_states.IMAGE_PENDING_UPLOAD,
                )
                disk_format = merged.rpartition(".")[2].lower()
                self._image_api.update(
                    context,
                    image_id,
                    {"disk_format": disk_format, "container_format": "bare"},
                    data=ChunkReader(self._ops.read_chunks(merged)),
                )
            finally:
                self.hyperv_host.remove_path(self._ops.paths(instance.name).snapshots)
        log.info("snapshot uploaded vm=%s image=%s", instance.name, image_id)

    def cache_image(self, context: Any, image_id: str) -> bool:
        image = translate.image_facts_from_dict(self._image_api.get(context, image_id))
        _path, fetched = self._cache.fetch(
            image,
            self._ops.instances_path,
            lambda: self._image_api.download(context, image_id),
        )
        return fetched

    def manage_image_cache(self, context: Any, all_instances: Any) -> None:
        """Drop cached bases no instance on this host uses ([image_cache] options)."""
        if not CONF.image_cache.remove_unused_base_images:
            return
        in_use = {str(i.image_ref) for i in all_instances if i.image_ref}
        self._cache.remove_unused(
            self._ops.instances_path,
            in_use,
            now=dt.datetime.now(dt.UTC),
            min_age_s=float(CONF.image_cache.remove_unused_original_minimum_age_seconds),
        )

    # ---- helpers with one caller each -------------------------------------------------------
    def _attach_config_drive(
        self,
        instance: Any,
        plan: VmPlan,
        injected_files: Any,
        admin_password: Any,
        network_info: Any,
    ) -> None:
        """Nova's metadata for this instance, written by our ISO builder, as a DVD."""
        extra_md = {"admin_pass": admin_password} if admin_password else {}
        metadata = instance_metadata.InstanceMetadata(
            instance, content=injected_files, extra_md=extra_md, network_info=network_info
        )
        files = {
            path: data.encode() if isinstance(data, str) else bytes(data)
            for path, data in metadata.metadata_for_config_drive()
        }
        with tempfile.TemporaryDirectory(prefix="wincloud-cd-") as tmp:
            iso = Path(tmp) / "configdrive.iso"
            build_drive(files, iso, fmt=DriveFormat.ISO)
            self._ops.attach_config_drive(plan, file_chunks(iso, self.settings.chunk_bytes))

    @contextlib.contextmanager
    def _vifs_plugged(self, instance: Any, network_info: Any, power_on: bool) -> Iterator[None]:
        """Wait for Neutron's network-vif-plugged for each port not yet active."""
        timeout = CONF.vif_plugging_timeout
        events = [
            ("network-vif-plugged", vif["id"])
            for vif in network_info or []
            if vif.get("active", True) is False
        ]
        if not (power_on and timeout and events):
            yield
            return
        try:
            with self.virtapi.wait_for_instance_event(
                instance, events, timeout=timeout, error_callback=_vif_failed
            ):
                yield
        except exception.InstanceEventTimeout:
            log.warning("timed out waiting for network-vif-plugged vm=%s", instance.name)
            if CONF.vif_plugging_is_fatal:
                raise exception.VirtualInterfaceCreateException() from None


def _vif_failed(event_name: str, instance: Any) -> None:
    log.error("neutron reported failure event=%s vm=%s", event_name, instance.name)
    if CONF.vif_plugging_is_fatal:
        raise exception.VirtualInterfaceCreateException()
