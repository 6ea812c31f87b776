"""Golden answer files, one per configuration, compared byte for byte; each is well-formed,
valid against our envelope schema (Debian's xmllint --schema), and lints clean.

Regenerate them after an intended change (then read the diff before committing):

    WINCLOUD_UPDATE_GOLDENS=1 .venv/bin/pytest tests/unit/image/spec/test_unattend_golden.py

Configurations: server (Windows Server 2022 Standard) and client (Windows 10 Enterprise on
BIOS, Windows 11 Enterprise with a TPM on UEFI) x uefi/bios x virtio/scsi x kms-client/none,
install and generalize; plus Windows 11 on arm64.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.unit.image.spec.conftest import base_data, dump_toml
from wincloud.image.spec import ImageSpec, load_spec
from wincloud.image.unattend import envelope_schema, render_unattend
from wincloud.image.unattend.lint import lint_unattend

GOLDEN_DIR = Path(__file__).resolve().parents[3] / "fixtures" / "image" / "unattend"
UPDATE = os.environ.get("WINCLOUD_UPDATE_GOLDENS") == "1"


def config_data(kind: str, firmware: str, bus: str, licensing: str, arch: str = "amd64"):
    data: dict[str, Any] = base_data()
    data["firmware"].update(type=firmware, secure_boot=firmware == "uefi", tpm=False)
    data["disk"]["bus"] = bus
    data["licensing"]["mode"] = licensing
    data["source"]["architecture"] = arch
    if kind == "client":
        version = "11" if firmware == "uefi" else "10"
        data["source"].update(version=version, edition=f"Windows {version} Enterprise")
        data["image"]["name"] = f"win{version}-ent"
        data["firmware"]["tpm"] = version == "11"
        data["disk"]["size_gib"] = 64
        data["publish"].update(min_disk_gib=64, name=f"Windows {version} Enterprise")
    return data


CONFIGS = {
    f"{kind}-{fw}-{bus}-{lic}": (kind, fw, bus, lic)
    for kind, fw, bus, lic in itertools.product(
        ("server", "client"), ("uefi", "bios"), ("virtio", "scsi"), ("kms-client", "none")
    )
}
NAMES = [*CONFIGS, "client-uefi-virtio-kms-client-arm64"]


def spec_for(name: str, tmp_path: Path) -> ImageSpec:
    if name.endswith("-arm64"):
        data = config_data("client", "uefi", "virtio", "kms-client", arch="arm64")
    else:
        data = config_data(*CONFIGS[name])
    path = tmp_path / "spec.toml"
    path.write_text(dump_toml(data), encoding="utf-8")
    return load_spec(path)


CASES = [(name, stage) for name in NAMES for stage in ("install", "generalize")]


@pytest.mark.parametrize(("name", "stage"), CASES)
def test_answer_file_matches_its_golden(name, stage, tmp_path):
    data = render_unattend(spec_for(name, tmp_path), stage)
    golden = GOLDEN_DIR / f"{name}-{stage}.xml"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(data)
    assert golden.exists(), f"no golden: run with WINCLOUD_UPDATE_GOLDENS=1 to write {golden}"
    assert data == golden.read_bytes()


def test_every_golden_is_a_current_configuration():
    expected = {f"{name}-{stage}.xml" for name, stage in CASES}
    assert {p.name for p in GOLDEN_DIR.glob("*.xml")} == expected


@pytest.mark.parametrize("golden", sorted(GOLDEN_DIR.glob("*.xml")), ids=lambda p: p.stem)
def test_golden_lints_clean(golden):
    assert lint_unattend(golden.read_bytes()) == []


@pytest.mark.skipif(shutil.which("xmllint") is None, reason="xmllint (libxml2-utils) missing")
def test_every_golden_is_valid_against_the_envelope_schema():
    goldens = sorted(str(p) for p in GOLDEN_DIR.glob("*.xml"))
    assert len(goldens) == len(CASES)
    run = subprocess.run(
        ["xmllint", "--noout", "--nonet", "--schema", envelope_schema(), *goldens],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr.count(" validates") == len(goldens)


@pytest.mark.skipif(shutil.which("xmllint") is None, reason="xmllint (libxml2-utils) missing")
def test_the_schema_refuses_a_component_without_architecture(tmp_path):
    text = (GOLDEN_DIR / "server-uefi-virtio-kms-client-install.xml").read_text()
    bad = tmp_path / "bad.xml"
    bad.write_text(text.replace(' processorArchitecture="amd64"', "", 1))
    run = subprocess.run(
        ["xmllint", "--noout", "--nonet", "--schema", envelope_schema(), str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode != 0
    assert "processorArchitecture" in run.stderr
