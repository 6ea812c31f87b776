"""`publish --report FILE.json` reads a report written by `inspect --json`, maybe edited by
hand: types are checked strictly. "generalized": "no" was true (a non-generalized image
published), "virtual_size": "big" and a list of boot drivers were tracebacks."""

from __future__ import annotations

import json

import pytest

from wincloud.errors import ImageError
from wincloud.image.publish import report_from_json


def _data(report) -> dict:
    return json.loads(json.dumps(report(qemu_ga=True).to_json()))


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("generalized", "no", "generalized: Input should be a valid boolean"),
        ("generalized", 0, "generalized: Input should be a valid boolean"),
        ("virtual_size", "big", "virtual_size: Input should be a valid integer"),
        ("boot_drivers", ["virtio"], "boot_drivers: Input should be an object"),
        ("drivers", ["viostor"], "drivers: Input should be an object"),
        ("agent_version", 5, "agent_version: Input should be a valid string"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused(report, key, value, problem):
    data = _data(report)
    data[key] = value
    with pytest.raises(ImageError) as caught:
        report_from_json(data)
    assert caught.value.message == f"not an inspection report ({problem})"


def test_a_windows_build_that_is_not_a_number_is_refused(report):
    data = _data(report)
    data["windows"]["build"] = "20348a"
    with pytest.raises(ImageError, match=r"windows\.build: Input should be a valid integer"):
        report_from_json(data)


def test_a_list_is_not_a_report():
    with pytest.raises(ImageError, match=r"the report: Input should be an object"):
        report_from_json([])


def test_unknown_keys_from_a_newer_wincloud_are_ignored(report):
    data = _data(report)
    data["disk_health"] = {"smart": "ok"}
    data["windows"]["display_version"] = "21H2"
    assert report_from_json(data) == report(qemu_ga=True)
