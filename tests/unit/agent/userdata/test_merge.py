"""cloud-config parts merged by cloud-init's rules. The expected values were checked against
cloud-init 22.4's own mergers (Debian's python3-cloudinit) on the same inputs."""

from __future__ import annotations

import logging

import pytest

from wincloud.agent.userdata.merge import merge_documents, parse_spec
from wincloud.errors import InvalidMetadata


def merged(*docs, header=None):
    parts = []
    for doc in docs:
        spec = parse_spec(doc["merge_how"], "t") if "merge_how" in doc else None
        parts.append((doc, spec))
    if header:
        doc, spec = parts[-1]
        parts[-1] = (doc, (spec or ()) + parse_spec(header, "h"))
    return merge_documents(parts)


def test_by_default_a_later_part_replaces_each_top_level_key():
    first = {"runcmd": ["a", "b"], "hostname": "h1", "ntp": {"servers": ["s1"]}}
    second = {"runcmd": ["c"], "timezone": "UTC", "ntp": {"pools": ["p"]}}
    assert merged(first, second) == {
        "runcmd": ["c"],
        "hostname": "h1",
        "timezone": "UTC",
        "ntp": {"pools": ["p"]},
    }


@pytest.mark.parametrize(
    "how",
    [
        "list(append)+dict(recurse_array)+str()",
        [{"name": "list", "settings": ["append"]}, {"name": "dict", "settings": ["recurse_list"]}],
        [["list", "append"], ["dict", "no_replace", "recurse_array"]],
    ],
)
def test_merge_how_appends_lists(how):
    assert merged({"runcmd": ["a", "b"]}, {"runcmd": ["c"], "merge_how": how}) == {
        "runcmd": ["a", "b", "c"]
    }


def test_no_replace_keeps_old_values_and_recurses_into_mappings():
    first = {"hostname": "h1", "runcmd": ["a"], "ntp": {"servers": ["s1"]}}
    second = {"hostname": "h2", "runcmd": ["b"], "ntp": {"pools": ["p"], "servers": ["s2"]}}
    how = "dict(no_replace,recurse_list)+list(prepend)+str()"
    assert merged(first, second, header=how) == {
        "hostname": "h1",
        "runcmd": ["b", "a"],
        "ntp": {"servers": ["s2", "s1"], "pools": ["p"]},
    }


def test_allow_delete_and_list_items_merged_as_mappings():
    first = {"write_files": [{"path": "/a"}], "users": ["x"]}
    second = {
        "write_files": [{"path": "/b", "owner": "o"}],
        "users": None,
        "merge_how": "dict(recurse_array,allow_delete)+list(recurse_dict)+str()",
    }
    assert merged(first, second) == {"write_files": [{"path": "/a", "owner": "o"}]}


def test_list_replace_is_by_position_and_keeps_the_tail():
    how = "dict(no_replace,recurse_list)+list(replace)"
    assert merged({"runcmd": ["a", "b", "c"]}, {"runcmd": ["x"], "merge_how": how}) == {
        "runcmd": ["x", "b", "c"]
    }


def test_strings_append():
    how = "dict(no_replace,recurse_str)+str(append)"
    assert merged({"hostname": "web"}, {"hostname": "-01", "merge_how": how}) == {
        "hostname": "web-01"
    }


def test_a_spec_without_dict_adds_nothing_at_the_top():
    assert merged({"runcmd": ["a"]}, {"runcmd": ["c"], "merge_how": "list(append)"}) == {
        "runcmd": ["a"]
    }


def test_a_part_that_cannot_be_merged_is_left_out_whole(caplog):
    second = {
        "hostname": {"x": 1},
        "timezone": "UTC",
        "merge_how": "dict(recurse_str)+str(append)",
    }
    with caplog.at_level(logging.WARNING, logger="wincloud"):
        assert merged({"hostname": "h"}, second) == {"hostname": "h"}
    assert "cloud-config part not merged" in caplog.text


@pytest.mark.parametrize(
    "how", ["lists(append)", "list(append", 5, [{"name": "list", "settings": "append"}]]
)
def test_a_wrong_spec_is_invalid_metadata(how):
    with pytest.raises(InvalidMetadata):
        parse_spec(how, "user-data: merge_how")
