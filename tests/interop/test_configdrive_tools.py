"""Our drives under the real tools (isoinfo, blkid, fsck.vfat, mtools, xorriso), and images
made by those tools (genisoimage as Nova calls it, mkfs.vfat) through our reader."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.unit.configdrive.samples import NOVA, load_tree, small_drive
from wincloud.configdrive import DriveFormat, build_drive, read_drive, read_drive_label

pytestmark = pytest.mark.interop

AWKWARD = {
    "openstack/latest/vendor_data2.json": b"{}",
    "name with spaces.txt": b"s",
    "many.dots.in.name": b"d",
    "\u00fcn\u00efc\u00f6d\u00e9.txt": b"u",
    "x" * 64: b"long",
    "a/b/c/d/e/f/g/deep": b"deep",
    "empty": b"",
    **{f"vendor_data{n}.json": bytes([n]) for n in range(12)},
}


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        pytest.skip(f"{name} is not installed (Debian: genisoimage, xorriso, mtools, dosfstools)")
    return found


def run(
    *args: str, env: dict[str, str] | None = None, encoding: str = "utf-8"
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        args, capture_output=True, encoding=encoding, timeout=60, check=False, env=env
    )
    assert done.returncode == 0, f"{args[0]} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done


def blkid(path: Path) -> dict[str, str]:
    out = run(tool("blkid"), "-p", "-o", "export", str(path)).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def write_tree(files: dict[str, bytes], root: Path) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def extracted(root: Path) -> dict[str, bytes]:
    subprocess.run(["chmod", "-R", "u+w", str(root)], check=True)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(params=["small", "nova", "awkward"])
def tree(request):
    if request.param == "nova":
        if not (NOVA / "openstack").is_dir():
            pytest.skip(f"Nova 34 reference tree not found at {NOVA}")
        return load_tree(NOVA)
    return small_drive() if request.param == "small" else AWKWARD


@pytest.fixture
def iso(tmp_path, tree):
    build_drive(tree, tmp_path / "drive.iso", fmt=DriveFormat.ISO)
    return tmp_path / "drive.iso"


@pytest.fixture
def vfat(tmp_path, tree):
    build_drive(tree, tmp_path / "drive.vfat", fmt=DriveFormat.VFAT)
    return tmp_path / "drive.vfat"


def test_isoinfo_sees_config_2_with_rock_ridge_and_joliet(iso):
    out = run(tool("isoinfo"), "-d", "-i", str(iso)).stdout
    assert "Volume id: config-2" in out.splitlines()
    assert "Rock Ridge signatures version 1 found" in out
    assert "Joliet with UCS level 3 found" in out


@pytest.mark.parametrize(
    "namespace", [["-R"], ["-J", "-j", "iso8859-1"]], ids=["rock-ridge", "joliet"]
)
def test_isoinfo_shows_the_real_names(iso, tree, namespace):
    encoding = "iso8859-1" if "-J" in namespace else "utf-8"
    out = run(tool("isoinfo"), *namespace, "-f", "-i", str(iso), encoding=encoding).stdout
    assert {line.lstrip("/") for line in out.splitlines()} >= set(tree)


def test_xorriso_extracts_what_went_in(tmp_path, iso, tree):
    dest = tmp_path / "out"
    run(tool("xorriso"), "-osirrox", "on", "-indev", str(iso), "-extract", "/", str(dest))
    assert extracted(dest) == tree


@pytest.mark.parametrize("fmt", list(DriveFormat))
def test_blkid_reports_label_and_type(tmp_path, fmt):
    out = tmp_path / "drive.img"
    build_drive(small_drive(), out, fmt=fmt)
    found = blkid(out)
    assert found["LABEL"] == "config-2"
    assert found["TYPE"] == ("iso9660" if fmt is DriveFormat.ISO else "vfat")


def test_fsck_vfat_finds_nothing_to_fix(vfat):
    done = run(tool("fsck.vfat"), "-n", "-v", str(vfat))  # exit status 1 on any problem
    assert f"{vfat}: " in done.stdout  # it got to its closing summary


def test_mdir_lists_long_names(vfat, tree):
    out = run(tool("mdir"), "-/", "-b", "-i", str(vfat), "::/").stdout
    assert {line.removeprefix("::/") for line in out.splitlines()} >= set(tree)


def test_mlabel_reads_config_2(vfat):
    out = run(tool("mlabel"), "-s", "-i", str(vfat), "::").stdout
    assert out.strip() == "Volume label is config-2"


def test_mcopy_extracts_what_went_in(tmp_path, vfat, tree):
    dest = tmp_path / "out"
    dest.mkdir()
    run(tool("mcopy"), "-s", "-m", "-n", "-i", str(vfat), "::/*", str(dest))
    assert extracted(dest) == tree


@pytest.mark.parametrize("extensions", [["-r", "-J"], ["-J"], ["-r"]], ids=["nova", "joliet", "rr"])
def test_reads_an_iso_made_by_genisoimage(tmp_path, extensions):
    files = small_drive()
    src, out = write_tree(files, tmp_path / "src"), tmp_path / "made.iso"
    run(
        *(tool("genisoimage"), "-o", str(out), "-ldots", "-allow-lowercase", "-allow-multidot"),
        *("-l", "-quiet", *extensions, "-V", "config-2", str(src)),
    )
    assert read_drive_label(out) == "config-2"
    assert read_drive(out) == files


@pytest.mark.parametrize(("bits", "size"), [(12, "4M"), (16, "32M"), (32, "64M")])
def test_reads_fat_made_by_mkfs_and_mcopy(tmp_path, bits, size):
    # ASCII names only: mtools stores a short-enough non-ASCII name as an 8.3 name in its
    # own OEM code page (850), which we, like Linux, read as code page 437.
    files = {**small_drive(), **{k: v for k, v in AWKWARD.items() if k.isascii()}}
    src, out = write_tree(files, tmp_path / "src"), tmp_path / "made.img"
    run("truncate", "-s", size, str(out))
    run(tool("mkfs.vfat"), "-F", str(bits), "-n", "CONFIG-2", str(out))
    env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
    run(tool("mcopy"), "-s", "-i", str(out), *(str(p) for p in src.iterdir()), "::/", env=env)
    assert read_drive_label(out) == "CONFIG-2"
    assert read_drive(out) == files
