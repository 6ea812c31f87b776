"""`wincloud image publish` without a cloud: --dry-run output and one-line refusals."""

from __future__ import annotations

import json

import pytest

from tests.unit.image.publish.conftest import good_report
from tests.unit.image.publish.test_format import qcow2_header
from wincloud.cli import main


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        main(["image", "publish", *args])
        status = 0
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else 1
    out = capsys.readouterr()
    return status, out.out, out.err


def files(tmp_path, make_spec, **report_changes):
    spec = make_spec()
    disk = tmp_path / "disk.qcow2"
    disk.write_bytes(qcow2_header())
    report = tmp_path / "report.json"
    report.write_text(json.dumps(good_report(**report_changes).to_json()))
    return str(disk), str(spec.path), str(report)


def test_dry_run_prints_the_image_record(tmp_path, make_spec, capsys):
    disk, spec, report = files(tmp_path, make_spec)
    status, out, _ = run(capsys, disk, "--spec", spec, "--report", report, "--dry-run")
    assert status == 0
    doc = json.loads(out)
    assert doc["image"]["hw_firmware_type"] == "uefi"
    assert doc["image"]["min_disk"] == 40
    assert doc["data"] == {
        "file": disk,
        "format": "qcow2",
        "convert_to": None,
        "compression": "none",
    }


def test_contradiction_is_one_line_with_hint_and_exit_1(tmp_path, make_spec, capsys):
    disk, spec, report = files(tmp_path, make_spec, firmware="bios")
    status, out, err = run(capsys, disk, "--spec", spec, "--report", report, "--dry-run")
    assert status == 1
    assert out == ""
    first, hint = err.strip().splitlines()
    assert first.startswith("error[image-error]: a BIOS image cannot be published as UEFI")
    assert first.endswith(": hw_firmware_type")
    assert hint.startswith("hint: set firmware.type = 'bios'")


def test_report_that_is_not_json_is_a_config_error(tmp_path, make_spec, capsys):
    disk, spec, report = files(tmp_path, make_spec)
    (tmp_path / "report.json").write_text("{not json")
    status, _, err = run(capsys, disk, "--spec", spec, "--report", report, "--dry-run")
    assert status == 2
    assert err.startswith("error[config-error]: cannot read the inspection report")


def test_report_of_another_shape_names_the_file(tmp_path, make_spec, capsys):
    disk, spec, report = files(tmp_path, make_spec)
    (tmp_path / "report.json").write_text(json.dumps({"format": "qcow2"}))
    status, _, err = run(capsys, disk, "--spec", spec, "--report", report, "--dry-run")
    assert status == 1
    assert "not an inspection report" in err
    assert report in err


@pytest.mark.filterwarnings("ignore:Support for InfluxDB")  # openstacksdk's own config loader
def test_cloud_without_image_endpoint_is_an_image_error(tmp_path, make_spec, capsys, monkeypatch):
    disk, spec, report = files(tmp_path, make_spec)
    clouds = tmp_path / "clouds.yaml"
    closed = "http://127.0.0.1:9"  # the discard port: nothing listens here
    clouds.write_text(
        json.dumps(
            {
                "clouds": {
                    "lab": {"auth_type": "admin_token", "auth": {"token": "t", "endpoint": closed}}
                }
            }
        )
    )
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    status, out, err = run(capsys, disk, "--spec", spec, "--report", report, "--cloud", "lab")
    assert status == 1
    assert out == ""
    assert err.startswith("error[image-error]: no usable image endpoint")
    assert ": lab\nhint: " in err
    assert not list(tmp_path.glob(".wincloud-publish-*"))
