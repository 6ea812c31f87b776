"""What the Nova driver decides, as pure functions over plain values (no Nova import).

The driver turns Nova's instance, flavor, image metadata and network info into the records
below, then hands them to ``InstanceOps`` and ``ImageCache``. Every decision that could be wrong
(generation, Secure Boot, disk sizes, controllers, paths, power states, which cached bases to
drop) lives here so it is tested without Nova installed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from wincloud.errors import ConfigError, ImageError
from wincloud.hyperv.host import Controller, DirEntry, VhdFormat, VmState

GIB = 1024**3

# Values of nova.compute.power_state (stable since Essex; restated to keep this module Nova-free).
NOSTATE = 0x00
RUNNING = 0x01
PAUSED = 0x03
SHUTDOWN = 0x04
SUSPENDED = 0x07

# Image property hw_machine_type values understood for Hyper-V (the names Nova's in-tree Hyper-V
# driver used until its removal in 29.0.0).
MACHINE_TYPES = {"hyperv-gen1": 1, "hyperv-gen2": 2}

BASE_DIR_NAME = "_base"
CONSOLE_MAX_BYTES = 100 * 1024
_IMAGE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_VM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


@dataclass(frozen=True)
class DriverSettings:
    """The driver's ``[hyperv]`` options, as plain values."""

    vswitch: str
    instances_path: str | None = None  # None: the host's VirtualHardDiskPath
    default_generation: int = 2
    shutdown_timeout_s: float = 60.0  # a soft power off longer than this becomes a hard one
    chunk_bytes: int = 8 * 1024 * 1024  # image transfer chunk
    progress_every_bytes: int = 256 * 1024 * 1024  # a progress line per this much copied

    def __post_init__(self) -> None:
        if not self.vswitch:
            raise ConfigError(
                "no virtual switch configured",
                subject="[hyperv] vswitch_name",
                hint="set it to the external vSwitch the instances' NICs connect to",
            )
        if self.default_generation not in (1, 2):
            raise ConfigError(
                "generation must be 1 or 2",
                subject="[hyperv] default_generation",
                hint="use 2 (UEFI) unless the images are BIOS-only",
            )


@dataclass(frozen=True)
class ImageFacts:
    """What spawn needs of a Glance image."""

    image_id: str
    disk_format: str  # Glance disk_format
    size_bytes: int  # the file's size in Glance
    machine_type: str | None = None  # hw_machine_type
    secure_boot: str | None = None  # os_secure_boot: required | disabled | optional


@dataclass(frozen=True)
class Nic:
    port_id: str  # the NIC's name on the host: the Neutron port id
    mac: str  # lower case, colon separated


@dataclass(frozen=True)
class EphemeralDisk:
    path: str
    size_bytes: int


@dataclass(frozen=True)
class InstancePaths:
    """Where an instance's files live on the host: one directory per instance."""

    instances_path: str
    name: str

    @property
    def directory(self) -> str:
        return join(self.instances_path, self.name)

    def root(self, fmt: VhdFormat) -> str:
        return join(self.directory, f"root.{fmt.value}")

    def ephemeral(self, index: int) -> str:
        return join(self.directory, f"ephemeral{index}.vhdx")

    @property
    def config_drive(self) -> str:
        return join(self.directory, "configdrive.iso")

    @property
    def snapshots(self) -> str:
        return join(self.directory, "snapshot")


@dataclass(frozen=True)
class VmPlan:
    """Everything spawn will create for one instance."""

    name: str
    instance_uuid: str
    generation: int
    secure_boot: bool
    cpu_count: int
    memory_mb: int
    paths: InstancePaths
    image_format: VhdFormat
    root_gb: int  # 0: keep the image's virtual size
    ephemerals: tuple[EphemeralDisk, ...] = ()
    nics: tuple[Nic, ...] = ()
    config_drive: bool = False
    switch: str = ""

    @property
    def root_path(self) -> str:
        return self.paths.root(self.image_format)

    @property
    def disk_controller(self) -> Controller:
        """Generation 1 boots from IDE; generation 2 has SCSI only."""
        return "ide" if self.generation == 1 else "scsi"

    @property
    def console_pipe(self) -> str:
        return self.name


@dataclass(frozen=True)
class Flavor:
    vcpus: int
    memory_mb: int
    root_gb: int
    ephemeral_gb: int = 0


@dataclass(frozen=True)
class SpawnRequest:
    """Nova's view of one spawn, reduced to plain values by the driver."""

    name: str
    instance_uuid: str
    flavor: Flavor
    image: ImageFacts
    nics: Sequence[Nic] = ()
    ephemeral_gb: Sequence[int] = field(default=())  # block_device_info ephemerals, in order
    config_drive: bool = False


def join(*parts: str) -> str:
    """A Windows path from parts (host paths use backslashes)."""
    cleaned = [p.replace("/", "\\").rstrip("\\") for p in parts if p]
    return "\\".join(cleaned)


def image_format(disk_format: str, *, image_id: str) -> VhdFormat:
    """Glance disk_format -> the host's virtual disk format; anything else is refused."""
    try:
        return VhdFormat(disk_format.lower())
    except ValueError:
        raise ImageError(
            f"Hyper-V boots vhd and vhdx images only, not {disk_format}",
            subject=f"image {image_id}",
            hint="convert the image to VHDX (wincloud vhd convert) and upload it again",
        ) from None


def generation(machine_type: str | None, *, default: int) -> int:
    if not machine_type:
        return default
    try:
        return MACHINE_TYPES[machine_type.lower()]
    except KeyError:
        raise ImageError(
            f"unknown hw_machine_type {machine_type!r}",
            subject="image property hw_machine_type",
            hint="use hyperv-gen1 (BIOS) or hyperv-gen2 (UEFI)",
        ) from None


def secure_boot(requested: str | None, *, gen: int) -> bool:
    """os_secure_boot: ``required`` needs generation 2; ``optional`` and unset leave it off."""
    value = (requested or "disabled").lower()
    if value == "required":
        if gen != 2:
            raise ImageError(
                "Secure Boot needs a generation 2 VM",
                subject="image property os_secure_boot",
                hint="set hw_machine_type=hyperv-gen2 or drop os_secure_boot=required",
            )
        return True
    if value in ("disabled", "optional"):
        return False
    raise ImageError(
        f"unknown os_secure_boot {requested!r}",
        subject="image property os_secure_boot",
        hint="use required, optional or disabled",
    )


def root_size(root_gb: int, virtual_size_bytes: int, *, image_id: str) -> int | None:
    """The root disk's size: the flavor's root_gb, never smaller than the image (0 = as is)."""
    if root_gb <= 0:
        return None
    wanted = root_gb * GIB
    if wanted < virtual_size_bytes:
        raise ImageError(
            f"the flavor's root disk ({root_gb} GiB) is smaller than the image "
            f"({virtual_size_bytes / GIB:.1f} GiB)",
            subject=f"image {image_id}",
            hint="pick a flavor with a larger root disk",
        )
    return wanted if wanted > virtual_size_bytes else None


def check_name(kind: str, value: str, pattern: re.Pattern[str]) -> str:
    if not pattern.match(value):
        raise ConfigError(f"unsafe {kind} for a host path", subject=value)
    return value


def plan_vm(request: SpawnRequest, settings: DriverSettings, instances_path: str) -> VmPlan:
    """The VM, disks and NICs for one spawn (the root size is checked later, against the base)."""
    name = check_name("instance name", request.name, _VM_NAME)
    fmt = image_format(request.image.disk_format, image_id=request.image.image_id)
    gen = generation(request.image.machine_type, default=settings.default_generation)
    paths = InstancePaths(instances_path, name)
    sizes = list(request.ephemeral_gb)
    if not sizes and request.flavor.ephemeral_gb > 0:
        sizes = [request.flavor.ephemeral_gb]
    ephemerals = tuple(
        EphemeralDisk(paths.ephemeral(i), gb * GIB) for i, gb in enumerate(sizes) if gb > 0
    )
    return VmPlan(
        name=name,
        instance_uuid=request.instance_uuid,
        generation=gen,
        secure_boot=secure_boot(request.image.secure_boot, gen=gen),
        cpu_count=request.flavor.vcpus,
        memory_mb=request.flavor.memory_mb,
        paths=paths,
        image_format=fmt,
        root_gb=request.flavor.root_gb,
        ephemerals=ephemerals,
        nics=tuple(request.nics),
        config_drive=request.config_drive,
        switch=settings.vswitch,
    )


def base_image_path(instances_path: str, image_id: str, fmt: VhdFormat) -> str:
    """The cached copy of a Glance image on the host: ``<instances>\\_base\\<image id>.<fmt>``."""
    check_name("image id", image_id, _IMAGE_ID)
    return join(instances_path, BASE_DIR_NAME, f"{image_id}.{fmt.value}")


def image_id_of_base(file_name: str) -> str | None:
    """The image id a cached base file is named after; None for anything else in the folder."""
    stem, dot, ext = file_name.rpartition(".")
    if not dot or ext.lower() not in ("vhd", "vhdx") or not _IMAGE_ID.match(stem):
        return None
    return stem


def unused_bases(
    entries: Iterable[DirEntry],
    in_use: set[str],
    *,
    now: dt.datetime,
    min_age_s: float,
) -> list[str]:
    """Names of cached bases no instance uses that were last written ``min_age_s`` ago or more."""
    names = []
    for entry in entries:
        image_id = image_id_of_base(entry.name)
        if entry.is_dir or image_id is None or image_id in in_use:
            continue
        if (now - entry.modified_at).total_seconds() >= min_age_s:
            names.append(entry.name)
    return names


def power_state(state: VmState) -> int:
    """Hyper-V's VM state -> Nova's power state; transitions report NOSTATE (Nova waits)."""
    return {
        VmState.RUNNING: RUNNING,
        VmState.OFF: SHUTDOWN,
        VmState.SAVED: SUSPENDED,
        VmState.PAUSED: PAUSED,
    }.get(state, NOSTATE)
