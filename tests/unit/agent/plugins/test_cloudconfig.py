import base64
import os
import shutil

import pytest

from wincloud.agent.plugins import Outcome
from wincloud.agent.plugins.cloudconfig import CloudConfigPlugin
from wincloud.errors import InvalidMetadata
from wincloud.secret import Secret

FULL = b"""#cloud-config
timezone: Europe/Paris
ntp:
  servers: [10.0.0.1]
hostname: web-01
fqdn: web-01.example.org
groups:
  - ops: [root]
  - auditors
users:
  - default
  - name: alice
    groups: [ops, sudo]
    ssh_authorized_keys: [ssh-ed25519 AAAA alice@laptop]
    plain_text_passwd: Alice-Pa55word
    sudo: ALL=(ALL) NOPASSWD:ALL
    shell: /bin/zsh
chpasswd:
  expire: false
  users:
    - {name: root, password: $6$salt$hashed, type: hash}
write_files:
  - path: /etc/app/app.conf
    content: key=value
    permissions: '0640'
    owner: alice:alice
  - path: /etc/app/blob
    encoding: b64
    content: AAEC
  - path: /etc/motd
    content: more
    append: true
runcmd:
  - echo one
  - [sh, -c, echo two]
packages: [vim]
"""


def run(make_ctx, data, **kwargs):
    return CloudConfigPlugin().run(make_ctx(user_data=data, **kwargs))


def test_no_cloud_config_is_skipped(make_ctx, platform):
    assert run(make_ctx, None) is Outcome.SKIPPED
    assert run(make_ctx, b"#!/bin/sh\necho\n") is Outcome.SKIPPED


def test_the_whole_subset_on_the_fake(make_ctx, platform, caplog):
    caplog.set_level("INFO")
    platform.files.write("/etc/motd", b"hello ")
    assert run(make_ctx, FULL) is Outcome.DONE
    assert platform.clock.timezone() == "Europe/Paris"
    assert platform.clock.ntp_servers() == ["10.0.0.1"]
    assert (platform.host.hostname(), platform.host.domain()) == ("web-01", "example.org")
    users = platform.users
    assert {"ops", "auditors"} <= users.groups
    assert users.groups_of("root") == ["ops"]
    assert users.groups_of("alice") == ["ops", "sudo"]
    assert users.users["alice"].password == Secret("Alice-Pa55word")
    assert users.users["root"].password_hash == Secret("$6$salt$hashed")
    assert not users.users["root"].password_expired
    assert (
        platform.files.read("/home/alice/.ssh/authorized_keys")
        == b"ssh-ed25519 AAAA alice@laptop\n"
    )
    sudoers = platform.files.stat("/etc/sudoers.d/90-wincloud-alice")
    assert sudoers.mode == 0o440
    assert (
        platform.files.read("/etc/sudoers.d/90-wincloud-alice") == b"alice ALL=(ALL) NOPASSWD:ALL\n"
    )
    conf = platform.files.stat("/etc/app/app.conf")
    assert (conf.mode, conf.owner) == (0o640, "alice")
    assert platform.files.read("/etc/app/blob") == b"\x00\x01\x02"
    assert platform.files.read("/etc/motd") == b"hello more"
    [runcmd] = [r for r in platform.processes.ran if r.script]
    assert runcmd.script == b"#!/bin/sh\necho one\nsh -c 'echo two'\n"
    assert "key=packages" in caplog.text and "keys=shell" in caplog.text
    assert "Alice-Pa55word" not in caplog.text


def test_steps_are_not_applied_twice(make_ctx, platform):
    platform.files.write("/etc/motd", b"hello ")
    memo = {}
    run(make_ctx, FULL, memo=memo)
    run(make_ctx, FULL, memo=memo)
    assert platform.files.read("/etc/motd") == b"hello more"
    assert len([r for r in platform.processes.ran if r.script]) == 1


def test_chpasswd_expires_by_default(make_ctx, platform):
    platform.users.ensure("bob")
    run(make_ctx, b"#cloud-config\nchpasswd:\n  list: |\n    bob:Bob-Pa55\n")
    assert platform.users.users["bob"].password == Secret("Bob-Pa55")
    assert platform.users.users["bob"].password_expired


def test_preserve_hostname_leaves_it(make_ctx, platform):
    run(make_ctx, b"#cloud-config\nhostname: x\npreserve_hostname: true\n")
    assert platform.host.hostname() == ""


@pytest.mark.parametrize(
    "doc, why",
    [
        (b"#cloud-config\nusers:\n- name: 'bad name'\n", "not a valid user name"),
        (b"#cloud-config\nusers:\n- {name: ok, groups: ['bad group']}\n", "not a valid group"),
        (b"#cloud-config\ngroups: ['a:b']\n", "not a valid group"),
        (b"#cloud-config\nchpasswd:\n  users:\n  - {name: ghost, password: X}\n", "no such user"),
        (b"#cloud-config\nwrite_files:\n- {path: /etc/first}\n- path: relative/x\n", "absolute"),
        (b"#cloud-config\nwrite_files:\n- {path: /etc/first}\n- path: /etc/../x\n", "'..'"),
        # "$" in a regular expression matches before a final newline: these once passed, and
        # useradd failed half-way through the document.
        (b'#cloud-config\nusers:\n- name: "alice\\n"\n', "not a valid user name"),
        (b'#cloud-config\ngroups: ["st\\naff"]\n', "not a valid group"),
        (b'#cloud-config\ngroups: [{staff: ["b\\nob"]}]\n', "not a valid user name"),
        (b'#cloud-config\nusers:\n- {name: ok, groups: ["wh\\neel"]}\n', "not a valid group"),
        (b'#cloud-config\nchpasswd:\n  users:\n  - {name: "root\\n", password: X}\n', "user name"),
        (b'#cloud-config\nusers:\n- {name: a, ssh_authorized_keys: ["k\\nk2"]}\n', "ssh key"),
        (b'#cloud-config\nwrite_files:\n- {path: /etc/first}\n- path: "/etc/x\\0"\n', "control"),
        (b'#cloud-config\nwrite_files:\n- {path: /etc/first}\n- path: "/etc/x\\n"\n', "control"),
        (b"#cloud-config\nwrite_files:\n- {path: /etc/first}\n- path: /etc/dir/\n", "directory"),
        (
            b"#cloud-config\nwrite_files:\n- {path: /etc/first}\n- {path: /x, owner: 'a b'}\n",
            "owner",
        ),
        (b"#cloud-config\nhostname: '...'\n", "no usable host name"),
        (b"#cloud-config\nntp: {servers: ['a b']}\n", "not an NTP server"),
        (b'#cloud-config\nusers:\n- name: a\n  sudo: "x\\ny"\n', "line break"),
    ],
)
def test_a_wrong_document_applies_nothing(make_ctx, platform, doc, why):
    with pytest.raises(InvalidMetadata, match=why):
        run(make_ctx, doc + b"timezone: UTC\n")
    assert platform.clock.timezone() is None
    assert platform.files.read("/etc/first") is None


def test_windows_refuses_hashes_and_weak_passwords_before_anything(make_ctx, win):
    for doc in (
        b"#cloud-config\nusers:\n- name: bob\n  passwd: $6$s$h\n",
        b"#cloud-config\nusers:\n- name: bob\n  plain_text_passwd: weak\n",
    ):
        with pytest.raises(InvalidMetadata):
            run(make_ctx, doc, on=win)
    assert not win.users.exists("bob")


WINDOWS = b"""#cloud-config
set_hostname: win-web-01
set_timezone: UTC
users:
  - name: ops
    groups: Administrators, Remote Desktop Users
    passwd: Secure-Pa55word!
    ssh_authorized_keys: [ssh-ed25519 BBBB ops]
    sudo: ALL=(ALL) ALL
write_files:
  - path: C:\\app\\config.ini
    content: a=1
    owner: ops
runcmd:
  - echo hi
  - [C:\\Program Files\\app.exe, --flag, two words]
"""


def test_windows_subset_reboots_for_the_name_before_runcmd(make_ctx, win):
    win.files.write("C:\\ProgramData\\ssh\\administrators_authorized_keys", b"ssh-rsa OLD admin\n")
    memo = {}
    assert run(make_ctx, WINDOWS, on=win, memo=memo) is Outcome.REBOOT_AND_RETRY
    assert win.host.hostname() == "win-web-01"
    assert win.users.groups_of("ops") == ["Administrators", "Remote Desktop Users"]
    assert win.users.users["ops"].password == Secret("Secure-Pa55word!")
    assert win.files.read("C:\\ProgramData\\ssh\\administrators_authorized_keys") == (
        b"ssh-rsa OLD admin\nssh-ed25519 BBBB ops\n"
    )
    assert win.files.read("C:\\app\\config.ini") == b"a=1"
    assert not [r for r in win.processes.ran if r.script]
    assert run(make_ctx, WINDOWS, on=win, memo=memo) is Outcome.DONE
    [runcmd] = [r for r in win.processes.ran if r.script]
    assert runcmd.kind == "cmd"
    assert (
        runcmd.script
        == b'rem cmd\r\necho hi\r\n"C:\\Program Files\\app.exe" --flag "two words"\r\n'
    )


def test_runcmd_exit_codes_are_honoured(make_ctx, platform):
    assert run(make_ctx, b"#cloud-config\nruncmd: [exit 1003]\n") is Outcome.REBOOT_AND_RETRY


def test_mime_with_cloud_config_and_script_parts(make_ctx, platform):
    data = (
        b'Content-Type: multipart/mixed; boundary="B"\nMIME-Version: 1.0\n\n'
        b"--B\nContent-Type: text/cloud-config\nContent-Transfer-Encoding: base64\n\n"
        + base64.b64encode(b"#cloud-config\ntimezone: UTC\n")
        + b"\n--B\nContent-Type: text/x-shellscript\n\n#!/bin/sh\necho script\n--B--\n"
    )
    assert run(make_ctx, data) is Outcome.DONE
    assert platform.clock.timezone() == "UTC"
    assert platform.processes.ran == []  # scripts are the userdata plugin's


def can_manage_users():
    return os.geteuid() == 0 and all(shutil.which(t) for t in ("useradd", "chpasswd", "chage"))


@pytest.mark.skipif(not can_manage_users(), reason="needs root and the shadow tools")
def test_the_subset_for_real_on_a_posix_root(make_ctx, posix, root):
    (root / "etc/motd").write_text("hello ")
    assert run(make_ctx, FULL.replace(b"$6$salt$hashed", b"$6$abc$def"), on=posix) is Outcome.DONE
    assert os.readlink(root / "etc/localtime") == "/usr/share/zoneinfo/Europe/Paris"
    assert (root / "etc/hostname").read_text() == "web-01\n"
    assert "127.0.1.1\tweb-01.example.org web-01" in (root / "etc/hosts").read_text()
    group = (root / "etc/group").read_text()
    assert "ops:x:" in group and "auditors:x:" in group
    shadow = {
        line.split(":")[0]: line.split(":")
        for line in (root / "etc/shadow").read_text().splitlines()
    }
    assert shadow["root"][1] == "$6$abc$def"
    assert shadow["alice"][1].startswith("$6$")
    assert (
        root / "home/alice/.ssh/authorized_keys"
    ).read_text() == "ssh-ed25519 AAAA alice@laptop\n"
    conf = root / "etc/app/app.conf"
    assert conf.read_text() == "key=value" and oct(conf.stat().st_mode & 0o777) == "0o640"
    assert (root / "etc/motd").read_text() == "hello more"
    assert oct((root / "etc/sudoers.d/90-wincloud-alice").stat().st_mode & 0o777) == "0o440"


VENDOR = {
    "cloud-init": "#cloud-config\nhostname: vendor-host\ntimezone: UTC\n"
    "write_files: [{path: /etc/vendor, content: v}]\nruncmd: [echo vendor]\n",
    "other": {"ignored": True},
}


def scripts_run(platform):
    return [r.script for r in platform.processes.ran if r.script]


def test_vendor_cloud_config_alone_is_applied(make_ctx, platform):
    assert run(make_ctx, None, vendor_data=VENDOR) is Outcome.DONE
    assert platform.host.hostname() == "vendor-host"
    assert platform.files.read("/etc/vendor") == b"v"
    assert scripts_run(platform) == [b"#!/bin/sh\necho vendor\n"]


def test_user_cloud_config_overrides_the_keys_it_sets(make_ctx, platform):
    user = b"#cloud-config\nfqdn: user-host.example.org\nruncmd: [echo user]\n"
    run(make_ctx, user, vendor_data=VENDOR)
    assert platform.host.hostname() == "user-host"
    assert platform.clock.timezone() == "UTC"  # not set by the user: the vendor's stays
    assert platform.files.read("/etc/vendor") == b"v"
    assert scripts_run(platform) == [b"#!/bin/sh\necho user\n"]


def test_user_data_can_turn_vendor_cloud_config_off(make_ctx, platform):
    user = b"#cloud-config\nvendor_data: {enabled: false}\n"
    run(make_ctx, user, vendor_data=VENDOR)
    assert platform.files.read("/etc/vendor") is None
    assert scripts_run(platform) == []


def test_vendor_data2_and_its_scripts(make_ctx, platform, caplog):
    dynamic = {"cloud-init": "#!/bin/sh\necho vendor script\n"}
    static = {"cloud-init": "#cloud-config\nwrite_files: [{path: /etc/v2, content: x}]\n"}
    with caplog.at_level("INFO", logger="wincloud"):
        run(make_ctx, None, vendor_data={"no": "cloud-init key"}, vendor_data2=static)
        run(make_ctx, None, vendor_data2=dynamic)
    assert platform.files.read("/etc/v2") == b"x"
    assert scripts_run(platform) == []
    assert "vendor data part not applied" in caplog.text


def test_a_wrong_vendor_document_applies_nothing(make_ctx, platform):
    bad = {"cloud-init": "#cloud-config\nusers: [{name: 'bad name'}]\n"}
    with pytest.raises(InvalidMetadata, match="vendor data"):
        run(make_ctx, b"#cloud-config\ntimezone: UTC\n", vendor_data=bad)
    assert platform.clock.timezone() is None


def cloud_part(body: bytes, header: bytes = b"") -> bytes:
    return b"Content-Type: text/cloud-config\n" + header + b"\n" + body


def mime_doc(*parts: bytes) -> bytes:
    head = b'Content-Type: multipart/mixed; boundary="B"\nMIME-Version: 1.0\n\n'
    return head + b"".join(b"--B\n" + p + b"\n" for p in parts) + b"--B--\n"


def test_cloud_config_parts_merge_as_cloud_init_does(make_ctx, platform):
    """By default a later part's keys replace the earlier ones: one runcmd runs, not two."""
    first = cloud_part(b"#cloud-config\ntimezone: UTC\nruncmd: [echo one]\n")
    second = cloud_part(b"#cloud-config\nruncmd: [echo two]\n")
    run(make_ctx, mime_doc(first, second))
    assert platform.clock.timezone() == "UTC"
    assert scripts_run(platform) == [b"#!/bin/sh\necho two\n"]


def test_a_merge_type_header_appends(make_ctx, platform):
    first = cloud_part(b"#cloud-config\nruncmd: [echo one]\n")
    second = cloud_part(
        b"#cloud-config\nruncmd: [echo two]\n",
        b"Merge-Type: list(append)+dict(recurse_array)+str()\n",
    )
    run(make_ctx, mime_doc(first, second))
    assert scripts_run(platform) == [b"#!/bin/sh\necho one\necho two\n"]
