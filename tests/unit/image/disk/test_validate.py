"""validate's problems for a report against a spec, and the inspect table (no appliance)."""

from __future__ import annotations

import dataclasses

import pytest

from wincloud.cli.image_disk import _rows
from wincloud.image.disk.inspect import ImageReport
from wincloud.image.disk.validate import find_problems
from wincloud.image.disk.windows import WindowsInfo
from wincloud.image.spec import load_spec

SPEC = """
[image]
name = "ws2022"
[source]
iso = "win.iso"
edition = "Windows Server 2022 SERVERSTANDARD"
version = "2022"
[firmware]
type = "uefi"
[disk]
bus = "{bus}"
[drivers]
virtio_win_iso = "virtio-win-0.1.266.iso"
[agent]
msi = "agent.msi"
"""

GOOD = ImageReport(
    format="qcow2",
    virtual_size=40 << 30,
    actual_size=9 << 30,
    partition_table="gpt",
    firmware="uefi",
    windows=WindowsInfo(
        "Windows Server 2022 Standard", "ServerStandard", "Server", 20348, "2022", "amd64"
    ),
    generalized=True,
    image_state="IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE",
    agent_version="0.1.0",
    drivers={"netkvm": "100.95.104.26600", "viostor": "100.95.104.26600"},
    boot_drivers={"virtio": True, "scsi": False},
)


@pytest.fixture
def spec(tmp_path):
    def make(bus="virtio"):
        path = tmp_path / "spec.toml"
        path.write_text(SPEC.format(bus=bus), encoding="utf-8")
        return load_spec(path)

    return make


def test_a_good_image_has_no_problems(spec):
    assert find_problems(GOOD, spec()) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            {"generalized": False, "image_state": "IMAGE_STATE_COMPLETE"},
            "not generalized: ImageState is IMAGE_STATE_COMPLETE",
        ),
        ({"agent_version": None}, "no wincloud agent"),
        ({"firmware": "bios"}, "firmware mismatch: the disk boots bios, the spec says uefi"),
        ({"drivers": {"viostor": None}}, "no netkvm driver for network model virtio"),
        (
            {"boot_drivers": {"virtio": False, "scsi": False}},
            "no boot-start viostor driver for disk bus virtio",
        ),
    ],
)
def test_each_problem_is_one_line(spec, change, problem):
    problems = find_problems(dataclasses.replace(GOOD, **change), spec())
    assert len(problems) == 1 and problems[0].startswith(problem)


def test_scsi_spec_needs_vioscsi(spec):
    problems = find_problems(GOOD, spec("scsi"))
    assert problems == [
        "no boot-start vioscsi driver for disk bus scsi "
        "(wincloud image customize --virtio-win ISO --bus scsi)"
    ]


def test_version_mismatch(spec):
    windows = dataclasses.replace(GOOD.windows, version="2019", build=17763)
    problems = find_problems(dataclasses.replace(GOOD, windows=windows), spec())
    assert problems == ["version mismatch: the image holds Windows 2019, the spec says 2022"]


def test_no_windows_is_the_only_problem(spec):
    report = dataclasses.replace(GOOD, windows=None)
    assert find_problems(report, spec()) == [
        "no Windows installation found (no NTFS volume with Windows\\System32\\config)"
    ]


def test_inspect_table_rows():
    rows = dict(_rows(dataclasses.replace(GOOD, agent_staged=True)))
    assert rows["virtual size"] == "40.0 GiB"
    assert rows["version"] == "2022"
    assert rows["agent"] == "0.1.0 (staged: installs at first boot)"
    assert rows["boot drivers"] == "virtio=yes, scsi=no"
    assert rows["drivers"] == "netkvm 100.95.104.26600, viostor 100.95.104.26600"


def test_inspect_table_without_windows():
    rows = dict(_rows(dataclasses.replace(GOOD, windows=None)))
    assert rows["windows"] == "not found" and "agent" not in rows
