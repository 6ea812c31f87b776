import base64
import gzip

import pytest

from wincloud.agent.userdata.parts import parse_scripts, parse_userdata
from wincloud.agent.userdata.scripts import Script
from wincloud.errors import InvalidMetadata


def mime(*parts: bytes, boundary: bytes = b"B") -> bytes:
    head = b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\nMIME-Version: 1.0\n\n'
    body = b"".join(b"--" + boundary + b"\n" + part + b"\n" for part in parts)
    return head + body + b"--" + boundary + b"--\n"


@pytest.mark.parametrize(
    "data, name, kind",
    [
        (b"#!/bin/bash\necho\n", "userdata", "shebang"),
        (b"#ps1_sysnative\nWrite-Host hi\n", "userdata.ps1", "powershell_sysnative"),
        (b"rem cmd\r\necho hi\r\n", "userdata.cmd", "cmd"),
    ],
)
def test_a_single_script(data, name, kind):
    assert parse_scripts(data) == [Script(name, data, kind)]


def test_gzip_is_expanded():
    assert parse_scripts(gzip.compress(b"#!/bin/sh\n")) == [Script("userdata", b"#!/bin/sh\n")]


@pytest.mark.parametrize("data", [b"\x1f\x8b\x08\x00garbage", gzip.compress(b"#!/bin/sh\n")[:-6]])
def test_corrupt_or_truncated_gzip_is_invalid(data):
    with pytest.raises(InvalidMetadata):
        parse_userdata(data)


def test_cloud_config_and_certificate_are_recognised():
    assert parse_userdata(b"#cloud-config\nruncmd: []\n").cloud_configs()[0].name == "userdata"
    pem = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    assert parse_userdata(pem).certificates() == [pem]


def test_unknown_text_is_skipped_and_empty_is_nothing():
    skipped = parse_userdata(b"hello world").skipped()
    assert [(p.name, p.reason) for p in skipped] == [("userdata", "unrecognised content")]
    assert parse_userdata(b"  \n").parts == []


def test_ec2_user_data_becomes_scripts():
    scripts = parse_scripts(b"<powershell>\nWrite-Host hi\n</powershell>")
    assert [(s.name, s.kind) for s in scripts] == [("ec2-powershell-00.ps1", "powershell")]


def test_mime_parts_keep_their_names_kinds_and_order():
    data = mime(
        b"Content-Type: text/cloud-config\n\n#cloud-config\n{}",
        b'Content-Type: text/x-shellscript\nContent-Disposition: attachment; filename="a.sh"\n'
        b"\n#!/bin/sh\necho a",
        b"Content-Type: text/plain\n\n#ps1_x86\nWrite-Host b",
        b"Content-Type: text/x-include-url\n\nhttp://example.org/more",
        b"Content-Type: text/cloud-boothook\n\n#!/bin/sh\necho early",
        b"Content-Type: text/x-shellscript\n\necho no shebang",
    )
    parsed = parse_userdata(data)
    assert [(p.kind, p.name) for p in parsed.parts] == [
        ("cloud-config", "part-001"),
        ("script", "a.sh"),
        ("script", "part-003.ps1"),
        ("skipped", "part-004"),
        ("skipped", "part-005"),
        ("skipped", "part-006"),
    ]
    assert [p.reason for p in parsed.skipped()] == [
        "text/x-include-url",
        "text/cloud-boothook",
        "text/x-shellscript without #!",
    ]
    assert [s.kind for s in parsed.scripts()] == ["shebang", "powershell_x86"]


def test_base64_and_gzipped_parts_are_decoded():
    body = base64.b64encode(gzip.compress(b"#!/bin/sh\necho packed\n"))
    data = mime(
        b"Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n" + body
    )
    assert parse_scripts(data)[0].body == b"#!/bin/sh\necho packed\n"


def test_nested_multipart_is_walked():
    inner = mime(b"Content-Type: text/x-shellscript\n\n#!/bin/sh\necho inner", boundary=b"IN")
    inner_part = b'Content-Type: multipart/mixed; boundary="IN"\n\n' + inner.split(b"\n\n", 1)[1]
    data = mime(b"Content-Type: text/cloud-config\n\n#cloud-config\n{}", inner_part)
    parsed = parse_userdata(data)
    assert len(parsed.cloud_configs()) == 1
    assert parsed.scripts()[0].body.startswith(b"#!/bin/sh\necho inner")


def test_a_powershell_part_type_without_marker_is_powershell():
    data = mime(b"Content-Type: text/x-powershell\n\nWrite-Host hi")
    assert parse_scripts(data)[0].kind == "powershell"


def test_part_names_cannot_carry_newlines_or_paths():
    from wincloud.agent.userdata.parts import safe_part_name

    assert safe_part_name("a\n2026-01-01 forged", 3) == "a_2026-01-01_forged"
    assert safe_part_name("../../etc/passwd", 0) == "etc_passwd"
    assert safe_part_name("\n\n", 7) == "part-007"
    assert safe_part_name(None, 1) == "part-001"
    assert len(safe_part_name("x" * 500, 0)) == 64


def test_the_gzip_cap_is_for_the_whole_user_data_not_each_part():
    """Two parts of 9 MiB each expand past 16 MiB together, though each fits alone."""
    part = gzip.compress(b"#!/bin/sh\n" + b"#" * (9 * 1024 * 1024))
    encoded = base64.b64encode(part)
    header = b"Content-Type: text/x-shellscript\nContent-Transfer-Encoding: base64\n\n"
    assert len(parse_scripts(mime(header + encoded))) == 1
    with pytest.raises(InvalidMetadata, match="in all"):
        parse_userdata(mime(header + encoded, header + encoded))


def test_gzip_write_files_draw_on_the_user_data_budget():
    from wincloud.agent.userdata.cloudconfig import parse_cloudconfig

    big = base64.b64encode(gzip.compress(b"x" * (9 * 1024 * 1024))).decode()
    doc = "#cloud-config\nwrite_files:\n" + "".join(
        f"  - {{path: /f{i}, encoding: gz+b64, content: {big}}}\n" for i in range(2)
    )
    parsed = parse_userdata(doc.encode())
    with pytest.raises(InvalidMetadata, match="in all"):
        parse_cloudconfig(parsed.cloud_configs()[0].body, budget=parsed.budget)


@pytest.mark.parametrize("kind", [b"#cloud-config-jsonp", b"#cloud-config-archive"])
def test_cloud_config_variants_are_skipped_not_read_as_cloud_config(kind):
    [part] = parse_userdata(kind + b'\n[{"op": "add", "path": "/runcmd", "value": []}]\n').parts
    assert (part.kind, part.reason) == ("skipped", f"{kind[1:].decode()} is not supported")


def test_cloud_config_with_trailing_spaces_or_crlf_is_still_cloud_config():
    assert parse_userdata(b"#cloud-config \r\nruncmd: [ls]\n").cloud_configs()
