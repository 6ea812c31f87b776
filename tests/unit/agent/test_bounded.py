"""Bounded parsing of metadata JSON and user-data YAML."""

from __future__ import annotations

import json

import pytest

from wincloud.agent.bounded import MAX_ALIASES, MAX_DEPTH, MAX_NODES, parse_json, parse_yaml
from wincloud.agent.userdata.cloudconfig import parse_cloudconfig
from wincloud.errors import InvalidMetadata


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The billion laughs in YAML: each level lists the previous one ``width`` times."""
    lines = ["#cloud-config", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels):
        items = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{items}]")
    lines.append(f"write_files: [{{path: /x, content: x}}]\nruncmd: *a{levels - 1}")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_before_it_is_built():
    with pytest.raises(InvalidMetadata, match="expands to more than"):
        parse_cloudconfig(alias_bomb().encode())


def test_many_aliases_of_a_small_node_are_refused():
    items = ", ".join(["*s"] * (MAX_ALIASES + 1))
    with pytest.raises(InvalidMetadata, match="aliases"):
        parse_yaml(f"s: &s x\nl: [{items}]\n", subject="u")


def test_a_self_referring_alias_is_refused():
    with pytest.raises(InvalidMetadata, match="refers to itself"):
        parse_yaml("a: &a [1, *a]\n", subject="u")


def test_a_few_aliases_are_fine():
    doc = parse_yaml("base: &b {owner: root}\nx: *b\ny: [*b, *b]\n", subject="u")
    assert doc["y"] == [{"owner": "root"}, {"owner": "root"}]


def test_a_large_plain_document_within_the_node_budget_loads():
    count = MAX_NODES // 5
    text = "runcmd:\n" + "".join(f"  - [echo, '{i}']\n" for i in range(count))
    assert len(parse_yaml(text, subject="u")["runcmd"]) == count


def test_yaml_nested_deeper_than_the_limit_is_refused():
    text = "a: " + "[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2) + "\n"
    with pytest.raises(InvalidMetadata, match="nested deeper"):
        parse_yaml(text, subject="u")


def test_json_nested_deeper_than_the_limit_is_refused():
    raw = ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)).encode()
    with pytest.raises(InvalidMetadata, match="nested deeper"):
        parse_json(raw, subject="network_data.json")


def test_json_too_deep_for_the_decoder_is_invalid_metadata():
    raw = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(InvalidMetadata, match="nested deeper"):
        parse_json(raw, subject="meta_data.json")


def test_json_at_the_limit_loads():
    value: list = []
    for _ in range(MAX_DEPTH - 1):
        value = [value]
    assert parse_json(json.dumps(value).encode(), subject="x") == value


# -- cloud-config gets the sources' YAML bounds (the parser is shared) ----------------------


def test_a_flat_document_of_too_many_nodes_is_stopped_while_streaming():
    """The node count is checked on the parser's events, before anything is composed (4 MiB
    of ``[1,1,...]`` was composed whole first: 19 s and 1 GB)."""
    text = "#cloud-config\nruncmd: [" + ",".join(["1"] * (MAX_NODES + 1)) + "]\n"
    with pytest.raises(InvalidMetadata, match=r"not valid YAML \(more than 100000 nodes\)"):
        parse_cloudconfig(text.encode())


@pytest.mark.parametrize(
    "value",
    ["2024-02-30", "!!timestamp x", "1" * 5000, "0x" + "f" * 100],
)
def test_a_scalar_pyyaml_cannot_build_is_invalid_metadata(value):
    with pytest.raises(InvalidMetadata, match="not valid YAML"):
        parse_cloudconfig(f"#cloud-config\nhostname: {value}\n".encode())


def test_a_long_base60_run_is_refused_before_parsing():
    text = "#cloud-config\nhostname: 1" + ":1" * 40 + "\n"
    with pytest.raises(InvalidMetadata, match="':'-separated numbers"):
        parse_cloudconfig(text.encode())


def test_a_short_base60_value_still_loads_as_yaml_reads_it():
    """Six groups (a MAC address written unquoted) are far from the limit."""
    groups = [11, 22, 33, 44, 55, 16]
    expected = 0
    for group in groups:
        expected = expected * 60 + group
    assert parse_yaml("mac: 11:22:33:44:55:16\n", subject="s") == {"mac": expected}
