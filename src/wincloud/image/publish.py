"""What an image becomes in Glance: the properties derived from its spec and its inspection.

``glance_properties(spec, report)`` is pure: it reads the spec (what was asked for) and the
inspection report (what the disk holds), refuses contradictions between them, and returns the
properties Nova's libvirt driver reads (names as in Nova 34's ``ImageMetaProps`` and Glance's
metadefs ``compute-libvirt-image.json`` / ``operating-system.json``) plus our provenance.
``plan_image`` splits them into Glance's image fields (``min_disk``/``min_ram`` are fields, not
properties) and the free-form properties. Every refusal is an ``ImageError`` whose subject is the
Glance property at stake.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from wincloud.errors import ImageError

if TYPE_CHECKING:
    from wincloud.image.disk.inspect import ImageReport
    from wincloud.image.spec import ImageSpec

log = logging.getLogger(__name__)

# Glance image fields (not properties): min_disk in GiB, min_ram in MiB.
IMAGE_FIELDS: Final = ("min_disk", "min_ram")
# Attributes Glance owns or the image record sets itself: a user property may not name them.
RESERVED: Final = frozenset(
    {
        "id", "name", "status", "visibility", "protected", "os_hidden", "owner", "checksum",
        "os_hash_algo", "os_hash_value", "size", "virtual_size", "disk_format",
        "container_format", "created_at", "updated_at", "tags", "locations", "direct_url",
        "self", "file", "schema", "stores", "min_disk", "min_ram",
    }
)  # fmt: skip
# Properties Glance reserves for its own import machinery.
RESERVED_PREFIX: Final = "os_glance"
ARCHITECTURES: Final = {"amd64": "x86_64", "arm64": "aarch64"}
# Property Nova reads / value for each spec choice.
DISK_BUS_DRIVER: Final = {"virtio": "viostor", "scsi": "vioscsi"}
VIRTIO_WIN_ISO: Final = re.compile(r"virtio-win-(\d+\.\d+\.\d+)", re.IGNORECASE)
MAX_VALUE: Final = 255  # Glance stores property keys and values in VARCHAR(255)


@dataclass(frozen=True)
class ImagePlan:
    """The Glance image to create: fields of the image record and its extra properties."""

    name: str
    disk_format: str
    container_format: str
    visibility: str
    min_disk: int
    min_ram: int
    properties: Mapping[str, str] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        """The JSON body of ``POST /v2/images`` (fields and properties side by side)."""
        body: dict[str, Any] = {
            "name": self.name,
            "disk_format": self.disk_format,
            "container_format": self.container_format,
            "visibility": self.visibility,
            "min_disk": self.min_disk,
            "min_ram": self.min_ram,
        }
        body.update(self.properties)
        return body


def _refuse(prop: str, message: str, hint: str) -> ImageError:
    return ImageError(message, subject=prop, hint=hint)


def derived_properties(spec: ImageSpec, report: ImageReport) -> dict[str, str]:
    """The properties the spec and the report imply, contradictions refused (no user extras)."""
    windows = report.windows
    if windows is None:
        raise _refuse(
            "os_type",
            "the inspection found no Windows installation in the image",
            "inspect the image (wincloud image inspect) and publish the disk Windows is on",
        )
    if not report.generalized:
        raise _refuse(
            "os_type",
            f"the image is not generalized (ImageState={report.image_state or 'unknown'})",
            "run sysprep /generalize /oobe /shutdown in the guest (wincloud image build does)",
        )
    version = spec.source.version
    if windows.version is not None and windows.version != version:
        raise _refuse(
            "os_version",
            f"the image holds Windows {windows.version} but the spec says {version}",
            "fix source.version in the spec or publish the right image",
        )
    arch = spec.source.architecture
    if windows.architecture not in (None, arch):
        raise _refuse(
            "architecture",
            f"the image is {windows.architecture} but the spec says {arch}",
            "fix source.architecture in the spec",
        )

    firmware = spec.firmware.type
    if report.firmware is None:
        log.warning("the inspection could not tell the firmware; publishing as %s", firmware)
    elif report.firmware != firmware:
        raise _refuse(
            "hw_firmware_type",
            f"a {report.firmware.upper()} image cannot be published as {firmware.upper()}",
            f"set firmware.type = {report.firmware!r} in the spec (the disk boots that way)",
        )
    if spec.firmware.secure_boot and firmware != "uefi":
        raise _refuse(
            "os_secure_boot",
            "Secure Boot needs UEFI firmware",
            "set firmware.type = 'uefi' or firmware.secure_boot = false",
        )
    if version == "11" and not spec.firmware.tpm:
        raise _refuse(
            "hw_tpm_version",
            "Windows 11 needs a TPM 2.0",
            "set firmware.tpm = true in the spec",
        )

    bus = spec.disk.bus
    driver = DISK_BUS_DRIVER[bus]
    if not report.boot_drivers.get(bus, False):
        raise _refuse(
            "hw_disk_bus",
            f"hw_disk_bus={bus} but the image has no boot-start {driver} service "
            "(Windows would stop with INACCESSIBLE_BOOT_DEVICE)",
            f"inject {driver} with `wincloud image customize`, or set disk.bus to the bus the "
            "image has a driver for",
        )
    nic = spec.network.model
    if nic == "virtio" and not _has_driver(report.drivers, "netkvm"):
        raise _refuse(
            "hw_vif_model",
            "hw_vif_model=virtio but the image has no NetKVM driver (no network at first boot)",
            "stage NetKVM with `wincloud image customize` or set network.model = 'e1000'",
        )
    if report.agent_version is None and not report.agent_staged:
        raise _refuse(
            "wincloud_agent_version",
            "the image has no wincloud agent (no password, user-data or network at boot)",
            "install it with `wincloud image customize` or agent.msi in the build",
        )

    props: dict[str, str] = {
        "os_type": "windows",
        "os_distro": "windows",
        "os_version": version,
        "architecture": ARCHITECTURES.get(arch, arch),
        "hw_machine_type": "q35",
        "hw_firmware_type": firmware,
        "os_secure_boot": "required" if spec.firmware.secure_boot else "disabled",
        "hw_disk_bus": bus,
        "hw_vif_model": nic,
    }
    if bus == "scsi":
        props["hw_scsi_model"] = "virtio-scsi"
    if spec.firmware.tpm:
        props["hw_tpm_version"] = "2.0"
        props["hw_tpm_model"] = "tpm-crb"
    if report.qemu_ga:
        props["hw_qemu_guest_agent"] = "yes"

    props["wincloud_spec_sha256"] = spec.digest()
    props["wincloud_agent_version"] = report.agent_version or "staged"
    if windows.build is not None:
        props["wincloud_windows_build"] = str(windows.build)
    virtio = report.virtio_win_version or _virtio_win_version(spec)
    if virtio is not None:
        props["virtio_win_version"] = virtio
    return props


def glance_properties(spec: ImageSpec, report: ImageReport) -> dict[str, str]:
    """Every property and field of the image as strings (``min_disk``/``min_ram`` included, see
    IMAGE_FIELDS): derived ones, then the spec's ``publish.properties`` where they agree."""
    props = derived_properties(spec, report)
    extra = dict(spec.publish.properties)
    for key, value in sorted(extra.items()):
        prop = f"publish.properties.{key}"
        if key in RESERVED or key.startswith(RESERVED_PREFIX):
            raise _refuse(
                prop,
                f"{key!r} is a Glance image attribute, not a property",
                "use the publish keys of the spec (name, visibility, min_disk_gib, ...)",
            )
        if len(key) > MAX_VALUE or len(value) > MAX_VALUE:
            raise _refuse(prop, "Glance keeps keys and values up to 255 characters", "shorten it")
        if key in props and props[key] != value:
            raise _refuse(
                key,
                f"publish.properties sets {key}={value!r} but the spec and the image give "
                f"{props[key]!r}",
                f"drop {key} from publish.properties (it is derived) or change the spec",
            )
        if key == "hw_scsi_model" and props.get("hw_disk_bus") != "scsi":
            raise _refuse(key, "hw_scsi_model only applies with hw_disk_bus=scsi", "drop it")
        if key.startswith("hw_tpm_") and "hw_tpm_version" not in props:
            raise _refuse(key, f"{key} without firmware.tpm = true", "set firmware.tpm in the spec")
        props[key] = value

    size_gib = math.ceil(report.virtual_size / 2**30)
    min_disk = spec.min_disk_gib
    if min_disk < size_gib:
        raise _refuse(
            "min_disk",
            f"min_disk={min_disk} GiB is below the image's virtual size ({size_gib} GiB); Nova "
            "would accept flavors whose disk cannot hold it",
            f"set publish.min_disk_gib >= {size_gib} (or drop it: disk.size_gib is the default)",
        )
    props["min_disk"] = str(min_disk)
    props["min_ram"] = str(spec.publish.min_ram_mib)
    return props


def plan_image(spec: ImageSpec, report: ImageReport) -> ImagePlan:
    """The image record to create: fields apart, properties as strings."""
    props = glance_properties(spec, report)
    min_disk = int(props.pop("min_disk"))
    min_ram = int(props.pop("min_ram"))
    return ImagePlan(
        name=spec.publish_name,
        disk_format=spec.publish.disk_format,
        container_format="bare",
        visibility=spec.publish.visibility,
        min_disk=min_disk,
        min_ram=min_ram,
        properties=props,
    )


def report_from_json(data: Any) -> ImageReport:
    """An ImageReport from the JSON of ``wincloud image inspect --json`` (unknown keys ignored,
    so a report from a newer wincloud still reads). Types are checked strictly: a hand-edited
    ``"generalized": "no"`` was true, ``"virtual_size": "big"`` a traceback."""
    from pydantic import TypeAdapter, ValidationError

    from wincloud.image.disk.inspect import ImageReport

    try:
        # JSON mode: strict types, yet a JSON object stands for the dataclass
        return TypeAdapter(ImageReport).validate_json(json.dumps(data), strict=True)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'the report'}: {e['msg']}"
            for e in exc.errors(include_url=False)[:3]
        ]
        raise ImageError(
            f"not an inspection report ({'; '.join(problems)})",
            hint="write it with `wincloud image inspect IMAGE --json`",
        ) from None


def _has_driver(drivers: Mapping[str, str | None], name: str) -> bool:
    return any(key.lower() == name for key in drivers)


def _virtio_win_version(spec: ImageSpec) -> str | None:
    match = VIRTIO_WIN_ISO.search(spec.drivers.virtio_win_iso.name)
    return match.group(1) if match else None
