"""What a record may hold: one-line names, no NUL, JSON values only where JSON is served."""

from __future__ import annotations

import datetime
import math

import pytest
import yaml

from tests.conftest import instance_record
from wincloud.errors import ConfigError
from wincloud.model import parse_instance, parse_instance_text
from wincloud.model.instance import Instance, record_errors


def problems(**overrides) -> dict[str, str]:
    return dict(record_errors(instance_record(**overrides)))


def test_the_shared_sample_record_is_valid():
    assert record_errors(instance_record()) == []


@pytest.mark.parametrize("host", ["win-01\n", "win-01\r", "win\x00-01", "win-01\n.example"])
def test_hostnames_with_control_characters_are_refused(host):
    assert "not a valid host name" in problems(hostname=host)["hostname"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "web\n"),
        ("name", "web\x1b[31m"),
        ("project_id", "p\r"),
        ("availability_zone", "az\n1"),
        ("instance_type", "m1\t"),
        ("image_id", "img\u2028x"),
        ("root_device_name", "/dev/vda\n"),
    ],
)
def test_one_line_fields_refuse_control_characters(field, value):
    assert "control character" in problems(**{field: value})[field]


def test_key_names_and_security_groups_are_one_line():
    found = problems(
        public_keys={"a\nb": instance_record()["public_keys"]["mykey"]},
        security_groups=["default", "web\nsecret-group"],
        meta={"x\ny": "v"},
    )
    assert "control character" in found['public_keys["a\\nb"]']
    assert "control character" in found["security_groups[1]"]
    assert "control character" in found['meta["x\\ny"]']


def test_empty_security_group_is_refused():
    assert "1-255" in problems(security_groups=[""])["security_groups[0]"]


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"admin_pass": "pa\x00ss"}, "admin_pass"),
        ({"meta": {"role": "we\x00b"}}, "meta.role"),
        ({"meta": {"ro\x00le": "web"}}, 'meta["ro\\u0000le"]'),
        ({"user_data": "#ps1\x00"}, "user_data"),
        ({"vendor_data": {"a": [{"b": "c\x00"}]}}, "vendor_data.a[0].b"),
        ({"devices": [{"type": "nic", "tags": ["t\x00"]}]}, "devices[0].tags[0]"),
        ({"files": [{"path": "/etc/motd", "content": "x\x00"}]}, "files[0].content"),
    ],
)
def test_nul_is_refused_in_every_string(overrides, path):
    assert "NUL" in problems(**overrides)[path]


def test_nul_in_network_data_extras_is_refused():
    record = instance_record()
    record["network_data"]["links"][0]["x-note"] = "a\x00"
    assert "NUL" in dict(record_errors(record))["network_data.links[0].x-note"]


def test_lone_surrogates_are_refused():
    assert "lone surrogate" in problems(vendor_data={"a": "\ud800"})["vendor_data.a"]


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused_in_vendor_data(number):
    found = problems(vendor_data={"x": {"y": [1, number]}})
    assert "NaN and Infinity" in found["vendor_data.x.y[1]"]


def test_nan_in_a_json_record_file_is_refused():
    with pytest.raises(ConfigError) as caught:
        parse_instance_text('{"uuid": "x", "vendor_data": {"a": NaN}}', source="r.json")
    assert "NaN is not a JSON number" in caught.value.message


def test_nan_from_yaml_is_refused():
    text = "vendor_data: {a: .nan}\n"
    data = instance_record() | yaml.safe_load(text)
    assert "NaN" in dict(record_errors(data))["vendor_data.a"]


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (datetime.date(2026, 1, 1), "a date is not a JSON value (a YAML date or time? quote it)"),
        (b"\x01", "a bytes is not a JSON value"),
        ({1, 2}, "a set is not a JSON value"),
    ],
)
def test_free_form_parts_hold_json_values_only(value, says):
    assert problems(vendor_data={"v": value})["vendor_data.v"] == says


def test_free_form_parts_need_text_names():
    assert "quote" in problems(vendor_data={1: "a"})["vendor_data.1"]


def test_yaml_created_at_stays_a_date():
    data = instance_record() | yaml.safe_load("created_at: 2026-11-25T10:00:00Z")
    assert parse_instance(data).created_at.year == 2026


def test_cyclic_yaml_is_refused_not_looped():
    data = instance_record() | yaml.safe_load("vendor_data: &a {self: *a}")
    [(path, message)] = record_errors(data)
    assert path.startswith("vendor_data.self.self.")
    assert message == "nested deeper than 64 levels"


def test_alias_bombs_are_bounded():
    levels = ["a: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    bomb = yaml.safe_load("\n".join(levels).replace("a: &a0", "a0: &a0"))
    assert "more than" in dict(record_errors(instance_record(vendor_data=bomb)))["(record)"]


def test_direct_model_validation_applies_the_same_checks():
    with pytest.raises(ValueError, match="NUL"):
        Instance.model_validate(instance_record(name="a\x00"))
