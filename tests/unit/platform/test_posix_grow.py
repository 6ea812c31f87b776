"""Growing partitions and file systems on Linux: the decision from sfdisk's JSON, the facts from
mountinfo and sysfs, and real runs of sfdisk and resize2fs on disk image files."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from wincloud.errors import NotSupported, PlatformError
from wincloud.platform.posix import _partitions as parts
from wincloud.platform.posix._root import Root
from wincloud.platform.posix.processes import PosixProcesses
from wincloud.platform.posix.volumes import PosixVolumes

MIB = 1 << 20
GIB = 1 << 30
SECTOR = 512


def table(label, *partitions, sector=SECTOR):
    entries = [
        {"node": f"/dev/vda{n}", "start": start, "size": size} for n, start, size in partitions
    ]
    return {"partitiontable": {"label": label, "sectorsize": sector, "partitions": entries}}


# -- the decision -------------------------------------------------------------------------------


def test_the_last_gpt_partition_grows_to_the_backup_header():
    found = parts.plan(table("gpt", (1, 2048, 2048 * 20)), 10 * GIB, 1)
    assert found.grows and not found.refused
    last = 10 * GIB // SECTOR - 34
    assert found.max_size == (last - 2048 + 1) * SECTOR
    assert found.size == 2048 * 20 * SECTOR


def test_an_mbr_partition_grows_to_the_last_sector():
    found = parts.plan(table("dos", (1, 2048, 2048)), 1 * GIB, 1)
    assert found.max_size == 1 * GIB - 2048 * SECTOR


def test_a_partition_with_another_after_it_is_refused():
    found = parts.plan(table("gpt", (1, 2048, 2048), (2, 8192, 2048)), 10 * GIB, 1)
    assert not found.grows
    assert "follows" in found.refused


def test_a_logical_mbr_partition_is_refused():
    found = parts.plan(table("dos", (2, 2048, 4096), (5, 4096, 1024)), 1 * GIB, 5)
    assert "logical" in found.refused


def test_mbr_past_two_tib_is_refused():
    found = parts.plan(table("dos", (1, 2048, 2048)), 3 * 1024 * GIB, 1)
    assert "2 TiB" in found.refused
    assert parts.plan(table("dos", (1, 2048, 2048)), 2 * 1024 * GIB, 1).grows
    four_k = parts.plan(table("dos", (1, 256, 256), sector=4096), 3 * 1024 * GIB, 1)
    assert four_k.grows  # 4 KiB sectors: 16 TiB
    four_k = parts.plan(table("dos", (1, 256, 256), sector=4096), 17 * 1024 * GIB, 1)
    assert "16 TiB" in four_k.refused
    assert parts.plan(table("gpt", (1, 2048, 2048)), 3 * 1024 * GIB, 1).grows


def test_no_free_space_does_not_grow_and_is_not_refused():
    total = 1 * GIB // SECTOR
    found = parts.plan(table("gpt", (1, 2048, total - 34 - 2048 + 1)), 1 * GIB, 1)
    assert not found.grows and not found.refused
    # alignment slack under 1 MiB is no growth either
    found = parts.plan(table("gpt", (1, 2048, total - 34 - 2048 - 100)), 1 * GIB, 1)
    assert not found.grows


def test_a_missing_partition_or_unknown_table_is_refused():
    assert "not in" in parts.plan(table("gpt", (1, 2048, 2048)), GIB, 3).refused
    assert "unknown" in parts.plan(table("sun", (1, 2048, 2048)), GIB, 1).refused


def test_nvme_node_names_give_their_number():
    data = {"partitiontable": {"label": "gpt", "partitions": [
        {"node": "/dev/nvme0n1p3", "start": 2048, "size": 2048},
    ]}}  # fmt: skip
    assert parts.plan(data, GIB, 3).grows


# -- the facts from /proc and /sys ----------------------------------------------------------


MOUNTINFO = (
    "22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
    "23 22 0:21 / /proc rw - proc proc rw\n"
    "24 22 252:1 /srv /srv\\040data rw - ext4 /dev/vda1 rw\n"
    "25 22 253:0 / /var rw - xfs /dev/mapper/vg-var rw\n"
    "26 22 0:40 /@home /home rw - btrfs /dev/vdb2 rw\n"
)


def test_mountinfo_keeps_the_file_systems_that_grow():
    found = parts.parse_mountinfo(MOUNTINFO)
    assert [(m.mountpoint, m.fstype, m.devno) for m in found] == [
        ("/", "ext4", "252:1"),
        ("/srv data", "ext4", "252:1"),
        ("/var", "xfs", "253:0"),
        ("/home", "btrfs", "0:40"),
    ]


def make_sys(system: Path, disk: str, part: str, devno: str, number: int) -> None:
    folder = system / "sys/devices/virtual/block" / disk / part
    folder.mkdir(parents=True)
    (folder / "partition").write_text(f"{number}\n")
    links = system / "sys/dev/block"
    links.mkdir(parents=True, exist_ok=True)
    (links / devno).symlink_to(f"../../devices/virtual/block/{disk}/{part}")


def test_sysfs_names_the_disk_and_partition(tmp_path):
    make_sys(tmp_path, "nvme0n1", "nvme0n1p2", "259:2", 2)
    (tmp_path / "sys/devices/virtual/block/dm-0").mkdir(parents=True)
    (tmp_path / "sys/dev/block/253:0").symlink_to("../../devices/virtual/block/dm-0")
    assert parts.find_partition(tmp_path, "259:2") == parts.Partition(
        "/dev/nvme0n1", "/dev/nvme0n1p2", 2
    )
    assert parts.find_partition(tmp_path, "253:0") is None  # LVM: not a partition
    assert parts.find_partition(tmp_path, "8:0") is None


def test_the_file_system_tools():
    assert parts.grow_fs_argv("ext4", "/dev/vda1", "/") == ["resize2fs", "/dev/vda1"]
    assert parts.grow_fs_argv("xfs", "/dev/vda1", "/") == ["xfs_growfs", "-d", "/"]
    assert parts.grow_fs_argv("btrfs", "/dev/vda1", "/h")[-2:] == ["max", "/h"]


def test_an_alternate_root_resizes_nothing(tmp_path):
    volumes = PosixVolumes(Root(tmp_path), PosixProcesses(Root(tmp_path)))
    with pytest.raises(NotSupported, match="--root"):
        volumes.growable()


# -- real runs on disk images ----------------------------------------------------------------

needs_tools = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("sfdisk", "mkfs.ext4", "resize2fs", "dumpe2fs")),
    reason="needs sfdisk (util-linux) and e2fsprogs",
)


def sh(*argv, stdin=None):
    return subprocess.run(argv, input=stdin, capture_output=True, check=True).stdout


def make_image(path: Path, size: int, script: str) -> None:
    with path.open("wb") as out:
        out.truncate(size)
    sh("sfdisk", "-q", str(path), stdin=script.encode())


def sfdisk_json(path: Path) -> dict:
    return json.loads(sh("sfdisk", "--json", str(path)))["partitiontable"]


def ext_blocks(spec: str) -> int:
    text = sh("dumpe2fs", "-h", spec).decode()
    count = int(re.search(r"^Block count:\s+(\d+)", text, re.M).group(1))
    size = int(re.search(r"^Block size:\s+(\d+)", text, re.M).group(1))
    return count * size


def volumes_for(tmp_path: Path) -> PosixVolumes:
    return PosixVolumes(Root(tmp_path), PosixProcesses(Root(tmp_path)), system=tmp_path)


@needs_tools
@pytest.mark.parametrize("label", ["gpt", "dos"])
def test_a_grown_image_gets_its_partition_and_ext4_grown(tmp_path, loops, label):
    """sfdisk edits the image file as it edits /dev/vda; resize2fs grows the file system on a
    loop device over the partition (given the file itself, resize2fs would truncate it)."""
    image = tmp_path / "disk.img"
    make_image(image, 64 * MIB, f"label: {label}\nstart=2048, size=40MiB, type=L\n")
    offset = 2048 * SECTOR
    sh("mkfs.ext4", "-q", "-F", "-E", f"offset={offset}", str(image), "40M")
    assert ext_blocks(f"{image}?offset={offset}") == 40 * MIB
    with image.open("r+b") as out:
        out.truncate(128 * MIB)

    volumes = volumes_for(tmp_path)
    size = volumes.grow_partition(image, 1)
    [entry] = sfdisk_json(image)["partitions"]
    assert entry["start"] == 2048
    assert entry["size"] * SECTOR == size
    end = 128 * MIB // SECTOR - (34 if label == "gpt" else 1)
    assert entry["start"] + entry["size"] - 1 == end
    # once grown, nothing more to do and nothing written
    before = image.read_bytes()
    assert volumes.grow_partition(image, 1) == size
    assert image.read_bytes() == before

    reason = can_loop_mount(tmp_path)
    if reason:
        pytest.skip(f"partition grown and checked; the file system step {reason}")
    attached, _ = loops
    argv = ["losetup", "-f", "--show", "-o", str(offset), "--sizelimit", str(size), str(image)]
    loop = sh(*argv).decode().strip()
    attached.append(loop)
    sh("e2fsck", "-f", "-p", loop)
    volumes.grow_filesystem("ext4", loop, "")
    grown = ext_blocks(loop)
    assert size - 4096 < grown <= size
    sh("e2fsck", "-f", "-n", loop)
    assert image.stat().st_size == 128 * MIB
    assert sfdisk_json(image)["partitions"] == [entry]
    tune = sh("tune2fs", "-l", loop).decode()
    assert "clean" in re.search(r"^Filesystem state:\s+(.*)$", tune, re.M).group(1)


@needs_tools
def test_a_partition_that_is_not_the_last_is_left_alone(tmp_path):
    image = tmp_path / "disk.img"
    make_image(
        image,
        64 * MIB,
        "label: gpt\nstart=2048, size=20MiB, type=L\nstart=43008, size=10MiB, type=L\n",
    )
    with image.open("r+b") as out:
        out.truncate(128 * MIB)
    before = sfdisk_json(image)["partitions"]
    with pytest.raises(PlatformError, match="follows") as caught:
        volumes_for(tmp_path).grow_partition(image, 1)
    assert caught.value.hint
    assert sfdisk_json(image)["partitions"] == before


@needs_tools
def test_a_disk_without_a_table_is_an_error(tmp_path):
    image = tmp_path / "blank.img"
    image.write_bytes(bytes(MIB))
    with pytest.raises(PlatformError, match="partition table"):
        volumes_for(tmp_path).grow_partition(image, 1)


# -- the whole extend, online, on a mounted loop device ----------------------------------------


def can_loop_mount(tmp_path: Path) -> str:
    """ "" when this test may attach loop devices and mount them; else why not."""
    if os.geteuid() != 0:
        return "needs root for losetup and mount"
    if not all(shutil.which(t) for t in ("losetup", "mount", "umount", "sfdisk", "mkfs.ext4")):
        return "needs losetup, mount, sfdisk, mkfs.ext4"
    probe = tmp_path / "probe.img"
    probe.write_bytes(bytes(MIB))
    done = subprocess.run(["losetup", "-f", "--show", str(probe)], check=False, capture_output=True)
    if done.returncode != 0:
        return f"losetup does not work here ({done.stderr.decode().strip()})"
    subprocess.run(["losetup", "-d", done.stdout.decode().strip()], check=False)
    return ""


@pytest.fixture
def loops():
    attached: list[str] = []
    mounted: list[Path] = []
    yield attached, mounted
    for point in reversed(mounted):
        subprocess.run(["umount", str(point)], check=False)
    for device in attached:
        subprocess.run(["losetup", "-d", device], check=False)


def mounted_disk(tmp_path: Path, loops, fstype: str) -> tuple[PosixVolumes, Path, str, Path]:
    """The disk is an image file (sfdisk edits it, as it edits /dev/vda); the partition is a
    loop device from its start to the file's end (an MBR partition that fills the disk), its
    file system mounted; mountinfo and sysfs are a scratch tree pointing at them. Returns the
    volumes, the image, the loop device and the mount point."""
    reason = can_loop_mount(tmp_path)
    mkfs = shutil.which(f"mkfs.{fstype}")
    tool = {"xfs": "xfs_growfs", "btrfs": "btrfs"}.get(fstype, "resize2fs")
    if reason or not mkfs or not shutil.which(tool):
        pytest.skip(reason or f"needs mkfs.{fstype} and {tool}")
    attached, mounted = loops
    system = tmp_path / "system"
    (system / "dev").mkdir(parents=True)
    image = system / "dev/vda"
    make_image(image, 320 * MIB, "label: dos\nstart=2048, type=83\n")
    loop = sh("losetup", "-f", "--show", "-o", str(2048 * SECTOR), str(image)).decode().strip()
    attached.append(loop)
    sh(mkfs, "-q", *(["-F"] if fstype.startswith("ext") else ["-f"]), loop)
    point = tmp_path / "mnt"
    point.mkdir()
    sh("mount", loop, str(point))
    mounted.append(point)
    (system / "dev/vda1").symlink_to(loop)
    rdev = os.stat(loop).st_rdev
    devno = f"{os.major(rdev)}:{os.minor(rdev)}"
    make_sys(system, "vda", "vda1", devno, 1)
    (system / "proc/self").mkdir(parents=True)
    (system / "proc/self/mountinfo").write_text(
        f"30 1 {devno} / {point} rw - {fstype} /dev/vda1 rw\n"
    )
    return volumes_for(system), image, loop, point


def grow_disk(image: Path, loop: str, size: int) -> None:
    with image.open("r+b") as out:
        out.truncate(size)
    sh("losetup", "-c", loop)  # the kernel learns the bigger disk, as a hypervisor tells it


def extend_or_skip(volumes: PosixVolumes, point: Path) -> int:
    """extend(); a skip when this kernel refuses online resizing (a container without the
    capability), after the partition step was checked by the caller."""
    try:
        return volumes.extend(str(point))
    except PlatformError as exc:
        if "ermission denied" not in exc.detail and "not permitted" not in exc.detail:
            raise
        pytest.skip(f"partition grown; the kernel here refuses online resize ({exc.detail})")


@pytest.mark.parametrize("fstype", ["ext4", "xfs", "btrfs"])
def test_extend_grows_a_mounted_file_system_online(tmp_path, loops, fstype):
    volumes, image, loop, point = mounted_disk(tmp_path, loops, fstype)
    assert volumes.growable() == []  # the partition fills the disk
    offset = 2048 * SECTOR

    grow_disk(image, loop, 640 * MIB)
    [growable] = volumes.growable()
    assert growable.volume == str(point)
    assert growable.max_size == 640 * MIB - offset

    try:
        grown = extend_or_skip(volumes, point)
    finally:
        [entry] = sfdisk_json(image)["partitions"]
        assert (entry["start"] + entry["size"]) * SECTOR == 640 * MIB
    assert grown == 640 * MIB - offset
    stat = os.statvfs(point)
    assert stat.f_blocks * stat.f_frsize > 500 * MIB
    assert volumes.growable() == []


@pytest.mark.parametrize("fstype", ["ext4", "xfs"])
def test_a_file_system_left_behind_by_an_interrupted_boot_is_grown_next_time(
    tmp_path, loops, fstype
):
    """The partition grew, then the boot stopped before the file system: nothing is free
    after the partition any more, yet the volume is still listed and grows."""
    volumes, image, loop, point = mounted_disk(tmp_path, loops, fstype)
    grow_disk(image, loop, 960 * MIB)
    volumes.grow_partition(image, 1)
    [growable] = volumes.growable()
    assert growable.volume == str(point)
    assert growable.size < 320 * MIB < growable.max_size
    assert extend_or_skip(volumes, point) == growable.max_size
    stat = os.statvfs(point)
    assert stat.f_blocks * stat.f_frsize > 800 * MIB
    assert volumes.growable() == []
