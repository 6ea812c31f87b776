"""Our VHD/VHDX files checked by three independent readers, and theirs read by us.

- qemu-img (Debian qemu-utils): ``info``/``check``/``compare`` on non-differencing disks
  (it refuses differencing VHDX and mis-reads differencing VHD); disks qemu-img writes are
  read back by our reader and compared with ``qemu-img convert -O raw``.
- libvhdi (PyPI libvhdi-python, module ``pyvhdi``): whole chains, with its own parent_linkage
  check (it parses that GUID only in lower case; we write lower case, as MS-VHDX 2.6.2.6.3 says).
- dissect.hypervisor (AGPL, a test-only dependency): VHDX chains (parents by relative path)
  and non-differencing VHD.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wincloud.hyperv.vhd import check, create_differencing, create_disk, open_disk, resize

pytestmark = pytest.mark.interop

MiB = 1024 * 1024


def require(what: str, ok: bool, install: str) -> None:
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} missing in CI: {install}")
    pytest.skip(f"needs {what} ({install})")


def qemu_img(*args: str) -> subprocess.CompletedProcess[str]:
    require("qemu-img", shutil.which("qemu-img") is not None, "apt-get install qemu-utils")
    done = subprocess.run(
        ["qemu-img", *args], check=False, capture_output=True, text=True, timeout=120
    )
    return done


def pyvhdi():
    try:
        import pyvhdi as module
    except ImportError:
        require("libvhdi-python", False, "pip install -e '.[dev]'")
    return module


def dissect_vhdx():
    try:
        from dissect.hypervisor.disk import vhd, vhdx
    except ImportError:
        require("dissect.hypervisor", False, "pip install -e '.[dev]'")
    return vhdx, vhd


def qemu_format(path: Path) -> str:
    return "vhdx" if path.suffix == ".vhdx" else "vpc"


def scribble(path: Path, model: bytearray, rnd: random.Random, writes: int) -> None:
    with open_disk(path, writable=True) as disk:
        for _ in range(writes):
            offset = rnd.randrange(len(model))
            data = rnd.randbytes(min(rnd.randrange(1, 3 * MiB // 2), len(model) - offset))
            disk.write(offset, data)
            model[offset : offset + len(data)] = data


def build_chain(root: Path, ext: str, kind: str, depth: int, size: int, seed: int):
    """base (+ depth differencing children), each written at random; the model of the top."""
    rnd, model = random.Random(seed), bytearray(size)
    paths = [root / f"d0.{ext}"]
    # VHD: 2 MiB, the block size Hyper-V uses (libvhdi mis-reads differencing VHDs with
    # 1 MiB blocks: absent sectors of a child's second block come back as zeros).
    block = MiB if ext == "vhdx" else 2 * MiB
    create_disk(paths[0], size, kind=kind, block_size=block)
    scribble(paths[0], model, rnd, 5)
    for level in range(1, depth + 1):
        paths.append(root / f"d{level}.{ext}")
        create_differencing(paths[-2], paths[-1], block_size=block)
        scribble(paths[-1], model, rnd, 4)
    return paths, bytes(model)


def libvhdi_read(paths: list[Path], size: int) -> bytes:
    module = pyvhdi()
    files = []
    for path in paths:
        handle = module.file()
        handle.open(str(path))
        files.append(handle)
    for child, parent in zip(files[1:][::-1], files[:-1][::-1], strict=True):
        child.set_parent(parent)
    try:
        return files[-1].read_buffer_at_offset(size, 0)
    finally:
        for handle in files:
            handle.close()


def dissect_read(path: Path, size: int) -> bytes:
    vhdx, vhd = dissect_vhdx()
    if path.suffix == ".vhdx":
        return vhdx.VHDX(path).read(size)
    with path.open("rb") as fh:
        return vhd.VHD(fh).read(size)


def qemu_agrees(path: Path, model: bytes, tmp: Path) -> None:
    raw = tmp / f"{path.name}.model.raw"
    raw.write_bytes(model)
    info = json.loads(qemu_img("info", "--output=json", "-f", qemu_format(path), str(path)).stdout)
    assert info["virtual-size"] == len(model)
    if path.suffix == ".vhdx":  # qemu-img has no check for vpc
        done = qemu_img("check", "-f", "vhdx", str(path))
        assert done.returncode == 0, done.stdout + done.stderr
    done = qemu_img("compare", "-f", qemu_format(path), "-F", "raw", str(path), str(raw))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("ext", ["vhdx", "vhd"])
@pytest.mark.parametrize("kind", ["dynamic", "fixed"])
def test_qemu_img_reads_and_checks_what_we_write(tmp_path, ext, kind):
    (path,), model = build_chain(tmp_path, ext, kind, 0, 20 * MiB, seed=len(ext + kind))
    qemu_agrees(path, model, tmp_path)


@pytest.mark.parametrize(
    ("fmt", "options", "name"),
    [("vhdx", "subformat=dynamic", "q.vhdx"), ("vhdx", "subformat=fixed", "qf.vhdx"),
     ("vpc", "subformat=dynamic,force_size=on", "q.vhd"),
     ("vpc", "subformat=fixed,force_size=on", "qf.vhd")],
)  # fmt: skip
def test_we_read_what_qemu_img_writes(tmp_path, fmt, options, name):
    rnd = random.Random(name)
    content = rnd.randbytes(5 * MiB) + bytes(7 * MiB) + rnd.randbytes(3 * MiB + 512)
    source, image, back = tmp_path / "in.raw", tmp_path / name, tmp_path / "back.raw"
    source.write_bytes(content)
    done = qemu_img("convert", "-f", "raw", "-O", fmt, "-o", options, str(source), str(image))
    assert done.returncode == 0, done.stderr
    qemu_img("convert", "-f", fmt, "-O", "raw", str(image), str(back))
    with open_disk(image) as disk:
        ours = disk.read(0, disk.virtual_size)
    assert ours == back.read_bytes() == content
    assert check(image) == []


def test_qemu_img_reads_a_streamed_fixed_vhd(tmp_path):
    from wincloud.hyperv.vhd import fixed_vhd_stream

    raw = random.Random(4).randbytes(3 * MiB)
    path = tmp_path / "drive.vhd"
    path.write_bytes(b"".join(fixed_vhd_stream([raw], len(raw))))
    qemu_agrees(path, raw, tmp_path)
    assert libvhdi_read([path], len(raw)) == raw


def test_we_replay_log_entries_qemu_wrote(tmp_path):
    """qemu-io journals each BAT update in the VHDX log (a new LogGuid each time, sequence
    numbers restarting at 1), applies it and clears the header's LogGuid. Pointing the LogGuid
    back at the last entry qemu wrote (the one whose LastFileOffset is the file's size) makes our
    reader replay a real qemu entry; it is already applied, so the disk must read the same."""
    import struct
    import uuid
    from dataclasses import replace

    from wincloud.hyperv.vhd import VhdError, VhdxImage
    from wincloud.hyperv.vhd import vhdx_format as fmt

    require("qemu-io", shutil.which("qemu-io") is not None, "apt-get install qemu-utils")
    image, back = tmp_path / "q.vhdx", tmp_path / "q.raw"
    assert (
        qemu_img("create", "-q", "-f", "vhdx", "-o", "block_size=1M", str(image), "64M").returncode
        == 0
    )
    for command in ("write -P 0x41 0 3M", "write -P 0x42 10M 1M"):
        done = subprocess.run(["qemu-io", "-f", "vhdx", "-c", command, str(image)],
                              check=False, capture_output=True, text=True, timeout=60)  # fmt: skip
        assert done.returncode == 0, done.stderr
    qemu_img("convert", "-f", "vhdx", "-O", "raw", str(image), str(back))
    with VhdxImage.open(image) as disk:
        header, slot = disk.header, disk.header_slot
    log = image.read_bytes()[header.log_offset : header.log_offset + header.log_length]
    entries = [struct.unpack_from("<4sIIIQII16sQQ", log, at) for at in range(0, len(log), 4096)
               if log[at : at + 4] == b"loge"]  # fmt: skip
    assert entries, "qemu wrote no log entries"
    size = image.stat().st_size
    (newest,) = [fields for fields in entries if fields[9] == size]
    with image.open("r+b") as fh:
        fh.seek(fmt.HEADER_OFFSETS[slot])
        fh.write(replace(header, log_guid=uuid.UUID(bytes_le=newest[7])).pack())
    with open_disk(image) as disk:
        assert disk.read(0, disk.virtual_size) == back.read_bytes()
    assert any("replayed in memory" in problem for problem in check(image))
    with pytest.raises(VhdError, match="never replayed"):
        open_disk(image, writable=True)


def test_we_read_an_empty_qemu_vhdx_and_find_no_problem(tmp_path):
    image = tmp_path / "e.vhdx"
    assert qemu_img("create", "-q", "-f", "vhdx", str(image), "3G").returncode == 0
    with open_disk(image) as disk:
        assert disk.virtual_size == 3 << 30
        assert disk.read((3 << 30) - MiB, MiB) == bytes(MiB)
    assert check(image) == []


@pytest.mark.parametrize("ext", ["vhdx", "vhd"])
def test_libvhdi_reads_our_chains(tmp_path, ext):
    paths, model = build_chain(tmp_path, ext, "dynamic", 3, 12 * MiB, seed=11)
    assert libvhdi_read(paths, len(model)) == model


def test_libvhdi_refuses_a_child_whose_parent_changed(tmp_path):
    paths, _ = build_chain(tmp_path, "vhdx", "dynamic", 1, 4 * MiB, seed=3)
    with open_disk(paths[0], writable=True) as disk:
        disk.write(0, b"new")
    with pytest.raises(OSError, match="mismatch in identifier"):
        libvhdi_read(paths, 4 * MiB)


@pytest.mark.parametrize(("ext", "depth"), [("vhdx", 2), ("vhd", 0)])
@pytest.mark.parametrize("kind", ["dynamic", "fixed"])
def test_dissect_reads_our_disks(tmp_path, ext, depth, kind):
    paths, model = build_chain(tmp_path, ext, kind, depth, 8 * MiB, seed=depth + len(kind))
    assert dissect_read(paths[-1], len(model)) == model


def test_flattened_chain_is_identical_for_qemu(tmp_path):
    from wincloud.hyperv.vhd import convert

    paths, model = build_chain(tmp_path, "vhdx", "dynamic", 2, 10 * MiB, seed=5)
    for target in ("flat.vhdx", "flat.vhd"):
        convert(paths[-1], tmp_path / target)
        qemu_agrees(tmp_path / target, model, tmp_path)


@pytest.mark.parametrize("ext", ["vhdx", "vhd"])
def test_grown_disks_still_satisfy_every_reader(tmp_path, ext):
    (path,), model = build_chain(tmp_path, ext, "dynamic", 0, 4 * MiB, seed=21)
    resize(path, 300 * MiB)  # with 1 MiB blocks the VHDX BAT moves; the VHD table too
    grown = model + bytes(300 * MiB - len(model))
    with open_disk(path, writable=True) as disk:
        disk.write(299 * MiB, b"tail" * 256)
    grown = grown[: 299 * MiB] + b"tail" * 256 + grown[299 * MiB + 1024 :]
    qemu_agrees(path, grown, tmp_path)
    assert libvhdi_read([path], len(grown)) == grown
    assert dissect_read(path, len(grown)) == grown
    assert check(path) == []


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ext=st.sampled_from(["vhdx", "vhd"]),
    kind=st.sampled_from(["dynamic", "fixed"]),
    depth=st.integers(0, 2),
    size_mib=st.integers(2, 6),
    seed=st.integers(0, 2**32),
)
def test_all_readers_agree_with_the_model(tmp_path_factory, ext, kind, depth, size_mib, seed):
    root = tmp_path_factory.mktemp("prop")
    paths, model = build_chain(root, ext, kind, depth, size_mib * MiB, seed)
    with open_disk(paths[-1]) as disk:
        assert disk.read(0, len(model)) == model
    assert libvhdi_read(paths, len(model)) == model
    if ext == "vhdx" or depth == 0:
        assert dissect_read(paths[-1], len(model)) == model
    if depth == 0:
        qemu_agrees(paths[0], model, root)
