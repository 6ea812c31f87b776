"""``wincloud vhd`` through the CLI entry point: outputs, exit statuses, one-line errors."""

from __future__ import annotations

import json

import pytest

from wincloud.cli import main
from wincloud.hyperv.vhd import open_disk


def run(capsys, *args):
    try:
        main(["vhd", *args])
        status = 0
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else 1
    out, err = capsys.readouterr()
    return status, out, err


def test_create_diff_info_convert_check(capsys, tmp_path):
    base, child, flat = tmp_path / "base.vhdx", tmp_path / "child.vhdx", tmp_path / "flat.vhd"
    assert run(capsys, "create", str(base), "--size", "40G")[0] == 0
    assert run(capsys, "diff", "--parent", str(base), str(child))[0] == 0
    with open_disk(child, writable=True) as disk:
        disk.write(10 << 30, b"data" * 128)
    status, out, _ = run(capsys, "info", str(child), "--json")
    info = json.loads(out)
    assert status == 0
    assert (info["format"], info["type"]) == ("vhdx", "differencing")
    assert info["virtual_size"] == 40 << 30
    assert info["linkage"] == "ok"
    assert info["parent"]["type"] == "dynamic"
    assert info["details"]["parent_locator"]["relative_path"] == "base.vhdx"
    status, out, _ = run(capsys, "info", str(child))
    assert "linkage:       ok" in out and "relative_path = base.vhdx" in out
    assert run(capsys, "convert", str(child), str(flat))[0] == 0
    with open_disk(flat) as disk:
        assert disk.format == "vhd" and disk.read(10 << 30, 512) == b"data" * 128
    status, _, err = run(capsys, "check", str(flat))
    assert status == 0 and "no problems" in err


def test_create_fixed_vhd_with_block_size_and_format(capsys, tmp_path):
    path = tmp_path / "disk.img"
    status, _, _ = run(capsys, "create", str(path), "--size", "3M", "--format", "vhd",
                       "--type", "fixed")  # fmt: skip
    assert status == 0
    with open_disk(path) as disk:
        assert (disk.format, disk.kind, disk.virtual_size) == ("vhd", "fixed", 3 << 20)


def test_resize_grows(capsys, tmp_path):
    path = tmp_path / "d.vhdx"
    run(capsys, "create", str(path), "--size", "1G")
    assert run(capsys, "resize", str(path), "--size", "2G")[0] == 0
    with open_disk(path) as disk:
        assert disk.virtual_size == 2 << 30


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"garbage", "not a VHDX file"), (b"vhdxfile" + bytes(2 << 20), "VHDX header 1")],
)
def test_bad_files_are_one_line_errors(capsys, tmp_path, content, expected):
    path = tmp_path / "bad.vhdx"
    path.write_bytes(content)
    status, out, err = run(capsys, "info", str(path))
    assert status == 1
    assert err.startswith("error[vhd-error]: ") and expected in err
    assert "Traceback" not in err + out


def test_check_lists_problems_and_fails(capsys, tmp_path):
    path = tmp_path / "d.vhdx"
    run(capsys, "create", str(path), "--size", "8M")
    with path.open("r+b") as fh:
        fh.seek(128 * 1024 + 100)
        fh.write(b"\x01")
    status, out, err = run(capsys, "check", str(path))
    assert status == 1
    assert "checksum mismatch" in out
    assert "error[vhd-error]: 1 problem(s) found" in err


def test_failed_convert_leaves_nothing_behind(capsys, tmp_path):
    src = tmp_path / "child.vhd"
    run(capsys, "create", str(tmp_path / "base.vhd"), "--size", "8M")
    run(capsys, "diff", "--parent", str(tmp_path / "base.vhd"), str(src))
    (tmp_path / "base.vhd").unlink()
    status, _, err = run(capsys, "convert", str(src), str(tmp_path / "out.vhdx"))
    assert status == 1 and "cannot find the parent disk" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["child.vhd"]


def test_bad_size_is_a_config_error(capsys, tmp_path):
    status, _, err = run(capsys, "create", str(tmp_path / "d.vhdx"), "--size", "lots")
    assert status == 2 and err.startswith("error[config-error]")
