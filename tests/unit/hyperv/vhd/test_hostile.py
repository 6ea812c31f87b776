"""Hostile files: any corruption of a real disk is either read or refused with a VhdError;
never another exception, never an unbounded allocation (tables are checked against the file
size before they are read)."""

from __future__ import annotations

import random
import struct
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.hyperv.vhd.conftest import MiB
from wincloud.hyperv.vhd import VhdError, check, create_differencing, create_disk, open_disk
from wincloud.hyperv.vhd import vhdx_format as fmt
from wincloud.hyperv.vhd.crc32c import crc32c


def sample(tmp_path_factory, name):
    root = tmp_path_factory.mktemp("hostile")
    base = root / f"base.{name}"
    create_disk(base, 4 * MiB, block_size=MiB)
    with open_disk(base, writable=True) as disk:
        disk.write(MiB - 100, random.Random(9).randbytes(300_000))
    child = root / f"child.{name}"
    create_differencing(base, child)
    with open_disk(child, writable=True) as disk:
        disk.write(3 * MiB + 7, b"child" * 1000)
    return child


@pytest.fixture(scope="module", params=["vhdx-child", "vhdx-base", "vhd-child", "vhd-base"])
def pristine(request, tmp_path_factory):
    ext, which = request.param.split("-")
    child = sample(tmp_path_factory, ext)
    target = child if which == "child" else child.with_name(f"base.{ext}")
    return target, target.read_bytes()


def read_all(path):
    path = path.with_name("child" + path.suffix)  # through the chain, whichever file was hit
    with open_disk(path) as disk:
        for offset in range(0, disk.virtual_size, MiB):
            disk.read(offset, min(MiB, disk.virtual_size - offset))
    check(path)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_corrupted_bytes_are_read_or_refused(pristine, data):
    path, original = pristine
    raw = bytearray(original)
    # aim at the structures (VHDX headers, region tables, metadata, BAT; the VHD footers,
    # header and table) and anywhere at all
    hot = [(0, 4096), (64 * 1024, 4096), (128 * 1024, 4096), (192 * 1024, 512),
           (2 * MiB, 4096), (3 * MiB, 4096), (len(raw) - 512, 512), (0, len(raw))]  # fmt: skip
    for _ in range(data.draw(st.integers(1, 8))):
        start, length = data.draw(st.sampled_from(hot))
        offset = min(start + data.draw(st.integers(0, length - 1)), len(raw) - 1)
        raw[offset] = data.draw(st.integers(0, 255))
    path.write_bytes(bytes(raw))
    try:
        read_all(path)
    except VhdError:
        pass
    finally:
        path.write_bytes(original)


def test_region_table_with_a_huge_entry_count_is_refused(tmp_path):
    path = tmp_path / "d.vhdx"
    create_disk(path, MiB)
    table = bytearray(fmt.REGION_SIZE)
    struct.pack_into("<4sIII", table, 0, b"regi", 0, 0xFFFFFFFF, 0)
    struct.pack_into("<I", table, 4, crc32c(table))
    with path.open("r+b") as fh:
        for offset in fmt.REGION_OFFSETS:
            fh.seek(offset)
            fh.write(table)
    with pytest.raises(VhdError, match="entry count 4294967295 exceeds 2047"):
        open_disk(path)


def test_metadata_entry_pointing_outside_its_region_is_refused(tmp_path):
    path = tmp_path / "d.vhdx"
    create_disk(path, MiB)
    with path.open("r+b") as fh:
        fh.seek(2 * MiB + 32 + 16)  # first entry's offset
        fh.write(struct.pack("<I", 0xFFFFFF00))
    with pytest.raises(VhdError, match="outside the metadata region"):
        open_disk(path)


def test_vhd_table_larger_than_the_file_is_refused(tmp_path):
    path = tmp_path / "d.vhd"
    create_disk(path, MiB)
    raw = bytearray(path.read_bytes())
    struct.pack_into(">I", raw, 512 + 28, 0x7FFFFFFF)  # max table entries
    struct.pack_into(">I", raw, 512 + 36, 0)
    total = sum(raw[512 : 512 + 1024])
    struct.pack_into(">I", raw, 512 + 36, ~total & 0xFFFFFFFF)
    path.write_bytes(bytes(raw))
    with pytest.raises(VhdError, match="allocation table lies outside the file"):
        open_disk(path)


def test_parent_locator_with_too_many_pairs_is_refused(tmp_path):
    from wincloud.hyperv.vhd.vhdx_create import VhdxParent, create_vhdx

    path = tmp_path / "c.vhdx"
    create_vhdx(path, MiB, parent=VhdxParent(uuid.uuid4(), "p.vhdx")).close()
    raw = bytearray(path.read_bytes())
    locator_at = raw.index(fmt.VHDX_LOCATOR_TYPE.bytes_le)
    struct.pack_into("<H", raw, locator_at + 18, 0xFFFF)
    path.write_bytes(bytes(raw))
    with pytest.raises(VhdError, match="count 65535 overruns"):
        open_disk(path)
