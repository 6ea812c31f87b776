import gzip

import pytest

from wincloud.agent.userdata.scripts import Script, parse_scripts
from wincloud.errors import InvalidMetadata


@pytest.mark.parametrize(
    "data, name",
    [
        (b"#!/bin/bash\necho\n", "userdata"),
        (b"\xef\xbb\xbf#!/bin/sh\n", "userdata"),
        (b"#ps1_sysnative\nWrite-Host hi\n", "userdata.ps1"),
        (b"#PS1\nWrite-Host hi\n", "userdata.ps1"),
        (b"rem cmd\r\necho hi\r\n", "userdata.cmd"),
    ],
)
def test_single_scripts_by_their_first_line(data, name):
    assert parse_scripts(data) == [Script(name, data)]


@pytest.mark.parametrize("data", [b"#cloud-config\nusers: []\n", b"just text", b""])
def test_other_formats_hold_no_script(data):
    assert parse_scripts(data) == []


def test_gzip_is_expanded():
    assert parse_scripts(gzip.compress(b"#!/bin/sh\n")) == [Script("userdata", b"#!/bin/sh\n")]


def test_corrupt_gzip_is_invalid():
    with pytest.raises(InvalidMetadata):
        parse_scripts(b"\x1f\x8b\x08\x00garbage")


def test_mime_parts_keep_their_names_and_order():
    data = (
        b'Content-Type: multipart/mixed; boundary="B"\nMIME-Version: 1.0\n\n'
        b"--B\nContent-Type: text/cloud-config\n\n#cloud-config\n{}\n"
        b"--B\nContent-Type: text/x-shellscript\n"
        b'Content-Disposition: attachment; filename="a.sh"\n\n'
        b"#!/bin/sh\necho a\n"
        b"--B\nContent-Type: text/plain\n\n#ps1\nWrite-Host b\n"
        b"--B--\n"
    )
    scripts = parse_scripts(data)
    assert [s.name for s in scripts] == ["a.sh", "part-003.ps1"]
    assert scripts[0].body == b"#!/bin/sh\necho a"  # the newline before a boundary is its own
