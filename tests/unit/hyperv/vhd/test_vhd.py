"""VHD: fixed, dynamic and differencing round trips, footers, headers and resizing."""

from __future__ import annotations

import random

import pytest

from tests.unit.hyperv.vhd.conftest import MiB, scribble
from wincloud.hyperv.vhd import VhdError, VhdImage, check, create_differencing, open_disk
from wincloud.hyperv.vhd import vhd_format as fmt
from wincloud.hyperv.vhd.ops import resize


@pytest.mark.parametrize("kind", ["fixed", "dynamic"])
def test_written_data_reads_back(tmp_path, kind):
    path, model = tmp_path / "d.vhd", bytearray(12 * MiB)
    with VhdImage.create(path, len(model), kind=kind, block_size=MiB) as disk:
        scribble(disk, model, random.Random(len(kind)))
    with VhdImage.open(path) as disk:
        assert disk.kind == kind
        assert disk.read(0, len(model)) == bytes(model)
        assert disk.problems() == []


def test_fixed_vhd_is_the_raw_disk_plus_a_footer(tmp_path):
    path = tmp_path / "f.vhd"
    with VhdImage.create(path, MiB, kind="fixed") as disk:
        disk.write(0, b"\x11" * MiB)
    raw = path.read_bytes()
    assert len(raw) == MiB + 512
    assert raw[:MiB] == b"\x11" * MiB
    footer = fmt.parse_footer(raw[MiB:], subject="f")
    assert (footer.disk_type, footer.current_size, footer.creator_app) == (2, MiB, b"win ")


def test_differencing_vhd_reads_through_its_parent(tmp_path):
    base, child = tmp_path / "base.vhd", tmp_path / "child.vhd"
    model = bytearray(8 * MiB)
    with VhdImage.create(base, len(model), block_size=MiB) as disk:
        scribble(disk, model, random.Random(3))
    create_differencing(base, child, parent_path_for_locator="D:\\images\\base.vhd")
    with open_disk(child, writable=True) as disk:
        scribble(disk, model, random.Random(4))
    with open_disk(child) as disk:
        assert disk.read(0, len(model)) == bytes(model)
        assert dict(disk.parent_locations())["absolute_win32_path"] == "D:\\images\\base.vhd"
    assert check(child) == []


def test_vhd_linkage_is_the_parent_unique_id(tmp_path):
    base, other, child = tmp_path / "base.vhd", tmp_path / "other.vhd", tmp_path / "child.vhd"
    VhdImage.create(base, MiB).close()
    VhdImage.create(other, MiB).close()
    create_differencing(base, child)
    base.unlink()
    other.rename(base)
    with pytest.raises(VhdError, match="parent unique id"):
        open_disk(child)


def corrupt(path, offset, data):
    with path.open("r+b") as fh:
        fh.seek(offset)
        fh.write(data)


def test_damaged_end_footer_falls_back_to_the_copy(tmp_path):
    path = tmp_path / "d.vhd"
    with VhdImage.create(path, 4 * MiB, block_size=MiB) as disk:
        disk.write(0, b"z" * 512)
    corrupt(path, path.stat().st_size - 512 + 70, b"\xff")
    with VhdImage.open(path) as disk:
        assert disk.read(0, 512) == b"z" * 512
    assert any("footer checksum mismatch" in p for p in check(path))


def test_bad_dynamic_header_checksum_is_named(tmp_path):
    path = tmp_path / "d.vhd"
    VhdImage.create(path, 4 * MiB).close()
    corrupt(path, 512 + 100, b"\x01")
    with pytest.raises(VhdError, match="VHD dynamic header checksum mismatch"):
        VhdImage.open(path)


@pytest.mark.parametrize("kind", ["fixed", "dynamic"])
def test_grow_keeps_data_and_extends_with_zeros(tmp_path, kind):
    path = tmp_path / "d.vhd"
    with VhdImage.create(path, 4 * MiB, kind=kind, block_size=MiB) as disk:
        disk.write(MiB, b"a" * 4096)
    resize(path, 256 * MiB)  # 256 entries: the dynamic table outgrows its sector and moves
    with open_disk(path, writable=True) as disk:
        assert disk.virtual_size == 256 * MiB
        disk.write(255 * MiB, b"b" * 4096)
    with open_disk(path) as disk:
        assert disk.read(MiB, 4096) == b"a" * 4096
        assert disk.read(255 * MiB, 4096) == b"b" * 4096
        assert disk.read(10 * MiB, 4096) == bytes(4096)
        assert disk.footer.geometry == fmt.geometry(256 * MiB)
    assert check(path) == []


def test_shrink_is_refused_when_the_tail_holds_data(tmp_path):
    path = tmp_path / "d.vhd"
    with VhdImage.create(path, 8 * MiB, block_size=MiB) as disk:
        disk.write(7 * MiB, b"x")
    with pytest.raises(VhdError, match="data lies beyond"):
        resize(path, 4 * MiB)
    with open_disk(path, writable=True) as disk:
        disk.write(7 * MiB, b"\0")
    resize(path, 4 * MiB)
    with open_disk(path) as disk:
        assert disk.virtual_size == 4 * MiB


def test_a_bitmap_with_single_sector_bits_is_read_sector_by_sector(tmp_path):
    base, child = tmp_path / "base.vhd", tmp_path / "child.vhd"
    with VhdImage.create(base, 2 * MiB) as disk:
        disk.write(0, b"\xaa" * 8192)
    create_differencing(base, child)
    with open_disk(child, writable=True) as disk:
        disk.write(0, b"\x55" * 4096)
        assert isinstance(disk, VhdImage)
        block_at = disk._bat[0] * 512
    corrupt(child, block_at, bytes([0b00010000]))  # MSB first: only sector 3 is the child's
    with open_disk(child) as disk:
        data = disk.read(0, 8192)
    assert data == b"\xaa" * 1536 + b"\x55" * 512 + b"\xaa" * 6144
