"""The ISO 9660 reader on damaged and hostile images: a DriveError, never another exception,
and bounded work (files, directory bytes) before pycdlib builds its objects."""

from __future__ import annotations

import io
import random
import struct

import pycdlib
import pytest

from tests.unit.configdrive.samples import small_drive
from wincloud.configdrive import DriveFormat, build_drive, read_drive
from wincloud.configdrive.iso_scan import MAX_DIR_BYTES
from wincloud.configdrive.layout import MAX_FILES
from wincloud.errors import DriveError


@pytest.fixture(scope="module")
def base_iso(tmp_path_factory) -> bytes:
    out = tmp_path_factory.mktemp("iso") / "drive.iso"
    build_drive(small_drive(), out, fmt=DriveFormat.ISO)
    return out.read_bytes()


def mutate(base: bytes, seed: int) -> bytes:
    """Seeded corruption of a drive our builder made: byte, word or bit damage."""
    rng = random.Random(seed)
    data = bytearray(base)
    mode = seed % 3
    for _ in range(rng.randint(1, 8)):
        if mode == 0:
            data[rng.randrange(len(data) - 4)] = rng.randrange(256)
        elif mode == 1:
            at = rng.randrange(16 * 2048, len(data) - 4)
            data[at : at + 4] = rng.randrange(1 << 32).to_bytes(4, "little")
        else:
            data[rng.randrange(16 * 2048, len(data) - 4)] ^= 1 << rng.randrange(8)
    return bytes(data)


# 335 broke pycdlib with an AttributeError (a damaged Rock Ridge entry) before the reader
# translated every pycdlib failure; the others are the same corruption at other places.
@pytest.mark.parametrize("first", [300, 1000])
def test_damaged_drives_give_a_drive_error_or_their_files(base_iso, tmp_path, first):
    image = tmp_path / "damaged.iso"
    for seed in range(first, first + 150):
        image.write_bytes(mutate(base_iso, seed))
        try:
            files = read_drive(image, label=None)
        except DriveError as exc:
            assert "\n" not in str(exc)
        else:
            assert isinstance(files, dict)


def test_a_pycdlib_crash_is_a_drive_error_naming_it(base_iso, tmp_path):
    image = tmp_path / "damaged.iso"
    image.write_bytes(mutate(base_iso, 335))
    with pytest.raises(DriveError, match="AttributeError"):
        read_drive(image, label=None)


def many_files_iso(count: int) -> bytes:
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=1, vol_ident="config-2")
    iso.add_directory("/D")
    for index in range(count):
        iso.add_fp(io.BytesIO(b""), 0, f"/D/F{index:05d}.;1")
    out = io.BytesIO()
    iso.write_fp(out)
    iso.close()
    return out.getvalue()


def test_more_files_than_the_documented_limit_are_refused(tmp_path):
    image = tmp_path / "many.iso"
    image.write_bytes(many_files_iso(MAX_FILES + 1))
    with pytest.raises(DriveError, match=f"over {MAX_FILES} files"):
        read_drive(image, label=None)


def test_the_limit_itself_still_reads(tmp_path):
    image = tmp_path / "full.iso"
    image.write_bytes(many_files_iso(MAX_FILES))
    assert len(read_drive(image, label=None)) == MAX_FILES


def test_a_directory_claiming_more_bytes_than_the_budget_is_refused(base_iso, tmp_path):
    """The root directory's length in the primary descriptor says 64 MiB: refused before
    pycdlib reads (and parses) that much."""
    data = bytearray(base_iso)
    data += bytes(MAX_DIR_BYTES + 4096)
    struct.pack_into("<I", data, 16 * 2048 + 156 + 10, MAX_DIR_BYTES + 2048)
    struct.pack_into(">I", data, 16 * 2048 + 156 + 14, MAX_DIR_BYTES + 2048)
    image = tmp_path / "big-root.iso"
    image.write_bytes(bytes(data))
    with pytest.raises(DriveError, match="directories over"):
        read_drive(image, label=None)


def test_a_directory_loop_is_refused(base_iso, tmp_path):
    """A sub-directory record pointing back at the root's extent."""
    data = bytearray(base_iso)
    pvd = 16 * 2048
    (root_extent,) = struct.unpack_from("<I", data, pvd + 156 + 2)
    offset = root_extent * 2048
    while True:  # find the first sub-directory record in the root
        length = data[offset]
        assert length, "no sub-directory in the root"
        if data[offset + 25] & 2 and data[offset + 33] not in (0, 1):
            break
        offset += length
    struct.pack_into("<I", data, offset + 2, root_extent)
    image = tmp_path / "loop.iso"
    image.write_bytes(bytes(data))
    with pytest.raises(DriveError, match="loop"):
        read_drive(image, label=None)
