"""`wincloud image check SPEC`: a summary and the digest, one-line errors naming the key."""

from __future__ import annotations

import json

from tests.unit.image.spec.conftest import base_data
from wincloud.cli import main
from wincloud.image.spec import load_spec


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        main(["image", *args])
        status = 0
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else 1
    out = capsys.readouterr()
    return status, out.out, out.err


def test_check_prints_a_summary_and_the_digest(capsys, write_spec):
    path = write_spec()
    status, out, _ = run(capsys, "check", str(path))
    assert status == 0
    assert out.startswith("ok: ws2022-std: Windows 2022 amd64")
    assert f"sha256:{load_spec(path).digest()}" in out


def test_check_json_round_trips_the_canonical_spec(capsys, write_spec):
    status, out, _ = run(capsys, "check", "--json", str(write_spec()))
    assert status == 0
    doc = json.loads(out)
    assert doc["spec"]["source"]["iso"] == "iso/SERVER_EVAL_x64FRE_en-us.iso"
    assert len(doc["digest"]) == 64


def test_check_error_is_one_line_with_the_key_and_exit_2(capsys, write_spec):
    data = base_data()
    data["firmware"]["type"] = "bios"
    status, _, err = run(capsys, "check", str(write_spec(data)))
    assert status == 2
    first, hint = err.strip().splitlines()
    assert first.startswith("error[config-error]: firmware.secure_boot: Secure Boot needs")
    assert hint.startswith("hint: ")


def test_check_require_files_names_the_missing_file(capsys, write_spec):
    status, _, err = run(capsys, "check", "--require-files", str(write_spec()))
    assert status == 2
    assert "source.iso: file not found" in err
