"""Build-side fixtures: a small virtio-win ISO in the real layout, and a spec that uses it."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

# virtio-win's layout: <driver>/<os>/<arch>/ (ARM64 in capitals, as the real ISO names it).
VIRTIO_FOLDERS = {
    "viostor": [("2k19", "amd64"), ("2k22", "amd64"), ("w11", "amd64"), ("w11", "ARM64")],
    "vioscsi": [("2k22", "amd64"), ("w11", "amd64")],
    "NetKVM": [("2k19", "amd64"), ("2k22", "amd64"), ("w11", "amd64"), ("w11", "ARM64")],
    "Balloon": [("2k22", "amd64")],
    "viofs": [("2k22", "amd64")],
}


def virtio_files() -> dict[str, bytes]:
    files: dict[str, bytes] = {"virtio-win-guest-tools.exe": b"MZ tools"}
    for driver, folders in VIRTIO_FOLDERS.items():
        for os_dir, arch in folders:
            base = f"{driver}/{os_dir}/{arch}"
            name = driver.lower()
            for ext in ("inf", "sys", "cat", "pdb"):
                files[f"{base}/{name}.{ext}"] = f"{base} {ext}\n".encode()
    return files


def write_virtio_iso(path: Path, files: dict[str, bytes] | None = None) -> Path:
    """An ISO 9660 + Joliet + Rock Ridge image like the operator's virtio-win ISO."""
    from wincloud.configdrive.iso import write_iso
    from wincloud.configdrive.layout import Folder

    buf = io.BytesIO()
    write_iso(
        Folder.from_files(files or virtio_files(), subject="test"),
        buf,
        label="virtio-win",
        subject="test",
    )
    path.write_bytes(buf.getvalue())
    return path


SPEC = """\
[image]
name = "{name}"

[source]
iso = "win.iso"
edition = "{edition}"
version = "{version}"

[firmware]
type = "{firmware}"
secure_boot = {secure_boot}
tpm = {tpm}

[disk]
bus = "{bus}"
size_gib = 64

[network]
model = "{nic}"

[licensing]
mode = "kms-client"

[drivers]
virtio_win_iso = "virtio-win.iso"

[agent]
msi = "agent.msi"

[build]
accel = "tcg"
memory_mib = 4096

[build.timeouts]
boot = {boot}
"""

EDITIONS = {
    "2019": "Windows Server 2019 SERVERSTANDARD",
    "2022": "Windows Server 2022 SERVERSTANDARD",
    "2025": "Windows Server 2025 SERVERSTANDARD",
    "11": "Windows 11 Pro",
}


def write_spec_files(
    folder: Path,
    *,
    version: str = "2022",
    bus: str = "virtio",
    nic: str = "virtio",
    firmware: str = "uefi",
    secure_boot: bool = True,
    tpm: bool = False,
    boot: int = 600,
    name: str = "ws2022-std",
    install_iso: bytes = b"not really a Windows ISO",
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "win.iso").write_bytes(install_iso)
    (folder / "agent.msi").write_bytes(b"\xd0\xcf\x11\xe0 fake msi")
    if not (folder / "virtio-win.iso").exists():
        write_virtio_iso(folder / "virtio-win.iso")
    spec = folder / "spec.toml"
    spec.write_text(
        SPEC.format(
            name=name,
            edition=EDITIONS[version],
            version=version,
            bus=bus,
            nic=nic,
            firmware=firmware,
            secure_boot=str(secure_boot).lower(),
            tpm=str(tpm or version == "11").lower(),
            boot=boot,
        )
    )
    return spec


@pytest.fixture
def spec_files(tmp_path) -> Callable[..., Path]:
    def make(**kwargs) -> Path:
        return write_spec_files(tmp_path / "spec", **kwargs)

    return make
