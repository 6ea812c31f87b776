"""`wincloud image build` through the CLI with real QEMU, OVMF (Secure Boot, Microsoft keys)
and swtpm: the "install ISO" is not bootable, so the boot stage times out; the failure is one
error line, with a screenshot, the serial log, and the disk kept only when asked."""

from __future__ import annotations

import shutil

import pytest

from tests.unit.image.build.conftest import write_spec_files
from wincloud.cli import main

pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in ("qemu-system-x86_64", "qemu-img", "swtpm")),
    reason="qemu-system-x86, qemu-utils and swtpm needed",
)


def run_build(tmp_path, capsys, *extra: str) -> tuple[int, list[str]]:
    spec = write_spec_files(tmp_path / "spec", secure_boot=True, tpm=True, boot=8)
    with pytest.raises(SystemExit) as exited:
        main(
            [
                "image",
                "build",
                str(spec),
                "--out",
                str(tmp_path / "out" / "ws.qcow2"),
                "--accel",
                "tcg",
                *extra,
            ]
        )
    return exited.value.code, capsys.readouterr().err.strip().splitlines()


def test_boot_timeout_fails_with_artefacts_and_kept_disk(tmp_path, capsys):
    shots = tmp_path / "shots"
    code, err = run_build(tmp_path, capsys, "--keep-disk", "--screenshot-dir", str(shots))
    assert code == 1
    assert err[0] == (
        f"error[image-error]: build failed: stage boot timed out (no progress for 8 s): "
        f"{tmp_path / 'out' / 'ws.qcow2'}"
    )
    assert err[1].startswith("hint: screenshot ")
    assert (shots / "ws2022-std-failure.png").is_file()
    assert (shots / "ws2022-std-serial.log").is_file()
    assert (tmp_path / "out" / "ws.qcow2.partial").is_file()
    assert not (tmp_path / "out" / "ws.qcow2").exists()
    assert "Traceback" not in "\n".join(err)
    assert not _our_processes(), "QEMU or swtpm left running"


def _our_processes() -> list[str]:
    """Build processes (QEMU, swtpm) started by this test process and still alive: other
    builds on the machine (another test run) are not ours."""
    import os

    parents: dict[int, int] = {}
    lines: dict[int, bytes] = {}
    for pid in map(int, filter(str.isdigit, os.listdir("/proc"))):
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                parents[pid] = int(f.read().rsplit(b")", 1)[1].split()[1])
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                lines[pid] = f.read()
        except (OSError, ValueError, IndexError):
            continue
    me = os.getpid()

    def ours(pid: int) -> bool:
        for _ in range(64):  # bounded walk up the tree
            pid = parents.get(pid, 0)
            if pid == me:
                return True
            if pid <= 1:
                return False
        return False

    return [
        lines[pid].decode(errors="replace")
        for pid in lines
        if b"wincloud-build-" in lines[pid] and ours(pid)
    ]


def test_failed_build_removes_the_disk_by_default(tmp_path, capsys):
    code, err = run_build(tmp_path, capsys)
    assert code == 1
    assert "rerun with --keep-disk" in err[1]
    assert not (tmp_path / "out" / "ws.qcow2.partial").exists()
    assert (tmp_path / "out" / "ws2022-std-failure.png").is_file()


def test_pipeline_renames_the_disk_when_the_guest_finishes(tmp_path):
    """The whole pipeline (answer CD, qemu-img, QEMU, monitor) with the fake guest booted in
    place of the install ISO: the disk becomes OUT only after the sysprep power-off."""
    import dataclasses

    from tests.e2e.image.fakeguest import fake_plan, missing_tools
    from wincloud.image.build import BootPlan, BuildOptions, build_image
    from wincloud.image.spec import load_spec

    if missing_tools():
        pytest.skip(missing_tools())
    spec = load_spec(write_spec_files(tmp_path / "spec", firmware="bios", secure_boot=False))
    fake = fake_plan(tmp_path, "success")

    def boot_fake_guest(plan: BootPlan) -> BootPlan:
        assert plan.disk is not None and plan.disk.name == "ws.qcow2.partial"
        return dataclasses.replace(
            plan, kernel=fake.kernel, initrd=fake.initrd, append=fake.append, memory_mib=256
        )

    out = tmp_path / "out" / "ws.qcow2"
    result = build_image(spec, out, options=BuildOptions(accel="tcg"), adjust_plan=boot_fake_guest)
    assert result.verdict.ok
    assert out.read_bytes()[:4] == b"QFI\xfb"
    assert not out.with_name("ws.qcow2.partial").exists()


def test_a_finished_disk_that_cannot_be_renamed_is_kept_and_named(tmp_path):
    """--out turned into a folder during the build: the rename after a whole install was an
    IsADirectoryError traceback; now an error naming the finished disk, which is kept."""
    import dataclasses

    from tests.e2e.image.fakeguest import fake_plan, missing_tools
    from wincloud.errors import ImageError
    from wincloud.image.build import BootPlan, BuildOptions, build_image
    from wincloud.image.spec import load_spec

    if missing_tools():
        pytest.skip(missing_tools())
    spec = load_spec(write_spec_files(tmp_path / "spec", firmware="bios", secure_boot=False))
    fake = fake_plan(tmp_path, "success")
    out = tmp_path / "out" / "ws.qcow2"

    def boot_fake_guest_and_block_out(plan: BootPlan) -> BootPlan:
        (out / "in-the-way").mkdir(parents=True)
        return dataclasses.replace(
            plan, kernel=fake.kernel, initrd=fake.initrd, append=fake.append, memory_mib=256
        )

    with pytest.raises(ImageError) as caught:
        build_image(
            spec, out, options=BuildOptions(accel="tcg"), adjust_plan=boot_fake_guest_and_block_out
        )
    partial = out.with_name("ws.qcow2.partial")
    assert caught.value.message.startswith("the image is built but cannot be renamed")
    assert str(partial) in (caught.value.hint or "")
    assert partial.read_bytes()[:4] == b"QFI\xfb"
