"""OpenNebula: context.sh on a CONTEXT drive, parsed as data (never run)."""

from pathlib import Path

import pytest

from wincloud.agent.plugins._network_data import parse_network_data
from wincloud.agent.sources._shellvars import parse_shell_vars
from wincloud.agent.sources.opennebula import OpenNebulaSource, parse_opennebula
from wincloud.agent.tree import DirTree, MemoryTree
from wincloud.errors import InvalidMetadata

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures/sources/opennebula"


def context(text: str) -> MemoryTree:
    return MemoryTree({"context.sh": text.encode()}, where="CONTEXT")


def test_opennebula_context_maps_into_the_model():
    md = parse_opennebula(DirTree(FIXTURES), source="opennebula")
    assert (md.instance_id, md.hostname, md.source) == ("4711", "win-one-01", "opennebula")
    assert list(md.public_keys.values()) == [
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFixtureKeyOne one@example",
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQFixtureKeyTwo two@example",
    ]
    assert md.admin_pass is not None and md.admin_pass.reveal() == "Nebula-Pass-2026!"
    assert md.user_data == b"#cloud-config\ntimezone: Europe/Paris\n"
    assert md.meta == {"admin_username": "cloudadmin"}
    assert md.local_ipv4 == "10.0.10.25"


def test_opennebula_network_becomes_a_plan_the_network_plugin_accepts():
    md = parse_opennebula(DirTree(FIXTURES), source="opennebula")
    assert md.network_data is not None
    plan = parse_network_data(md.network_data)
    (iface,) = plan.interfaces  # ETH1 has METHOD=skip
    assert (iface.mac, iface.addresses, iface.mtu) == (
        "02:00:0a:00:0a:19",
        ("10.0.10.25/24",),
        1500,
    )
    assert [(r.destination, r.gateway) for r in iface.routes] == [("0.0.0.0/0", "10.0.10.1")]
    assert plan.dns_servers == ("10.0.10.1", "10.0.10.2")


def test_proxmox_context_unquoted_and_double_quoted_values():
    tree = MemoryTree({"context.sh": (FIXTURES / "proxmox-context.sh").read_bytes()})
    md = parse_opennebula(tree, source="opennebula")
    assert md.hostname == "pve-vm-101"
    assert md.admin_pass is None  # a crypt hash cannot set a Windows password
    assert md.instance_id.startswith("one-")  # no VMID: a digest of the file
    plan = parse_network_data(md.network_data)
    # Proxmox gives no ETH1_MAC for a DHCP interface: it cannot be matched, the OS keeps it
    (iface,) = plan.interfaces
    assert (iface.mac, iface.addresses, iface.mtu) == (
        "bc:24:11:aa:bb:cc",
        ("192.168.1.50/24",),
        1450,
    )
    assert plan.dns_servers == ("192.168.1.1",)


def test_instance_id_follows_the_content_without_vmid():
    first = parse_opennebula(context("SET_HOSTNAME=a\n"), source="opennebula")
    second = parse_opennebula(context("SET_HOSTNAME=b\n"), source="opennebula")
    assert first.instance_id != second.instance_id


@pytest.mark.parametrize(
    "text, expected",
    [
        ("A='x y'\n", {"A": "x y"}),
        ("A='it'\\''s'\n", {"A": "it's"}),
        ('A="q\\"z \\$ \\\\"\n', {"A": 'q"z $ \\'}),
        ("export A=plain # comment\n", {"A": "plain"}),
        ("A='multi\nline'\n", {"A": "multi\nline"}),
        ("A=1; B=2\r\n", {"A": "1", "B": "2"}),
        ("A=\n", {"A": ""}),
    ],
)
def test_shell_quoting_as_opennebula_and_proxmox_write_it(text, expected):
    assert parse_shell_vars(text, where="t") == expected


@pytest.mark.parametrize(
    "text",
    [
        "A=$(reboot)\n",
        "A=`id`\n",
        'A="$HOME"\n',
        "A=$HOME\n",
        "rm -rf /\n",
        "A=1 touch /tmp/x\n",
        "A='unterminated\n",
        'A="unterminated\n',
        "A=x|y\n",
        "1A=x\n",
    ],
)
def test_anything_a_shell_would_compute_is_refused(text):
    with pytest.raises(InvalidMetadata, match=r"\(line \d\)"):
        parse_opennebula(context(text), source="opennebula")


@pytest.mark.parametrize(
    "raw",
    [b"\xff\xfe bad", b"USER_DATA='!!'\nUSERDATA_ENCODING=base64\n", b"A=" + b"x" * (4 << 20)],
)
def test_damaged_context_is_invalid(raw):
    with pytest.raises(InvalidMetadata):
        parse_opennebula(MemoryTree({"context.sh": raw}), source="opennebula")


def test_many_variables_are_bounded():
    text = "".join(f"V{i}=x\n" for i in range(5000))
    with pytest.raises(InvalidMetadata, match="more than"):
        parse_opennebula(context(text), source="opennebula")


def test_drive_without_context_is_invalid():
    with pytest.raises(InvalidMetadata, match=r"no context\.sh"):
        parse_opennebula(MemoryTree({"other": b""}), source="opennebula")


def test_context_volume_is_found_by_label_and_read(make_deps, platform, tmp_path):
    image = tmp_path / "context.iso"
    image.write_bytes(b"iso")
    platform.volumes.labelled["CONTEXT"] = image
    raw = (FIXTURES / "context.sh").read_bytes()
    source = OpenNebulaSource(make_deps(read_drive=lambda path: {"context.sh": raw}))
    assert source.probe() is True
    assert source.load().hostname == "win-one-01"
    assert source.where == str(image)


def test_no_context_volume_is_absent(make_deps):
    assert OpenNebulaSource(make_deps()).probe() is False
