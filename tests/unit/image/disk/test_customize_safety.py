"""customize leaves the image alone when it cannot finish: no room on the volume, a read-only
image file; and a failed write is reported as itself, not as the dead session's next error."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from wincloud.errors import ImageError, WincloudError
from wincloud.image.disk._tools import GuestfsDisk
from wincloud.image.disk.customize import (
    CustomizeOptions,
    apply_plan,
    customize_image,
    plan_customize,
)
from wincloud.image.disk.volume import DirVolume


def _digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


class SmallVolume(DirVolume):
    """A volume tree that reports little free space, as a nearly full NTFS volume does."""

    def __init__(self, root: Path, free: int) -> None:
        super().__init__(root)
        self.free = free

    def free_bytes(self) -> int | None:
        return self.free


def test_plan_larger_than_the_free_space_writes_nothing(windows_dir, tmp_path):
    msi = tmp_path / "agent.msi"
    msi.write_bytes(os.urandom(3 * 1024 * 1024))
    root = windows_dir(agent=False, drivers={})
    before = _digest(root)
    volume = SmallVolume(root, free=5 * 1024 * 1024)
    plan = plan_customize(volume, CustomizeOptions(agent_msi=msi, agent_version="1.0"))
    with pytest.raises(ImageError, match="not enough free space") as caught:
        apply_plan(volume, plan)
    assert "nothing was written" in caught.value.message
    assert caught.value.subject == str(root)
    assert _digest(root) == before


def test_plan_that_fits_is_written(windows_dir, tmp_path):
    msi = tmp_path / "agent.msi"
    msi.write_bytes(b"MSI" * 1000)
    root = windows_dir(agent=False, drivers={})
    volume = SmallVolume(root, free=64 * 1024 * 1024)
    apply_plan(volume, plan_customize(volume, CustomizeOptions(agent_msi=msi)))
    assert volume.find("Windows/Setup/Scripts/wincloud/wincloud-agent.msi") is not None


class DyingFish:
    """A guestfish session whose server ends at the first failed command (as guestfish's does)."""

    def __init__(self, image: Path, fail: str) -> None:
        self.image, self.write, self.fail = image, True, fail
        self.alive = True
        self.calls: list[str] = []

    def call(self, *args: str, timeout: float = 0, tolerate: bool = False) -> str:
        self.calls.append(args[0])
        if not self.alive:
            raise ImageError(
                f"guestfish {args[0]} failed: looks like the server is not running",
                subject=str(self.image),
            )
        if args[0] == self.fail:
            self.alive = False
            raise ImageError(
                f"guestfish {args[0]} failed: No space left on device", subject=str(self.image)
            )
        if args[0] == "case-sensitive-path":
            return ""
        return "false\n" if args[0] == "exists" else ""


def test_failed_write_is_reported_not_the_sync_after_it(tmp_path):
    # It was "guestfish sync failed: ... server is not running", hiding the full disk.
    fish = DyingFish(tmp_path / "w.qcow2", fail="upload")
    disk = GuestfsDisk(fish)  # type: ignore[arg-type]
    with pytest.raises(ImageError, match="No space left on device"):
        with disk.mount("/dev/sda3", write=True) as volume:
            volume.write("Windows/x.txt", b"x")
    assert fish.calls[-2:] == ["upload", "sync"]


def _make_read_only(path: Path) -> None:
    if os.geteuid() != 0:
        path.chmod(0o444)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(path)], check=False).returncode:
        pytest.skip("cannot make a file read-only for root here (chattr +i)")


def test_read_only_image_is_refused_before_libguestfs(tmp_path):
    image = tmp_path / "ro.qcow2"
    image.write_bytes(b"\0" * 4096)
    _make_read_only(image)
    try:
        with pytest.raises(ImageError, match="cannot open the image for writing") as caught:
            customize_image(image, CustomizeOptions())
        assert caught.value.subject == str(image)
        assert "customize a copy" in (caught.value.hint or "")
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(image)], check=False)


@pytest.fixture
def recording_guestfish(tmp_path, monkeypatch):
    """A guestfish on PATH that records that it ran (and cannot start an appliance)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    ran = tmp_path / "guestfish-ran"
    script = bin_dir / "guestfish"
    script.write_text(f"#!/bin/sh\necho \"$@\" >> '{ran}'\nexit 1\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return ran


@pytest.mark.skipif(shutil.which("qemu-img") is None, reason="qemu-utils not installed")
@pytest.mark.parametrize("bad", ["reg", "virtio-win"])
def test_bad_inputs_are_refused_before_the_appliance_starts(tmp_path, recording_guestfish, bad):
    image = tmp_path / "disk.raw"
    image.write_bytes(b"\0" * 65536)
    junk = tmp_path / "junk"
    junk.write_bytes(b"neither a .reg file nor an ISO")
    opts = (
        CustomizeOptions(reg_files=(junk,)) if bad == "reg" else CustomizeOptions(virtio_win=junk)
    )
    with pytest.raises(WincloudError) as caught:
        customize_image(image, opts)
    assert caught.value.subject == str(junk)
    assert not recording_guestfish.exists()
