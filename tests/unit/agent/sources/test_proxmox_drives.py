"""Proxmox VE's cloud-init drives (qemu-server's Cloudinit.pm): configdrive2 for a Windows VM
(read by the ``configdrive`` source) and NoCloud (read by ``nocloud``), with their quirks."""

import json
import logging
import shutil
from pathlib import Path

import pytest

from wincloud.agent.plugins._network_data import parse_network_data
from wincloud.agent.sources._openstack import parse_openstack
from wincloud.agent.sources.nocloud import parse_nocloud
from wincloud.agent.tree import DirTree, MemoryTree
from wincloud.errors import InvalidMetadata

PROXMOX = Path(__file__).resolve().parents[3] / "fixtures/sources/proxmox"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFixtureKeyOne one@example"


def test_windows_configdrive2_with_empty_vendor_data_is_read():
    md = parse_openstack(DirTree(PROXMOX / "configdrive2-windows"), source="configdrive")
    assert md.instance_id == "df9d6df93b1a5e8ae0b32a839dff4f00c8ee0327"
    assert md.admin_pass is not None and md.admin_pass.reveal() == "Pve-Pass-2026!"
    assert dict(md.public_keys) == {"key-0": KEY}
    assert md.vendor_data is None  # Proxmox writes an empty vendor_data.json
    assert md.network_data is None  # its network is ENI in content/0000, not network_data.json
    assert md.hostname is None  # the name is in user_data's cloud-config (hostname plugin reads it)
    assert md.user_data is not None and b"hostname: win-pve-01" in md.user_data


def test_nocloud_with_empty_vendor_data_is_read():
    md = parse_nocloud(DirTree(PROXMOX / "nocloud"), source="nocloud")
    assert len(md.instance_id) == 40
    assert md.vendor_data is None
    plan = parse_network_data(md.network_data)  # network-config v1 becomes network_data
    (iface,) = plan.interfaces
    assert (iface.mac, iface.dhcp4, plan.dns_servers) == (
        "bc:24:11:aa:bb:cd",
        True,
        ("192.168.1.1",),
    )
    assert md.user_data is not None and b"hostname: lin-pve-02" in md.user_data


# configdrive2's network: a Debian interfaces file in openstack/content/0000, eth0 without MAC


def drive_copy(tmp_path, interfaces: bytes | None = None) -> Path:
    """The configdrive2 fixture as a drive directory, its content/0000 replaced if given."""
    drive = tmp_path / "config-2"
    shutil.copytree(PROXMOX / "configdrive2-windows", drive)
    if interfaces is not None:
        (drive / "openstack/content/0000").write_bytes(interfaces)
    return drive


def load_drive(make_deps, platform, drive: Path, *adapters: tuple[str, str]):
    from tests.unit.agent.conftest import with_section
    from wincloud.agent.config import AgentConfig
    from wincloud.agent.sources.configdrive import ConfigDriveSource
    from wincloud.platform.values import Adapter

    platform.network._adapters[:] = [Adapter(name, mac) for name, mac in adapters]
    config = with_section(AgentConfig(), "configdrive", paths=[str(drive)])
    return ConfigDriveSource(make_deps(config)).load()


ONE_NIC = ("Ethernet", "bc:24:11:12:34:56")
TWO_NICS = (ONE_NIC, ("Ethernet 2", "bc:24:11:65:43:21"))


def test_windows_interfaces_file_is_applied_to_the_only_adapter(make_deps, platform, tmp_path):
    md = load_drive(make_deps, platform, drive_copy(tmp_path), ONE_NIC)
    assert md.admin_pass is not None  # the rest of the drive as before
    plan = parse_network_data(md.network_data)
    (iface,) = plan.interfaces
    assert (iface.mac, iface.addresses, iface.dhcp4) == (ONE_NIC[1], ("192.168.1.60/24",), False)
    assert [(r.destination, r.gateway) for r in iface.routes] == [("0.0.0.0/0", "192.168.1.1")]
    assert plan.dns_servers == ("192.168.1.1",)


@pytest.mark.parametrize(
    "adapters, reason",
    [(TWO_NICS, "several-adapters count=2"), ((), "no-adapters count=0")],
)
def test_interfaces_file_is_never_guessed_onto_one_of_several_adapters(
    make_deps, platform, tmp_path, caplog, adapters, reason
):
    with caplog.at_level(logging.WARNING, logger="wincloud.agent.sources"):
        md = load_drive(make_deps, platform, drive_copy(tmp_path), *adapters)
    assert md.network_data is None
    assert md.admin_pass is not None and dict(md.public_keys) == {"key-0": KEY}
    (line,) = [r.getMessage() for r in caplog.records if "not applied" in r.getMessage()]
    assert "name=eth0" in line and f"reason={reason}" in line


def test_interfaces_file_with_several_interfaces_ties_only_those_with_a_hwaddress(
    make_deps, platform, tmp_path, caplog
):
    eni = (
        b"auto eth0\niface eth0 inet dhcp\n"
        b"auto eth1\niface eth1 inet static\n    address 10.0.5.9\n    netmask 255.255.0.0\n"
        b"    hwaddress ether BC:24:11:65:43:21\n"
        b"iface eth1 inet6 static\n    address fd00::9\n    netmask 64\n    gateway fd00::1\n"
    )
    with caplog.at_level(logging.WARNING, logger="wincloud.agent.sources"):
        md = load_drive(make_deps, platform, drive_copy(tmp_path, eni), ONE_NIC)
    plan = parse_network_data(md.network_data)
    (iface,) = plan.interfaces
    assert iface.mac == "bc:24:11:65:43:21"
    assert iface.addresses == ("10.0.5.9/16", "fd00::9/64")
    assert [(r.destination, r.gateway) for r in iface.routes] == [("::/0", "fd00::1")]
    assert "name=eth0 reason=several-interfaces-in-the-file" in caplog.text


def test_older_configdrive2_network_with_a_loopback_stanza(make_deps, platform, tmp_path):
    """configdrive2_network (non-Windows ostype): ``auto lo`` with the DNS servers under it,
    DHCP for IPv4 and SLAAC for IPv6."""
    eni = (
        b"auto lo\niface lo inet loopback\n\n        dns_nameservers 192.0.2.53 192.0.2.54\n"
        b"        dns_search example.lan\nauto eth0\niface eth0 inet dhcp\niface eth0 inet6 auto\n"
    )
    md = load_drive(make_deps, platform, drive_copy(tmp_path, eni), ONE_NIC)
    plan = parse_network_data(md.network_data)
    (iface,) = plan.interfaces
    assert (iface.mac, iface.dhcp4, iface.ipv6_autoconf) == (ONE_NIC[1], True, True)
    assert plan.dns_servers == ("192.0.2.53", "192.0.2.54")


@pytest.mark.parametrize("eni", [b"\xff\xfeauto eth0\n", b"iface eth0\n", b"x\n" * 5000])
def test_a_broken_interfaces_file_costs_the_network_only(make_deps, platform, tmp_path, eni):
    md = load_drive(make_deps, platform, drive_copy(tmp_path, eni), ONE_NIC)
    assert md.network_data is None
    assert md.admin_pass is not None and md.admin_pass.reveal() == "Pve-Pass-2026!"


def test_network_data_json_wins_over_the_interfaces_file(make_deps, platform, tmp_path):
    drive = drive_copy(tmp_path)
    network = {
        "links": [{"id": "nic", "type": "phy", "ethernet_mac_address": TWO_NICS[1][1]}],
        "networks": [{"id": "n", "link": "nic", "type": "ipv4_dhcp"}],
    }
    (drive / "openstack/latest/network_data.json").write_text(json.dumps(network))
    md = load_drive(make_deps, platform, drive, ONE_NIC)
    assert md.network_data == network


def test_an_adapter_without_a_real_mac_does_not_count(make_deps, platform, tmp_path):
    md = load_drive(
        make_deps, platform, drive_copy(tmp_path), ONE_NIC, ("tun0", "00:00:00:00:00:00")
    )
    (iface,) = parse_network_data(md.network_data).interfaces
    assert iface.mac == ONE_NIC[1]


# NoCloud user-data: cloud-init's default-user keys (user, password, ssh_authorized_keys)

KEY2 = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQFixtureKeyTwo two@example"
HASH = "$5$Zq3vR8pLk2WxT9aB$4ZAwLVVNZoP/E4hyihS7f0pJgWgEMWDsJf3ixOtsD51"


def boot_on_cidata(platform, folder: Path):
    """One boot with the NoCloud drive ``folder`` as the ``cidata`` volume (read as a drive
    directory) and the plugins that consume the default user."""
    from wincloud.agent.config import AgentConfig
    from wincloud.agent.run import Agent

    platform.volumes.labelled["cidata"] = folder
    config = AgentConfig(sources=["nocloud"], plugins=["users", "password", "ssh_keys"])
    return Agent(config, platform, sleep=lambda s: None).run()


def test_nocloud_default_user_becomes_the_admin_with_password_and_keys(caplog):
    """``citype: nocloud`` for a Windows ostype: Proxmox writes ``password:`` in clear text.
    The users, password and ssh_keys plugins apply ``user``/``password``/``ssh_authorized_keys``
    as they apply any other source's admin name, password and keys; the password is in no log
    record."""
    from wincloud.agent.run import ExitStatus
    from wincloud.platform.fake import fake_platform

    platform = fake_platform(family="windows")
    with caplog.at_level(logging.DEBUG, logger="wincloud"):
        report = boot_on_cidata(platform, PROXMOX / "nocloud")
    assert report.status is ExitStatus.OK, report
    admin = platform.users.users["cloudadmin"]
    assert admin.password is not None and admin.password.reveal() == "Pve-Pass-2026!"
    assert "Administrators" in admin.groups
    keys = platform.files.read("C:\\Users\\cloudadmin\\.ssh\\authorized_keys")
    assert keys == f"{KEY}\n".encode()
    assert "Pve-Pass-2026!" not in caplog.text
    assert all("Pve-Pass-2026!" not in str(r.args) for r in caplog.records)


def test_nocloud_linux_default_user_with_a_hashed_password(caplog):
    """``citype: nocloud`` for a Linux ostype (fixture ``nocloud-linux``): Proxmox's API
    stores cipassword as a SHA-256 crypt hash: the user and both keys are applied, and the
    password as that hash (never in the log)."""
    from wincloud.agent.run import ExitStatus
    from wincloud.platform.fake import fake_platform

    platform = fake_platform()
    with caplog.at_level(logging.DEBUG, logger="wincloud"):
        report = boot_on_cidata(platform, PROXMOX / "nocloud-linux")
    assert report.status is ExitStatus.OK, report
    admin = platform.users.users["pveadmin"]
    assert admin.password is None
    assert admin.password_hash is not None and admin.password_hash.reveal() == HASH
    assert platform.files.read("/home/pveadmin/.ssh/authorized_keys") == f"{KEY}\n{KEY2}\n".encode()
    assert "password hash set from metadata user=pveadmin" in caplog.text
    assert HASH not in caplog.text
    assert all(HASH not in str(r.args) for r in caplog.records)


def test_nocloud_hashed_password_on_windows_fails_the_password_plugin_by_name(caplog):
    """A Linux-ostype drive booted by a Windows guest: the hash cannot be set there; the
    password plugin fails naming the drive's password, and the user and keys still apply."""
    from wincloud.agent.run import ExitStatus
    from wincloud.platform.fake import fake_platform

    platform = fake_platform(family="windows")
    with caplog.at_level(logging.DEBUG, logger="wincloud"):
        report = boot_on_cidata(platform, PROXMOX / "nocloud-linux")
    assert report.status is not ExitStatus.OK
    admin = platform.users.users["pveadmin"]
    assert admin.password is None and admin.password_hash is None
    assert "crypt hash" in caplog.text
    assert HASH not in caplog.text


def test_nocloud_default_user_keys_are_not_reported_as_unsupported(caplog):
    """The cloudconfig plugin leaves the keys the source applied out of its "not supported"
    lines (``user`` and ``password`` were reported unsupported though they were applied)."""
    from wincloud.agent.config import AgentConfig
    from wincloud.agent.run import Agent
    from wincloud.platform.fake import fake_platform

    platform = fake_platform()
    platform.volumes.labelled["cidata"] = PROXMOX / "nocloud-linux"
    config = AgentConfig(sources=["nocloud"], plugins=["users", "password", "cloudconfig"])
    with caplog.at_level(logging.INFO, logger="wincloud"):
        Agent(config, platform, sleep=lambda s: None).run()
    for key in ("user", "password", "ssh_authorized_keys"):
        assert f"cloud-config key not supported key={key}" not in caplog.text
    assert "cloud-config key applied through the source key=user" in caplog.text


def test_nocloud_default_user_keys_follow_meta_data_keys_without_repeats():
    md = parse_nocloud(DirTree(PROXMOX / "nocloud-linux"), source="nocloud")
    assert dict(md.public_keys) == {"user-data-0": KEY, "user-data-1": KEY2}
    assert dict(md.meta) == {"admin_username": "pveadmin"}
    assert md.admin_pass is None
    tree = MemoryTree(
        {
            "meta-data": f"instance-id: i\npublic-keys: [{KEY}]\n".encode(),
            "user-data": f"#cloud-config\nssh_authorized_keys: [{KEY}, {KEY2}]\n".encode(),
        }
    )
    assert dict(parse_nocloud(tree, source="nocloud").public_keys) == {
        "0": KEY,
        "user-data-1": KEY2,
    }


@pytest.mark.parametrize(
    "user_data",
    [
        b"#!/bin/sh\nuser: x\n",  # a script, not cloud-config
        b"#cloud-config\nuser: [unclosed\n",  # the cloudconfig plugin refuses it by name
        b"#cloud-config\npassword: 0123\nuser: 42\nssh_authorized_keys: {a: b}\n",
        b"#cloud-config\npassword:\nuser: {groups: x}\n",
    ],
)
def test_user_data_without_usable_default_user_keys_gives_none(user_data):
    tree = MemoryTree({"meta-data": b"instance-id: i\n", "user-data": user_data})
    md = parse_nocloud(tree, source="nocloud")
    assert (md.admin_pass, dict(md.meta), dict(md.public_keys)) == (None, {}, {})
    assert md.user_data == user_data


def test_user_data_user_mapping_form_and_password_expiry(caplog):
    tree = MemoryTree(
        {
            "meta-data": b"instance-id: i\n",
            "user-data": b"#cloud-config\nuser: {name: ops, groups: x}\npassword: 'S3cret-Pass!'\n",
        }
    )
    secrets: list[str] = []
    with caplog.at_level(logging.INFO, logger="wincloud"):
        md = parse_nocloud(tree, source="nocloud", register_secret=secrets.append)
    assert dict(md.meta) == {"admin_username": "ops"}
    assert md.admin_pass is not None and md.admin_pass.reveal() == "S3cret-Pass!"
    assert secrets == ["S3cret-Pass!"]
    assert "asks the password to expire" in caplog.text  # cloud-init's default: expire


@pytest.mark.parametrize(
    "user_data",
    [
        b'#cloud-config\nuser: "ad\\nmin"\n',
        b"#cloud-config\nssh_authorized_keys:\n" + b"  - k\n" * 101,
    ],
)
def test_hostile_default_user_keys_are_invalid(user_data):
    tree = MemoryTree({"meta-data": b"instance-id: i\n", "user-data": user_data})
    with pytest.raises(InvalidMetadata, match="user-data"):
        parse_nocloud(tree, source="nocloud")


def test_a_static_stanza_without_an_address_is_left_out(make_deps, platform, tmp_path, caplog):
    eni = b"auto eth0\niface eth0 inet static\n    netmask 255.255.255.0\niface eth0 inet6 auto\n"
    with caplog.at_level(logging.WARNING, logger="wincloud.agent.sources"):
        md = load_drive(make_deps, platform, drive_copy(tmp_path, eni), ONE_NIC)
    (iface,) = parse_network_data(md.network_data).interfaces
    assert (iface.addresses, iface.ipv6_autoconf) == ((), True)
    assert "reason=static-without-address" in caplog.text


def test_default_user_keys_left_out_are_not_called_applied_through_the_source(caplog, tmp_path):
    """A value nocloud logs as not applied (``password: 0123`` is a number, an empty user) is
    not "applied through the source" in the cloudconfig plugin's log either: it said both."""
    from wincloud.agent.config import AgentConfig
    from wincloud.agent.run import Agent
    from wincloud.platform.fake import fake_platform

    seed = {
        "meta-data": b"instance-id: i\n",
        "user-data": b"#cloud-config\npassword: 0123\nuser: ''\nssh_authorized_keys: 7\n",
    }
    assert parse_nocloud(MemoryTree(seed), source="nocloud").userdata_keys_taken == ()
    for name, data in seed.items():
        (tmp_path / name).write_bytes(data)
    platform = fake_platform()
    platform.volumes.labelled["cidata"] = tmp_path
    config = AgentConfig(sources=["nocloud"], plugins=["cloudconfig"])
    with caplog.at_level(logging.INFO, logger="wincloud"):
        Agent(config, platform, sleep=lambda s: None).run()
    assert "not applied reason=not-a-string key=password" in caplog.text
    assert "applied through the source key=password" not in caplog.text
    assert "cloud-config key not supported key=password" in caplog.text
