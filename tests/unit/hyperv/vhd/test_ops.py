"""Create, convert (every direction, chains flattened), stream, inspect."""

from __future__ import annotations

import random

import pytest

from tests.unit.hyperv.vhd.conftest import MiB, scribble
from wincloud.hyperv.vhd import (
    VhdError,
    convert,
    create_differencing,
    create_disk,
    inspect,
    open_disk,
    write_from_stream,
)

SIZE = 6 * MiB


def filled(tmp_path, name, seed=0, **kwargs):
    path = tmp_path / name
    create_disk(path, SIZE, block_size=MiB if not name.endswith(".raw") else None, **kwargs)
    model = bytearray(SIZE)
    with open_disk(path, writable=True) as disk:
        scribble(disk, model, random.Random(seed), writes=6)
    return path, model


@pytest.mark.parametrize("source", ["s.vhdx", "s.vhd", "s.raw"])
@pytest.mark.parametrize(
    ("target", "kind"),
    [("t.vhdx", "dynamic"), ("t.vhdx", "fixed"), ("t.vhd", "dynamic"), ("t.vhd", "fixed"),
     ("t.raw", "dynamic")],
)  # fmt: skip
def test_convert_keeps_every_byte(tmp_path, source, target, kind):
    src, model = filled(tmp_path, source)
    result = convert(src, tmp_path / target, kind=kind)
    with open_disk(tmp_path / target) as disk:
        assert disk.format == target.rsplit(".", 1)[1]
        assert disk.kind == ("fixed" if kind == "fixed" or target.endswith(".raw") else "dynamic")
        assert disk.read(0, SIZE) == bytes(model)
    assert result.virtual_size == SIZE


def test_convert_flattens_a_chain_into_a_standalone_disk(tmp_path):
    base, model = filled(tmp_path, "base.vhdx")
    mid, top = tmp_path / "mid.vhdx", tmp_path / "top.vhdx"
    create_differencing(base, mid)
    with open_disk(mid, writable=True) as disk:
        scribble(disk, model, random.Random(7), writes=4)
    create_differencing(mid, top)
    with open_disk(top, writable=True) as disk:
        scribble(disk, model, random.Random(8), writes=4)
    convert(top, tmp_path / "flat.vhd")
    with open_disk(tmp_path / "flat.vhd") as disk:
        assert disk.kind == "dynamic" and disk.parent is None
        assert disk.read(0, SIZE) == bytes(model)


def test_zero_ranges_stay_unallocated_in_dynamic_outputs(tmp_path):
    src = tmp_path / "s.raw"
    src.write_bytes(bytes(4 * MiB) + b"\x01" * MiB + bytes(3 * MiB))
    convert(src, tmp_path / "t.vhdx", block_size=MiB)
    info = inspect(tmp_path / "t.vhdx")
    assert info.details["allocated_blocks"] == 1


def test_write_from_stream_makes_the_disk_the_stream_describes(tmp_path):
    rnd = random.Random(5)
    data = rnd.randbytes(MiB) + bytes(2 * MiB) + rnd.randbytes(MiB + 512)
    chunks = [data[i : i + 100_000] for i in range(0, len(data), 100_000)]
    seen = []
    result = write_from_stream(
        tmp_path / "s.vhdx", chunks, size=len(data), block_size=MiB,
        progress=lambda done, total: seen.append(done),
    )  # fmt: skip
    with open_disk(tmp_path / "s.vhdx") as disk:
        assert disk.read(0, len(data)) == data
    assert result.bytes_written == 2 * MiB + 512
    assert seen[-1] == len(data)


@pytest.mark.parametrize(("given", "size"), [(3 * MiB, 4 * MiB), (5 * MiB, 4 * MiB)])
def test_a_stream_of_the_wrong_length_leaves_no_file(tmp_path, given, size):
    target = tmp_path / "s.vhd"
    with pytest.raises(VhdError, match="stream"):
        write_from_stream(target, [b"\x01" * given], size=size)
    assert list(tmp_path.iterdir()) == []


def test_create_refuses_to_overwrite(tmp_path):
    path = tmp_path / "d.vhdx"
    create_disk(path, MiB)
    with pytest.raises(VhdError, match="already exists"):
        create_disk(path, MiB)


def test_differencing_locator_paths(tmp_path):
    (tmp_path / "cache").mkdir()
    (tmp_path / "vm").mkdir()
    base = tmp_path / "cache" / "base.vhdx"
    create_disk(base, MiB)
    create_differencing(
        base, tmp_path / "vm" / "root.vhdx", parent_path_for_locator="C:\\cache\\base.vhdx"
    )
    info = inspect(tmp_path / "vm" / "root.vhdx")
    locator = info.details["parent_locator"]
    assert isinstance(locator, dict)
    assert locator["relative_path"] == "..\\cache\\base.vhdx"
    assert locator["absolute_win32_path"] == "C:\\cache\\base.vhdx"
    assert info.linkage == "ok"
    assert info.parent is not None and info.parent.type == "dynamic"


def test_inspect_reports_a_missing_parent_instead_of_failing(tmp_path):
    base = tmp_path / "base.vhd"
    create_disk(base, MiB)
    create_differencing(base, tmp_path / "child.vhd")
    base.unlink()
    info = inspect(tmp_path / "child.vhd")
    assert info.type == "differencing"
    assert info.linkage.startswith("parent not found")


@pytest.mark.parametrize("ext", ["vhdx", "vhd"])
def test_a_grown_child_reads_zeros_past_its_parent(tmp_path, ext):
    base, model = filled(tmp_path, f"base.{ext}")
    child = tmp_path / f"child.{ext}"
    create_differencing(base, child)
    from wincloud.hyperv.vhd import resize

    resize(child, 2 * SIZE)
    with open_disk(child, writable=True) as disk:
        disk.write(2 * SIZE - 4096, b"end!" * 1024)
    with open_disk(child) as disk:
        assert disk.read(0, SIZE) == bytes(model)
        assert disk.read(SIZE, SIZE - 4096) == bytes(SIZE - 4096)
        assert disk.read(2 * SIZE - 4096, 4096) == b"end!" * 1024
    with pytest.raises(VhdError, match="cannot be shrunk"):
        resize(child, SIZE)


def test_fixed_vhd_stream_is_a_fixed_vhd_without_a_file(tmp_path):
    from wincloud.hyperv.vhd import fixed_vhd_stream

    raw = random.Random(6).randbytes(MiB + 100)
    path = tmp_path / "drive.vhd"
    path.write_bytes(b"".join(fixed_vhd_stream([raw[:5000], raw[5000:]], len(raw))))
    with open_disk(path) as disk:
        assert (disk.format, disk.kind, disk.virtual_size) == ("vhd", "fixed", MiB + 512)
        assert disk.read(0, MiB + 512) == raw + bytes(412)
    with pytest.raises(VhdError, match="ended after 10 of 20"):
        list(fixed_vhd_stream([b"x" * 10], 20))
    with pytest.raises(VhdError, match="longer than 20"):
        list(fixed_vhd_stream([b"x" * 30], 20))
