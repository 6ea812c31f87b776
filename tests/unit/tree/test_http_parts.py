"""The service renders the HTTP tree one part (version) at a time: the parts add up to the
whole tree, and every path is found in the part ``http_part`` names."""

from __future__ import annotations

from wincloud.tree import http_part, render_http, render_http_part
from wincloud.tree.render import HTTP_PARTS


def test_every_path_lives_in_the_part_http_part_names(make_instance):
    instance = make_instance()
    whole = render_http(instance)
    for path, body in whole.items():
        part = http_part(path)
        assert part is not None, path
        assert render_http_part(instance, part)[path] == body


def test_the_parts_do_not_overlap_and_add_up_to_the_tree(make_instance):
    instance = make_instance(user_data=None)
    seen: dict[str, bytes] = {}
    for part in HTTP_PARTS:
        files = render_http_part(instance, part)
        assert not files.keys() & seen.keys()
        seen.update(files)
    assert seen == render_http(instance)


def test_paths_outside_every_part_have_none():
    for path in ["nonsense", "openstack/1999-01-01/meta_data.json", "2099-01-01/meta-data"]:
        assert http_part(path) is None
