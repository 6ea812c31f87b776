"""VHDX: round trips for every type, headers, log, metadata, linkage and chains."""

from __future__ import annotations

import random
import struct
import uuid

import pytest

from tests.unit.hyperv.vhd.conftest import MiB, scribble
from wincloud.hyperv.vhd import VhdError, VhdxImage, check, create_differencing, open_disk
from wincloud.hyperv.vhd import vhdx_format as fmt
from wincloud.hyperv.vhd.crc32c import crc32c
from wincloud.hyperv.vhd.ops import resize
from wincloud.hyperv.vhd.vhdx_create import create_vhdx


def make(path, size=16 * MiB, **kwargs):
    kwargs.setdefault("block_size", MiB)
    return create_vhdx(path, size, **kwargs)


@pytest.mark.parametrize("fixed", [False, True])
@pytest.mark.parametrize("lss", [512, 4096])
def test_written_data_reads_back(tmp_path, fixed, lss):
    path, model = tmp_path / "d.vhdx", bytearray(16 * MiB)
    with make(path, fixed=fixed, logical_sector_size=lss) as disk:
        scribble(disk, model, random.Random(lss + fixed))
    with VhdxImage.open(path) as disk:
        assert disk.kind == ("fixed" if fixed else "dynamic")
        assert disk.logical_sector_size == lss
        assert disk.read(0, len(model)) == bytes(model)
        assert disk.problems() == []


def test_empty_dynamic_disk_is_small_and_reads_zeros(tmp_path):
    path = tmp_path / "d.vhdx"
    make(path, size=1 << 40, block_size=32 * MiB).close()
    assert path.stat().st_size == 4 * MiB
    with VhdxImage.open(path) as disk:
        assert disk.virtual_size == 1 << 40
        assert disk.read((1 << 40) - 4096, 4096) == bytes(4096)


def test_differencing_child_falls_through_to_the_parent(tmp_path):
    base, child = tmp_path / "base.vhdx", tmp_path / "child.vhdx"
    model = bytearray(16 * MiB)
    with make(base) as disk:
        scribble(disk, model, random.Random(1))
    create_differencing(base, child)
    with open_disk(child, writable=True) as disk:
        assert disk.read(0, len(model)) == bytes(model)
        scribble(disk, model, random.Random(2))
    with open_disk(child) as disk:
        assert disk.kind == "differencing"
        assert disk.read(0, len(model)) == bytes(model)
        assert isinstance(disk, VhdxImage)
        pairs = dict(disk.locator)
        parent = disk.parent
        assert isinstance(parent, VhdxImage)
        assert pairs["parent_linkage"] == "{" + str(parent.header.data_write_guid) + "}"
        assert pairs["relative_path"] == "base.vhdx"
    with VhdxImage.open(base) as disk:  # the parent was not touched: the link still holds
        assert disk.header.data_write_guid == parent.header.data_write_guid


def test_partial_sector_writes_in_a_child_keep_the_parent_bytes_around_them(tmp_path):
    base, child = tmp_path / "base.vhdx", tmp_path / "child.vhdx"
    with make(base) as disk:
        disk.write(0, b"\xaa" * 4096)
    create_differencing(base, child)
    with open_disk(child, writable=True) as disk:
        disk.write(700, b"\x55" * 10)
    with open_disk(child) as disk:
        data = disk.read(0, 4096)
    assert data == b"\xaa" * 700 + b"\x55" * 10 + b"\xaa" * (4096 - 710)


def test_uppercase_parent_linkage_is_accepted_on_read(tmp_path):
    base, child = tmp_path / "base.vhdx", tmp_path / "child.vhdx"
    make(base).close()
    with VhdxImage.open(base) as disk:
        guid = disk.header.data_write_guid
    link = fmt.linkage_text(guid).upper()
    from wincloud.hyperv.vhd.vhdx_create import VhdxParent

    parent = VhdxParent(uuid.UUID(link.strip("{}")), "base.vhdx")
    make(child, parent=parent).close()
    with open_disk(child) as disk:
        assert disk.parent is not None


def test_linkage_mismatch_is_refused_and_reported(tmp_path):
    base, child = tmp_path / "base.vhdx", tmp_path / "child.vhdx"
    make(base).close()
    create_differencing(base, child)
    with open_disk(base, writable=True) as disk:
        disk.write(0, b"x" * 512)  # a new DataWriteGuid: the child no longer matches
    with pytest.raises(VhdError, match="parent linkage mismatch"):
        open_disk(child)
    assert any("mismatch" in problem for problem in check(child))


def test_missing_parent_names_where_it_looked(tmp_path):
    base, child = tmp_path / "base.vhdx", tmp_path / "child.vhdx"
    make(base).close()
    create_differencing(base, child, parent_path_for_locator="C:\\cache\\base.vhdx")
    base.unlink()
    with pytest.raises(VhdError) as caught:
        open_disk(child)
    assert caught.value.message == "cannot find the parent disk"
    assert "base.vhdx" in (caught.value.hint or "")


def test_chains_deeper_than_sixteen_are_refused(tmp_path):
    previous = tmp_path / "d0.vhdx"
    make(previous, size=MiB).close()
    for depth in range(1, 18):
        current = tmp_path / f"d{depth}.vhdx"
        if depth <= 15:
            create_differencing(previous, current)
        else:  # build the last links by hand: create_differencing opens (and bounds) the chain
            with VhdxImage.open(previous) as disk:
                guid = disk.header.data_write_guid
            from wincloud.hyperv.vhd.vhdx_create import VhdxParent

            make(current, size=MiB, parent=VhdxParent(guid, previous.name)).close()
        previous = current
    with open_disk(tmp_path / "d15.vhdx") as disk:
        assert len(disk.chain()) == 16
    with pytest.raises(VhdError, match="deeper than 16"):
        open_disk(tmp_path / "d17.vhdx")


def test_a_chain_that_loops_is_refused(tmp_path):
    from wincloud.hyperv.vhd.vhdx_create import VhdxParent

    a, b = tmp_path / "a.vhdx", tmp_path / "b.vhdx"
    make(a, parent=VhdxParent(uuid.uuid4(), "b.vhdx")).close()
    make(b, parent=VhdxParent(uuid.uuid4(), "a.vhdx")).close()
    with pytest.raises(VhdError, match="loops"):
        open_disk(a, check_linkage=False)


def corrupt(path, offset, data):
    with path.open("r+b") as fh:
        fh.seek(offset)
        fh.write(data)


def test_one_bad_header_is_survived_and_reported(tmp_path):
    path = tmp_path / "d.vhdx"
    make(path).close()
    with VhdxImage.open(path) as disk:
        slot = disk.header_slot
    corrupt(path, fmt.HEADER_OFFSETS[1 - slot] + 40, b"\x01")
    with VhdxImage.open(path) as disk:
        assert disk.read(0, 512) == bytes(512)
    assert check(path) == [f"{path}: VHDX header {2 - slot} checksum mismatch"]


def test_two_bad_headers_are_an_error_naming_both(tmp_path):
    path = tmp_path / "d.vhdx"
    make(path).close()
    corrupt(path, fmt.HEADER_OFFSETS[0], b"nope")
    corrupt(path, fmt.HEADER_OFFSETS[1] + 40, b"\x01")
    with pytest.raises(VhdError) as caught:
        VhdxImage.open(path)
    assert "VHDX header 1 signature" in caught.value.message
    assert "VHDX header 2 checksum mismatch" in caught.value.message
    assert caught.value.subject == str(path)


def rewrite_header(path, **changes):
    with VhdxImage.open(path) as disk:
        header, slot = disk.header, disk.header_slot
    from dataclasses import replace

    corrupt(path, fmt.HEADER_OFFSETS[slot], replace(header, **changes).pack())


def test_a_log_with_entries_to_replay_is_refused_for_writing(tmp_path):
    path = tmp_path / "d.vhdx"
    make(path).close()
    log_guid = uuid.uuid4()
    entry = bytearray(4096)
    struct.pack_into("<4sIIIQII16sQQ", entry, 0, b"loge", 0, 4096, 0, 1, 0, 0,
                     log_guid.bytes_le, 0, 0)  # fmt: skip
    struct.pack_into("<I", entry, 4, crc32c(entry))
    corrupt(path, MiB, bytes(entry))
    rewrite_header(path, log_guid=log_guid)
    with pytest.raises(VhdError, match="log holds 1 entries") as caught:
        VhdxImage.open(path, writable=True)
    assert "replayed" in (caught.value.hint or "")
    with VhdxImage.open(path) as disk:  # read-only: replayed in memory (an empty entry)
        assert disk.read(0, 512) == bytes(512)


def test_a_log_guid_without_valid_entries_needs_no_replay(tmp_path):
    path = tmp_path / "d.vhdx"
    make(path).close()
    rewrite_header(path, log_guid=uuid.uuid4())
    with VhdxImage.open(path) as disk:
        assert disk.read(0, 512) == bytes(512)


def test_bat_region_smaller_than_the_disk_needs_is_refused(tmp_path):
    path = tmp_path / "d.vhdx"
    make(path).close()
    with VhdxImage.open(path) as disk:
        regions = dict(disk.regions)
    bat = regions[fmt.BAT_REGION]
    meta = regions[fmt.METADATA_REGION]
    # a 60 TiB disk with 1 MiB blocks needs far more entries than the 1 MiB region holds
    corrupt(path, meta.offset + 64 * 1024 + 8, struct.pack("<Q", 60 << 40))
    with pytest.raises(VhdError, match="BAT region holds"):
        VhdxImage.open(path)
    assert bat.length == MiB


def test_grow_moves_the_bat_when_it_must_and_keeps_data(tmp_path):
    path = tmp_path / "d.vhdx"
    with make(path) as disk:
        disk.write(5 * MiB, b"keep" * 128)
    resize(path, 200 << 30)  # 1 MiB blocks: needs more than the 1 MiB BAT region
    with open_disk(path, writable=True) as disk:
        assert disk.virtual_size == 200 << 30
        disk.write((200 << 30) - 512, b"e" * 512)
    with open_disk(path) as disk:
        assert disk.read(5 * MiB, 512) == b"keep" * 128
        assert disk.read((200 << 30) - 512, 512) == b"e" * 512
    assert check(path) == []


def test_fixed_disk_grows_fully_allocated(tmp_path):
    path = tmp_path / "f.vhdx"
    make(path, fixed=True, size=4 * MiB).close()
    resize(path, 8 * MiB)
    with VhdxImage.open(path) as disk:
        assert disk.allocated_blocks() == 8
        assert disk.kind == "fixed"


def test_child_writes_record_whole_4k_units_in_the_sector_bitmap(tmp_path):
    base, child = tmp_path / "base.vhdx", tmp_path / "child.vhdx"
    with make(base) as disk:
        disk.write(0, b"\xaa" * 8192)
    create_differencing(base, child)
    with open_disk(child, writable=True) as disk:
        disk.write(512 * 9, b"\x55" * 512)  # one sector inside the second 4 KiB unit
        assert isinstance(disk, VhdxImage)
        at, length = disk._bitmap_at(0)
        bitmap = disk.pread(at, length, "bitmap")
    assert bitmap[:3] == b"\x00\xff\x00"  # sectors 8-15, a whole byte
    with open_disk(child) as disk:
        assert disk.read(0, 8192) == b"\xaa" * 4608 + b"\x55" * 512 + b"\xaa" * 3072
