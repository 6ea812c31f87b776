"""Spec -> BootPlan -> QEMU command line (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wincloud.errors import ImageError
from wincloud.image.build.plan import (
    BootPlan,
    Firmware,
    Sockets,
    find_ovmf,
    plan_from_spec,
    qemu_argv,
)
from wincloud.image.spec import load_spec

SOCKETS = Sockets(
    qmp=Path("/t/qmp"), serial=Path("/t/serial"), vars=Path("/w/vars.fd"), tpm=Path("/t/tpm")
)


def fake_ovmf(tmp_path: Path) -> tuple[Path, ...]:
    folder = tmp_path / "ovmf"
    folder.mkdir(exist_ok=True)
    for name in ("OVMF_CODE_4M.fd", "OVMF_VARS_4M.fd", "OVMF_CODE_4M.ms.fd", "OVMF_VARS_4M.ms.fd"):
        (folder / name).write_bytes(b"fd")
    return (folder,)


def argv_for(spec_path: Path, tmp_path: Path, accel="tcg") -> list[str]:
    spec = load_spec(spec_path)
    plan = plan_from_spec(
        spec,
        accel=accel,
        disk=tmp_path / "d.qcow2",
        answer_cd=tmp_path / "answer.iso",
        ovmf_dirs=fake_ovmf(tmp_path),
    )
    return qemu_argv(plan, SOCKETS)


def option_values(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv) if a == flag]


def test_tcg_has_no_hyperv_flags(spec_files, tmp_path):
    argv = argv_for(spec_files(), tmp_path, accel="tcg")
    assert option_values(argv, "-cpu") == ["max"]
    assert "accel=tcg" in option_values(argv, "-machine")[0]


def test_kvm_gets_hyperv_enlightenments(spec_files, tmp_path):
    cpu = option_values(argv_for(spec_files(), tmp_path, accel="kvm"), "-cpu")[0]
    assert cpu.startswith("host,") and "hv_relaxed" in cpu and "hv_time" in cpu


def test_secure_boot_uses_microsoft_keys_and_smm(spec_files, tmp_path):
    argv = argv_for(spec_files(secure_boot=True), tmp_path)
    assert ",smm=on" in option_values(argv, "-machine")[0]
    drives = option_values(argv, "-drive")
    assert any("OVMF_CODE_4M.ms.fd" in d and "readonly=on" in d for d in drives)
    assert f"if=pflash,format=raw,unit=1,file={SOCKETS.vars}" in drives
    assert "driver=cfi.pflash01,property=secure,value=on" in option_values(argv, "-global")


def test_uefi_without_secure_boot_uses_plain_ovmf(spec_files, tmp_path):
    argv = argv_for(spec_files(secure_boot=False), tmp_path)
    assert "smm=on" not in option_values(argv, "-machine")[0]
    assert any(d.endswith("/OVMF_CODE_4M.fd") for d in option_values(argv, "-drive"))
    assert "-global" not in argv


def test_scsi_bus_puts_the_disk_behind_virtio_scsi(spec_files, tmp_path):
    devices = option_values(argv_for(spec_files(bus="scsi"), tmp_path), "-device")
    assert "virtio-scsi-pci,id=scsi0" in devices
    assert "scsi-hd,drive=disk0,bus=scsi0.0,bootindex=0" in devices
    assert not any(d.startswith("virtio-blk") for d in devices)


def test_virtio_bus_uses_virtio_blk(spec_files, tmp_path):
    devices = option_values(argv_for(spec_files(bus="virtio"), tmp_path), "-device")
    assert "virtio-blk-pci,drive=disk0,bootindex=0" in devices


def test_three_cdroms_and_only_the_install_iso_boots(spec_files, tmp_path):
    argv = argv_for(spec_files(), tmp_path)
    cds = [d for d in option_values(argv, "-device") if d.startswith("ide-cd")]
    assert len(cds) == 3
    assert [("bootindex" in d) for d in cds] == [True, False, False]
    drives = option_values(argv, "-drive")
    assert any(d.startswith(f"file={tmp_path}/spec/win.iso,") for d in drives)
    assert any(d.startswith(f"file={tmp_path}/answer.iso,") for d in drives)


def test_tpm_adds_swtpm_socket(spec_files, tmp_path):
    argv = argv_for(spec_files(tpm=True), tmp_path)
    assert f"socket,id=chrtpm,path={SOCKETS.tpm}" in option_values(argv, "-chardev")
    assert "tpm-tis,tpmdev=tpm0" in option_values(argv, "-device")


def test_e1000_model(spec_files, tmp_path):
    devices = option_values(argv_for(spec_files(nic="e1000"), tmp_path), "-device")
    assert "e1000,netdev=net0,romfile=" in devices


def test_started_paused_with_qmp_and_serial_socket(spec_files, tmp_path):
    argv = argv_for(spec_files(), tmp_path)
    assert "-S" in argv
    assert option_values(argv, "-qmp") == ["unix:/t/qmp,server=on,wait=off"]
    assert option_values(argv, "-serial") == ["chardev:serial0"]


def test_spec_timeouts_become_stage_timeouts(spec_files, tmp_path):
    plan = plan_from_spec(
        load_spec(spec_files(boot=77)),
        accel="tcg",
        disk=tmp_path / "d",
        answer_cd=tmp_path / "a",
        ovmf_dirs=fake_ovmf(tmp_path),
    )
    assert plan.timeouts["boot"] == 77
    assert plan.key_window == 77
    assert plan.timeouts["drivers"] == plan.timeouts["firstlogon"] == 1800


def test_wim_source_cannot_be_booted(spec_files, tmp_path):
    path = spec_files()
    (path.parent / "install.wim").write_bytes(b"MSWIM")
    path.write_text(path.read_text().replace('iso = "win.iso"', 'wim = "install.wim"'))
    with pytest.raises(ImageError, match=r"source\.wim"):
        plan_from_spec(load_spec(path), accel="tcg", disk=tmp_path / "d", answer_cd=tmp_path / "a")


def test_missing_ovmf_says_which_package(tmp_path):
    with pytest.raises(ImageError) as caught:
        find_ovmf(True, (tmp_path,))
    assert "OVMF_CODE_4M.ms.fd" in str(caught.value) and "ovmf" in (caught.value.hint or "")


def test_kernel_plan_boots_kernel_and_initrd():
    plan = BootPlan(
        name="fake",
        accel="tcg",
        timeouts={},
        kernel=Path("/k"),
        initrd=Path("/i"),
        append="console=ttyS0",
        firmware=Firmware("bios"),
        disk=Path("/d.qcow2"),
        cdroms=(Path("/a.iso"),),
    )
    argv = qemu_argv(plan, SOCKETS)
    assert "bootindex" not in " ".join(argv)
    assert argv[argv.index("-kernel") + 1] == "/k"
    assert argv[argv.index("-append") + 1] == "console=ttyS0"
    assert "if=pflash" not in " ".join(argv)
