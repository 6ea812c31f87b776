"""The FAT reader on hostile images: it must fail fast with a DriveError, never hang or bloat.

Every image is written here byte by byte with struct, a few KB each, so a test that reads one
can only do a bounded amount of work once the reader bounds itself.
"""

from __future__ import annotations

import random
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from wincloud.configdrive import DriveFormat, build_drive, read_drive, read_drive_label, vfat_read
from wincloud.errors import DriveError

BPS = 512
EOC = 0x0FFFFFFF
ATTR_DIR = 0x10


def entry(name: bytes, cluster: int, size: int = 0, attr: int = 0x20) -> bytes:
    """One 8.3 directory record."""
    rec = bytearray(32)
    rec[0:11] = name.ljust(11)
    rec[11] = attr
    struct.pack_into("<H", rec, 20, cluster >> 16)
    struct.pack_into("<HI", rec, 26, cluster & 0xFFFF, size)
    return bytes(rec)


def fat_image(
    *,
    bits: int,
    fat: dict[int, int],
    data: dict[int, bytes] | None = None,
    root: bytes = b"",
    image_clusters: int = 4,
    total: int | None = None,
    fat_sectors: int = 1,
    bps: int = BPS,
    spc: int = 1,
    fats: int = 1,
    root_entries: int | None = None,
    root_cluster: int = 2,
) -> bytes:
    """A FAT12/16/32 volume labelled config-2 whose boot sector says what the caller wants."""
    reserved = 32 if bits == 32 else 1
    if root_entries is None:
        root_entries = 0 if bits == 32 else 16
    root_sectors = -(-root_entries * 32 // BPS)
    if total is None:  # FAT32 is a matter of cluster count: declare more than the image holds
        clusters = 70_000 if bits == 32 else image_clusters
        total = reserved + fats * fat_sectors + root_sectors + clusters * spc
    boot = bytearray(BPS)
    boot[0:11] = b"\xeb\x3c\x90MSWIN4.1"
    struct.pack_into(
        "<HBHBHHBHHHII",
        boot,
        11,
        bps,
        spc,
        reserved,
        fats,
        root_entries,
        total if total < 0x10000 else 0,
        0xF8,
        0 if bits == 32 else fat_sectors,
        63,
        255,
        0,
        total if total >= 0x10000 else 0,
    )
    label_at = 71 if bits == 32 else 43
    if bits == 32:
        struct.pack_into("<IHHI", boot, 36, fat_sectors, 0, 0, root_cluster)
    boot[label_at - 5] = 0x29
    boot[label_at : label_at + 11] = b"config-2   "
    boot[510:512] = b"\x55\xaa"
    table = bytearray(max(1, fat_sectors) * BPS)
    for cluster, value in {0: 0x0FFFFFF8, 1: EOC, **fat}.items():
        if bits == 12:
            at = cluster + cluster // 2
            (pair,) = struct.unpack_from("<H", table, at)
            low = value & 0xFFF
            pair = (pair & 0xF) | low << 4 if cluster & 1 else (pair & 0xF000) | low
            struct.pack_into("<H", table, at, pair)
        elif bits == 16:
            struct.pack_into("<H", table, 2 * cluster, value & 0xFFFF)
        else:
            struct.pack_into("<I", table, 4 * cluster, value)
    area = bytearray(image_clusters * spc * BPS)
    for cluster, content in (data or {}).items():
        at = (cluster - 2) * spc * BPS
        area[at : at + len(content)] = content
    root_area = root.ljust(root_sectors * BPS, b"\0")
    return bytes(boot) + bytes((reserved - 1) * BPS) + bytes(table) * fats + root_area + bytes(area)


def write(tmp_path: Path, image: bytes, name: str = "hostile.img") -> Path:
    out = tmp_path / name
    out.write_bytes(image)
    return out


def assert_refused(path: Path, match: str, *, label_too: bool = True) -> DriveError:
    with pytest.raises(DriveError, match=match) as err:
        read_drive(path)
    assert str(path) in str(err.value)
    if label_too:
        with pytest.raises(DriveError, match=match) as label_err:
            read_drive_label(path)
        assert str(path) in str(label_err.value)
    return err.value


def test_reported_image_huge_volume_with_looping_root_is_refused_quickly(tmp_path):
    """The review's repro: 22 KB, total_sectors 0xFFFFFFFF, FAT[2]=3, FAT[3]=2.

    Read in a child with 1 GiB of address space and a 10 s timeout: the old reader spent a
    minute there and died of MemoryError.
    """
    image = fat_image(bits=32, total=0xFFFFFFFF, fat_sectors=8, fat={2: 3, 3: 2}, image_clusters=4)
    assert len(image) == 22528
    path = write(tmp_path, image)
    code = textwrap.dedent(
        f"""
        import resource, sys
        from pathlib import Path
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        from wincloud.configdrive import read_drive, read_drive_label
        from wincloud.errors import DriveError
        for read in (read_drive_label, read_drive):
            try:
                read(Path({str(path)!r}))
            except DriveError as exc:
                print(exc)
            else:
                sys.exit("no DriveError")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=10, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2
    for line in lines:
        assert "FAT chain loops" in line
        assert str(path) in line


@pytest.mark.parametrize("bits", [12, 16, 32])
def test_self_looping_root_or_directory_chain_is_refused(tmp_path, bits):
    if bits == 32:
        image = fat_image(bits=32, fat={2: 2})
    else:  # a subdirectory whose chain points back at itself
        image = fat_image(
            bits=bits,
            total=5000 if bits == 16 else None,
            fat_sectors=20 if bits == 16 else 1,
            root=entry(b"OPENSTACK", 2, attr=ATTR_DIR),
            fat={2: 3, 3: 2},
        )
    assert_refused(write(tmp_path, image), "FAT chain loops", label_too=bits == 32)


def test_file_chain_loop_is_refused_before_its_declared_size_is_reached(tmp_path):
    root = entry(b"DATA    BIN", 2, size=100 * BPS)
    image = fat_image(bits=12, root=root, fat={2: 3, 3: 4, 4: 2})
    assert_refused(write(tmp_path, image), "FAT chain loops", label_too=False)


def test_file_chain_is_not_followed_past_its_declared_size(tmp_path):
    """A file of one cluster whose chain loops further on reads fine: only one cluster counts."""
    root = entry(b"DATA    BIN", 2, size=5)
    image = fat_image(bits=12, root=root, fat={2: 3, 3: 2}, data={2: b"hello"})
    assert read_drive(write(tmp_path, image)) == {"DATA.BIN": b"hello"}


def test_cluster_count_is_capped_by_the_fat_size(tmp_path):
    """total_sectors claims millions of clusters; one FAT sector only describes 126 of them."""
    image = fat_image(bits=32, total=0xFFFFFFFF, fat={2: 200})
    assert_refused(write(tmp_path, image), "broken FAT chain")


def test_cluster_count_is_capped_by_the_image_size(tmp_path):
    """A chain into clusters the FAT can name but the image does not hold is a truncation."""
    image = fat_image(bits=32, total=0xFFFFFFFF, fat_sectors=8, fat={2: 3, 3: 100})
    assert_refused(write(tmp_path, image), "truncated")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("bps", 0),
        ("bps", 520),
        ("spc", 0),
        ("spc", 3),
        ("fat_sectors", 0),
        ("fats", 0),
        ("total", 0),
    ],
)
def test_nonsensical_boot_sector_is_not_a_fat_volume(tmp_path, field, value):
    image = fat_image(bits=32, fat={2: EOC}, **{field: value})
    assert_refused(write(tmp_path, image), "not an ISO 9660 or FAT image")


def test_boot_sector_leaving_no_data_area_is_refused(tmp_path):
    image = fat_image(bits=12, fat={}, total=10, fat_sectors=8)
    assert_refused(write(tmp_path, image), "no data clusters")


def test_fat16_boot_sector_without_root_directory_is_refused(tmp_path):
    image = fat_image(bits=16, fat={}, root_entries=0, total=5000, fat_sectors=20)
    assert_refused(write(tmp_path, image), "no root directory")


@pytest.mark.parametrize("root_cluster", [0, 1, 0x0FFFFFF0])
def test_fat32_root_cluster_outside_the_volume_is_refused(tmp_path, root_cluster):
    image = fat_image(bits=32, fat={2: EOC}, root_cluster=root_cluster)
    assert_refused(write(tmp_path, image), "root cluster")


def test_directories_count_against_the_file_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(vfat_read, "READ_MAX_ENTRIES", 3)
    root = b"".join(entry(b"DIR%d" % i, 2 + i, attr=ATTR_DIR) for i in range(4))
    image = fat_image(bits=12, root=root, fat={c: EOC for c in range(2, 6)})
    err = assert_refused(write(tmp_path, image), "over the limits", label_too=False)
    assert "directories" in str(err)


def test_directory_bytes_count_against_the_size_limit(tmp_path, monkeypatch):
    """A long (loop-free) root directory chain stops at the byte budget, label read included."""
    monkeypatch.setattr(vfat_read, "READ_MAX_BYTES", 16 * BPS)
    chain = {c: c + 1 for c in range(2, 41)} | {41: EOC}
    image = fat_image(bits=32, fat=chain, image_clusters=40)
    assert_refused(write(tmp_path, image), "over the limits")


def test_directories_and_files_share_the_size_limit(tmp_path, monkeypatch):
    """Files that fit the budget alone do not once their directory has taken its share."""
    monkeypatch.setattr(vfat_read, "READ_MAX_BYTES", 3 * BPS)
    sub = entry(b"BIG     BIN", 4, size=2 * BPS)
    root = entry(b"SUB", 2, attr=ATTR_DIR)
    image = fat_image(bits=12, root=root, fat={2: 3, 3: EOC, 4: 5, 5: EOC}, data={2: sub})
    err = assert_refused(write(tmp_path, image), "over the limits", label_too=False)
    assert "SUB/BIG.BIN" in str(err)


def test_randomly_damaged_drives_only_ever_raise_drive_error(tmp_path, files):
    """Flip bytes in the boot sector, FATs and directories of a real drive: a DriveError or a
    successful read, nothing else (and the small image bounds the work of each read)."""
    good = tmp_path / "good.vfat"
    build_drive(files, good, fmt=DriveFormat.VFAT)
    original = good.read_bytes()
    rng = random.Random(20240611)
    path = tmp_path / "damaged.vfat"
    for _ in range(300):
        data = bytearray(original)
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(0, 8192) if rng.random() < 0.8 else rng.randrange(len(data))
            data[at] = rng.randrange(256)
        path.write_bytes(bytes(data))
        try:
            read_drive(path, label=None)
        except DriveError as exc:
            assert str(path) in str(exc)
