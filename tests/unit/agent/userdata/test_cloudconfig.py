import base64
import gzip

import pytest

from wincloud.agent.userdata.cloudconfig import parse_cloudconfig, render_runcmd
from wincloud.errors import InvalidMetadata
from wincloud.secret import Secret


def parse(text: str):
    return parse_cloudconfig(text.encode(), where="user-data")


def test_an_empty_document_is_nothing():
    assert parse("#cloud-config\n") == parse_cloudconfig(b"")


@pytest.mark.parametrize(
    "encoding, content, expected",
    [
        ("", "plain", b"plain"),
        ("text/plain", "plain", b"plain"),
        ("b64", base64.b64encode(b"\x00\x01").decode(), b"\x00\x01"),
        ("base64", base64.b64encode(b"hi").decode(), b"hi"),
        ("gzip+base64", base64.b64encode(gzip.compress(b"zipped")).decode(), b"zipped"),
        ("gz+b64", base64.b64encode(gzip.compress(b"zipped")).decode(), b"zipped"),
    ],
)
def test_write_files_encodings(encoding, content, expected):
    doc = parse(
        f"#cloud-config\nwrite_files:\n- path: /x\n  encoding: '{encoding}'\n  content: {content}\n"
    )
    assert doc.write_files[0].content == expected


@pytest.mark.parametrize(
    "permissions, mode",
    [
        ("'0640'", 0o640),
        ("0640", 0o640),
        ("'600'", 0o600),
        ("644", 0o644),
        ("'0o755'", 0o755),
    ],
)
def test_permissions_are_octal_however_written(permissions, mode):
    doc = parse(f"#cloud-config\nwrite_files:\n- path: /x\n  permissions: {permissions}\n")
    assert doc.write_files[0].permissions == mode


def test_write_file_owner_append_and_one_item_alone():
    doc = parse(
        "#cloud-config\nwrite_files:\n  path: /etc/motd\n  content: hi\n"
        "  owner: alice:staff\n  append: true\n"
    )
    item = doc.write_files[0]
    assert (item.path, item.owner, item.append, item.permissions) == (
        "/etc/motd",
        "alice",
        True,
        None,
    )


@pytest.mark.parametrize(
    "body, where",
    [
        ("write_files:\n- content: x\n", "write_files[0].path"),
        ("write_files:\n- path: /x\n  encoding: rot13\n", "write_files[0].content"),
        ("write_files:\n- path: /x\n  encoding: b64\n  content: '!!!'\n", "write_files[0].content"),
        ("write_files:\n- path: /x\n  permissions: rwx\n", "write_files[0].permissions"),
        ("write_files:\n- path: /x\n  source: {uri: 'http://x'}\n", "write_files[0].source"),
        ("users: 5\n", "users"),
        ("users:\n- {groups: [a]}\n", "users[0]"),
        ("chpasswd:\n  users:\n  - {name: a, type: RANDOM}\n", "chpasswd.users[0].type"),
        ("chpasswd:\n  list: |\n    alice:RANDOM\n", "chpasswd.list[0]"),
        ("ntp: [a]\n", "ntp"),
        ("preserve_hostname: maybe\n", "preserve_hostname"),
        ("runcmd: echo\n", "runcmd"),
    ],
)
def test_a_wrong_document_names_the_key(body, where):
    with pytest.raises(InvalidMetadata) as info:
        parse("#cloud-config\n" + body)
    assert where in str(info.value)


def test_not_yaml_or_not_a_mapping_is_invalid():
    with pytest.raises(InvalidMetadata, match="not valid YAML"):
        parse("#cloud-config\nusers: [\n")
    with pytest.raises(InvalidMetadata, match="must be a mapping"):
        parse("#cloud-config\n- a\n")


def test_users_forms():
    doc = parse(
        "#cloud-config\nusers:\n- default\n- bob\n"
        "- name: alice\n  groups: [wheel, ops]\n  ssh_authorized_keys: [ssh-ed25519 AAA a]\n"
        "  plain_text_passwd: Pa55-word!\n  sudo: ALL=(ALL) NOPASSWD:ALL\n  shell: /bin/zsh\n"
        "- name: carol\n  groups: 'a, b'\n  passwd: $6$salt$hash\n"
        "- name: dave\n  passwd: not-a-hash\n"
    )
    bob, alice, carol, dave = doc.users
    assert bob.name == "bob"
    assert alice.groups == ("wheel", "ops") and alice.sudo == ("ALL=(ALL) NOPASSWD:ALL",)
    assert alice.password == Secret("Pa55-word!") and alice.ignored == ("shell",)
    assert carol.groups == ("a", "b") and carol.password_hash == Secret("$6$salt$hash")
    assert dave.password == Secret("not-a-hash") and dave.password_hash is None


def test_groups_forms():
    doc = parse("#cloud-config\ngroups:\n- admins: [alice, bob]\n- plain\n- 'x, y'\n")
    assert doc.groups == (("admins", ("alice", "bob")), ("plain", ()), ("x", ()), ("y", ()))


def test_hostname_keys_of_both_agents():
    assert parse("#cloud-config\nset_hostname: web\n").hostname == "web"
    doc = parse("#cloud-config\nhostname: web\nfqdn: web.example.org\npreserve_hostname: true\n")
    assert (doc.hostname, doc.fqdn, doc.preserve_hostname) == ("web", "web.example.org", True)


def test_timezone_keys_of_both_agents():
    assert parse("#cloud-config\nset_timezone: UTC\n").timezone == "UTC"
    assert parse("#cloud-config\ntimezone: Europe/Paris\n").timezone == "Europe/Paris"


def test_ntp_servers_and_pools_and_disabled():
    doc = parse("#cloud-config\nntp:\n  servers: [10.0.0.1]\n  pools: [pool.ntp.org]\n")
    assert doc.ntp_servers == ("10.0.0.1", "pool.ntp.org")
    assert parse("#cloud-config\nntp: {enabled: false, servers: [x]}\n").ntp_servers is None


def test_chpasswd_users_and_legacy_list():
    doc = parse(
        "#cloud-config\nchpasswd:\n  expire: false\n  users:\n  - {name: a, password: P1}\n"
        "  - {name: b, password: $6$s$h, type: hash}\n  list: |\n    c:P3\n    d:$5$x$y\n"
    )
    assert [(c.name, c.password, c.type) for c in doc.chpasswd] == [
        ("a", Secret("P1"), "text"),
        ("b", Secret("$6$s$h"), "hash"),
        ("c", Secret("P3"), "text"),
        ("d", Secret("$5$x$y"), "hash"),
    ]
    assert doc.chpasswd_expire is False


def test_unsupported_keys_are_listed():
    doc = parse("#cloud-config\npackages: [vim]\napt: {}\nruncmd: [ls]\n")
    assert doc.unsupported == ("apt", "packages")


def test_runcmd_renders_for_each_shell():
    doc = parse("#cloud-config\nruncmd:\n- echo one\n- [echo, two words, 'a\"b']\n")
    assert render_runcmd(doc.runcmd, windows=False) == (
        b"#!/bin/sh\necho one\necho 'two words' 'a\"b'\n"
    )
    assert render_runcmd(doc.runcmd, windows=True) == (
        b'rem cmd\r\necho one\r\necho "two words" "a""b"\r\n'
    )


def test_passwords_never_show_in_a_repr():
    doc = parse("#cloud-config\nchpasswd:\n  users:\n  - {name: a, password: Hunter2}\n")
    assert "Hunter2" not in repr(doc)


@pytest.mark.parametrize("permissions", ["rwxr-xr-x", "0999", "", "-1", "0o17777", True, 1.5])
def test_permissions_that_are_no_octal_mode_are_refused(permissions):
    doc = {"write_files": [{"path": "/x", "content": "", "permissions": permissions}]}
    import yaml

    with pytest.raises(InvalidMetadata, match="octal mode"):
        parse_cloudconfig(("#cloud-config\n" + yaml.safe_dump(doc)).encode())
