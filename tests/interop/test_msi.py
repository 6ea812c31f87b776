"""The MSI, built with Debian's wixl from packaging/windows/wincloud.wxs over a small staging
tree (a stand-in python.exe and site-packages: no Python download), inspected with msiinfo and
msiextract. wixl drops some authoring silently, so the tables are checked row by row."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.interop

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "packaging" / "windows" / "build_msi.py"
TOOLS = ("wixl", "wixl-heat", "msiinfo", "msiextract")


def require_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{', '.join(missing)} missing in CI: .ci/run installs wixl and msitools")
        pytest.skip(f"needs {', '.join(missing)} (apt-get install wixl msitools)")


def table(msi: Path, name: str) -> list[dict[str, str]]:
    text = subprocess.run(
        ["msiinfo", "export", str(msi), name], capture_output=True, text=True, check=True
    ).stdout
    lines = text.splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=False)) for line in lines[3:]]


@pytest.fixture(scope="module")
def msi(tmp_path_factory) -> Path:
    require_tools()
    root = tmp_path_factory.mktemp("msi")
    python = root / "stage" / "python"
    (python / "Lib" / "site-packages" / "wincloud").mkdir(parents=True)
    (python / "python.exe").write_bytes(b"MZ stand-in")
    (python / "python311.dll").write_bytes(b"MZ dll")
    (python / "python311._pth").write_text(
        "python311.zip\r\n.\r\nLib\\site-packages\r\nimport site\r\n"
    )
    (python / "Lib" / "site-packages" / "wincloud" / "__init__.py").write_text(
        '__version__ = "0"\n'
    )
    out = root / "wincloud.msi"
    subprocess.run(
        [sys.executable, str(BUILD), "msi", "--staging", str(root / "stage"), "--out", str(out),
         "--version", "1.2.3rc1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return out


def test_the_msi_has_the_tables_an_install_needs(msi):
    tables = set(subprocess.run(["msiinfo", "tables", str(msi)], capture_output=True, text=True,
                                check=True).stdout.split())  # fmt: skip
    assert {"File", "Component", "Directory", "Feature", "ServiceInstall", "ServiceControl",
            "InstallExecuteSequence", "Media", "Property"} <= tables  # fmt: skip


def test_the_service_is_registered_to_run_the_agent_at_boot(msi):
    [row] = table(msi, "ServiceInstall")
    assert row["Name"] == "wincloud"
    assert row["ServiceType"] == "16"  # SERVICE_WIN32_OWN_PROCESS
    assert row["StartType"] == "2"  # SERVICE_AUTO_START
    assert row["ErrorControl"] == "1"
    assert row["StartName"] == "LocalSystem"
    assert row["Arguments"] == "-m wincloud agent service run"
    component = {c["Component"]: c for c in table(msi, "Component")}[row["Component_"]]
    key_file = {f["File"]: f for f in table(msi, "File")}[component["KeyPath"]]
    assert key_file["FileName"] == "python.exe"  # the service binary is the component's key


def test_the_service_is_stopped_and_removed_on_uninstall_but_not_started_on_install(msi):
    [row] = table(msi, "ServiceControl")
    event = int(row["Event"])
    assert row["Name"] == "wincloud" and row["Wait"] == "1"
    assert event & 0x02 and event & 0x20 and event & 0x80  # stop on both, delete on uninstall
    assert not event & 0x01  # never started on the template machine


def test_the_sequence_runs_the_service_actions(msi):
    actions = {row["Action"] for row in table(msi, "InstallExecuteSequence")}
    assert {"InstallFiles", "InstallServices", "StopServices", "DeleteServices"} <= actions


def test_the_runtime_lands_under_program_files(msi, tmp_path):
    dirs = {row["Directory"]: row for row in table(msi, "Directory")}
    assert dirs["INSTALLDIR"]["Directory_Parent"] == "ProgramFiles64Folder"
    assert dirs["PYTHONDIR"]["Directory_Parent"] == "INSTALLDIR"
    subprocess.run(["msiextract", "-C", str(tmp_path), str(msi)], check=True, capture_output=True)
    python = tmp_path / "wincloud" / "python"
    assert (python / "python.exe").read_bytes() == b"MZ stand-in"
    assert (python / "Lib" / "site-packages" / "wincloud" / "__init__.py").is_file()
    assert "import site" in (python / "python311._pth").read_text()


def test_product_properties(msi):
    props = {row["Property"]: row["Value"] for row in table(msi, "Property")}
    assert props["ProductVersion"] == "1.2.3"
    assert props["UpgradeCode"] == "{5F0C3A52-6B0B-4C39-9F43-2C0C8E35B8B1}"
    assert props["ALLUSERS"] == "1"
    components = table(msi, "Component")
    assert all(int(c["Attributes"]) & 256 for c in components)  # 64-bit components
