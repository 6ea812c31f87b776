"""Every problem of a record at once, each at the path the user wrote."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from tests.conftest import RSA_KEY, instance_record
from wincloud.errors import ConfigError
from wincloud.model import parse_instance
from wincloud.model.instance import describe_validation_error, record_errors


def broken_record() -> dict:
    record = instance_record(
        hostname="bad_host",
        fixed_ips=["10.0.0.5", "not-an-ip"],
        public_keys={"ok": RSA_KEY, "mykey": "ssh-rsa AAAA"},
        vendor_data={"n": float("nan")},
        user_data=None,
        user_data_base64="!!",
        files=[{"path": "/etc/motd", "content_base64": "%%"}],
        password_key="nope",
    )
    links = record["network_data"]["links"]
    links += [{"id": "eth1", "mtu": 9}, {"id": "eth2"}, {"id": "eth0"}]
    links.append({"id": "vlan9", "type": "vlan", "vlan_id": 9, "vlan_link": "eth7"})
    record["network_data"]["networks"][0]["link"] = "eth5"
    record["network_data"]["networks"][0]["routes"][0].pop("gateway")
    record["hostnmae"] = "typo"
    return record


EXPECTED = {
    "hostname": "not a valid host name",
    "fixed_ips[1]": "not an IPv4 or IPv6 address: 'not-an-ip'",
    "public_keys.mykey": "the key data is truncated",
    "password_key": "names no key of public_keys (they are: 'ok', 'mykey')",
    "user_data_base64": "is not valid base64",
    "network_data.links[1].mtu": "greater than or equal to 68",
    "network_data.links[3].id": "duplicate id 'eth0' (also network_data.links[0])",
    "network_data.links[4].vlan_link": "refers to no link of network_data.links ('eth7')",
    "network_data.networks[0].link": "refers to no link of network_data.links ('eth5')",
    "network_data.networks[0].routes[0].gateway": "required",
    "vendor_data.n": "NaN and Infinity are not JSON numbers",
    "files[0].content_base64": "is not valid base64",
    "hostnmae": "unknown field; did you mean 'hostname'?",
}


def test_every_problem_is_reported_with_its_path():
    found = dict(record_errors(broken_record()))
    assert set(found) == set(EXPECTED)
    for path, says in EXPECTED.items():
        assert says in found[path], path


def test_paths_carry_no_validator_or_union_names():
    with pytest.raises(ConfigError) as caught:
        parse_instance(broken_record())
    message = str(caught.value)
    for internal in ("function-after", "lax-or-strict", "IPv4Address", "[key]", "Value error"):
        assert internal not in message
    assert message.startswith(f"invalid instance record, {len(EXPECTED)} problems: hostname: ")


def test_a_single_problem_reads_as_before():
    record = instance_record()
    record["network_data"]["links"][0]["mtu"] = 5
    with pytest.raises(ConfigError) as caught:
        parse_instance(record, source="web.yaml")
    assert str(caught.value) == (
        "invalid instance record, network_data.links[0].mtu: "
        "Input should be greater than or equal to 68: web.yaml"
    )


def test_problems_follow_the_records_field_order():
    record = {"name": "", "uuid": "nope", "hostname": "-x"}
    assert [path for path, _ in record_errors(record)] == ["name", "uuid", "hostname"]


def test_both_user_data_forms_at_once_is_one_problem_at_the_base64_field():
    found = record_errors(instance_record(user_data="a", user_data_base64="YQ=="))
    assert found == [("user_data_base64", "give user_data or user_data_base64, not both")]


def test_keys_that_are_not_plain_names_are_quoted():
    found = dict(record_errors(instance_record(meta={"a.b c": "x" * 300})))
    assert 'meta["a.b c"]' in found


def test_describe_works_without_the_input_too():
    class Report(BaseModel):
        count: int | None
        items: list[int]

    with pytest.raises(ValidationError) as caught:
        Report.model_validate({"count": "x", "items": [1, "y"]})
    text = describe_validation_error(caught.value)
    assert text.startswith("count: Input should be a valid integer")
    assert "; items[1]: " in text


def test_an_unreadable_instance_file_says_why_in_the_systems_words(tmp_path):
    # the message named the exception class: "cannot read instance file (FileNotFoundError)"
    from wincloud.model import load_instance_file

    with pytest.raises(ConfigError) as missing:
        load_instance_file(tmp_path / "nope.yaml")
    assert "(No such file or directory)" in str(missing.value)
    assert str(tmp_path / "nope.yaml") in str(missing.value)
    utf16 = tmp_path / "utf16.yaml"
    utf16.write_text("uuid: x\n", encoding="utf-16")
    with pytest.raises(ConfigError) as encoded:
        load_instance_file(utf16)
    assert "not UTF-8: byte 0xff at offset 0" in str(encoded.value)
