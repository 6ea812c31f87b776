"""The accelerator probe boots a real guest (OVMF, or the boot sector without OVMF)."""

from __future__ import annotations

import shutil

import pytest

from wincloud.errors import ImageError
from wincloud.image.build.accel import choose_accel, probe

pytestmark = pytest.mark.skipif(
    shutil.which("qemu-system-x86_64") is None, reason="qemu-system-x86 not installed"
)


def test_tcg_runs_the_ovmf_probe():
    assert probe("tcg", timeout=60) is None


def test_tcg_runs_the_boot_sector_probe_without_ovmf(tmp_path):
    assert probe("tcg", timeout=60, ovmf_dirs=(tmp_path,)) is None


def test_a_missing_qemu_is_reported(tmp_path):
    with pytest.raises(ImageError, match="cannot start"):
        probe("tcg", qemu=str(tmp_path / "no-qemu"))


def test_auto_uses_kvm_only_when_its_probe_passes():
    kvm_works = probe("kvm", timeout=10) is None
    assert choose_accel("auto", timeout=10) == ("kvm" if kvm_works else "tcg")


def test_kvm_asked_but_not_working_is_an_error_else_kvm():
    if probe("kvm", timeout=10) is None:
        assert choose_accel("kvm", timeout=10) == "kvm"
    else:
        with pytest.raises(ImageError, match="KVM does not run a guest"):
            choose_accel("kvm", timeout=10)


def test_tcg_is_not_probed(tmp_path):
    assert choose_accel("tcg", qemu=str(tmp_path / "no-qemu")) == "tcg"
