"""Record files: JSON first, YAML with libyaml's C loader when PyYAML has it."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.conftest import instance_record
from wincloud.errors import ConfigError
from wincloud.model import parse_document_text, parse_instance_text, yaml_loader


def test_yaml_records_use_the_c_loader_when_pyyaml_has_libyaml():
    expected = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    assert yaml_loader() is expected
    print(f"YAML records are read with {yaml_loader().__name__}")


def test_the_loader_is_a_safe_one():
    with pytest.raises(ConfigError, match="not valid YAML or JSON"):
        parse_document_text("a: !!python/object/apply:os.system [echo hi]\n", source="r.yaml")


def test_yaml_and_json_spellings_of_a_record_are_the_same_record():
    record = instance_record()
    as_json = parse_instance_text(json.dumps(record), source="r.json")
    as_yaml = parse_instance_text(yaml.safe_dump(record), source="r.yaml")
    assert as_yaml == as_json


def test_a_yaml_syntax_error_names_the_line():
    with pytest.raises(ConfigError) as caught:
        parse_document_text("uuid: x\nname: [unclosed\n", source="r.yaml")
    assert "at line" in caught.value.message
    assert caught.value.subject == "r.yaml"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_constants_that_are_not_json_are_refused(constant):
    with pytest.raises(ConfigError) as caught:
        parse_document_text(f'{{"vendor_data": {{"x": {constant}}}}}', source="r.json")
    assert caught.value.message == f"{constant} is not a JSON number"
