"""What only the POSIX backend does: files it writes, where, and how."""

import os
from pathlib import Path

import pytest

from wincloud.errors import PlatformError
from wincloud.platform import InterfacePlan, NetworkPlan, RoutePlan
from wincloud.platform.posix import posix_platform
from wincloud.platform.posix.host import render_hosts

from .conftest import make_root


@pytest.fixture
def root(tmp_path) -> Path:
    return make_root(tmp_path / "root")


def test_hostname_goes_to_etc_hostname_and_hosts(root):
    (root / "etc/hosts").write_text("127.0.0.1\tlocalhost\n127.0.1.1\told\n")
    posix_platform(root).host.set_hostname("web-01.example.org")
    assert (root / "etc/hostname").read_text() == "web-01.example.org\n"
    assert (root / "etc/hosts").read_text() == (
        "127.0.0.1\tlocalhost\n127.0.1.1\tweb-01.example.org web-01\n"
    )


def test_hosts_line_is_added_when_missing():
    assert render_hosts("", "h") == "127.0.0.1\tlocalhost\n127.0.1.1\th\n"
    assert render_hosts("::1 localhost\n", "h") == "::1 localhost\n127.0.1.1\th\n"


def test_reboot_on_an_alternate_root_leaves_a_marker(root):
    posix_platform(root).host.reboot("hostname changed")
    assert (root / "run/wincloud/reboot-required").read_text() == "hostname changed\n"


def test_state_file_is_private_and_no_temporary_is_left(root):
    platform = posix_platform(root)
    platform.state.write(b"{}")
    platform.state.write(b'{"a": 1}')
    path = root / "var/lib/wincloud/state.json"
    assert path.read_bytes() == b'{"a": 1}'
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    assert oct(path.parent.stat().st_mode & 0o777) == oct(0o700)
    assert os.listdir(path.parent) == ["state.json"]
    assert platform.state.where == str(path)


def test_failed_write_keeps_the_old_state(root):
    platform = posix_platform(root)
    platform.state.write(b"old")
    folder = root / "var/lib/wincloud"
    (folder / "state.json").rename(folder / "keep")
    (folder / "state.json").mkdir()  # a directory in the way: rename fails
    with pytest.raises(PlatformError) as info:
        platform.state.write(b"new")
    assert info.value.operation == "write"
    assert sorted(os.listdir(folder)) == ["keep", "state.json"]


@pytest.mark.parametrize("bad", ["relative/path", "/etc/../../escape"])
def test_guest_paths_must_stay_inside_the_root(root, bad):
    with pytest.raises(PlatformError):
        posix_platform(root).files.read(bad)


def test_absolute_udev_link_is_resolved_inside_the_root(root):
    (root / "dev/disk/by-label").mkdir(parents=True)
    (root / "dev/sr0").write_bytes(b"iso")
    (root / "dev/disk/by-label/config-2").symlink_to("/dev/sr0")
    assert posix_platform(root).volumes.find_labelled("config-2") == root / "dev/sr0"


def test_escaped_udev_label_is_decoded(root):
    (root / "dev/disk/by-label").mkdir(parents=True)
    (root / "dev/vdb").write_bytes(b"fat")
    (root / "dev/disk/by-label/my\\x20disk").symlink_to("../../vdb")
    assert posix_platform(root).volumes.labels() == {"my disk": root / "dev/vdb"}


def test_network_plan_becomes_networkd_files(root):
    plan = NetworkPlan(
        interfaces=(
            InterfacePlan(
                mac="fa:16:3e:00:00:05",
                addresses=("10.0.0.5/24",),
                routes=(
                    RoutePlan("0.0.0.0/0", "10.0.0.1"),
                    RoutePlan("192.168.0.0/16", "10.0.0.9"),
                ),
                mtu=1450,
            ),
            InterfacePlan(mac="fa:16:3e:00:00:06", dhcp4=True, dhcp6=True),
        ),
        dns_servers=("10.0.0.2",),
        dns_search=("example.org",),
    )
    posix_platform(root).network.apply(plan)
    folder = root / "etc/systemd/network"
    assert sorted(p.name for p in folder.iterdir()) == [
        "10-wincloud-fa163e000005.network",
        "10-wincloud-fa163e000006.network",
    ]
    first = (folder / "10-wincloud-fa163e000005.network").read_text()
    assert "MACAddress=fa:16:3e:00:00:05\n" in first
    assert "MTUBytes=1450\n" in first
    assert "DHCP=no\nAddress=10.0.0.5/24\nDNS=10.0.0.2\nDomains=example.org\n" in first
    assert "[Route]\nGateway=10.0.0.1\n" in first
    assert "[Route]\nDestination=192.168.0.0/16\nGateway=10.0.0.9\n" in first
    assert "DHCP=yes" in (folder / "10-wincloud-fa163e000006.network").read_text()


def test_stale_networkd_files_of_ours_are_removed(root):
    platform = posix_platform(root)
    platform.network.apply(NetworkPlan(interfaces=(InterfacePlan(mac="fa:16:3e:00:00:05"),)))
    (root / "etc/systemd/network/50-admin.network").write_text("[Match]\n")
    platform.network.apply(NetworkPlan())
    assert os.listdir(root / "etc/systemd/network") == ["50-admin.network"]


def test_timezone_is_a_symlink_and_etc_timezone(root):
    posix_platform(root).clock.set_timezone("Europe/Paris")
    assert os.readlink(root / "etc/localtime") == "/usr/share/zoneinfo/Europe/Paris"
    assert (root / "etc/timezone").read_text() == "Europe/Paris\n"


def test_timeout_kills_children_holding_the_output_pipe(root):
    # a background child keeps stdout open: without killing the group this would hang
    with pytest.raises(PlatformError, match="timed out"):
        posix_platform(root).processes.run(["sh", "-c", "sleep 30 & sleep 30"], timeout=0.5)


def test_scripts_see_the_root_and_live_under_it(root):
    done = posix_platform(root).processes.run_script(
        b'#!/bin/sh\necho "$WINCLOUD_ROOT"\n', name="userdata", timeout=10
    )
    assert done.stdout.decode().strip() == str(root)
    assert [p.name.split("-")[0] for p in (root / "var/lib/wincloud/scripts").iterdir()] == [
        "userdata"
    ]


def test_blkid_is_asked_on_a_live_system_in_both_cases():
    from wincloud.platform.base import Completed
    from wincloud.platform.fake import FakeProcesses
    from wincloud.platform.posix._root import Root
    from wincloud.platform.posix.volumes import PosixVolumes

    def blkid(argv, stdin):
        found = argv[-1] == "LABEL=WCTEST-LABEL-2"
        return Completed(tuple(argv), 0 if found else 2, b"/dev/sr0\n" if found else b"")

    processes = FakeProcesses({"blkid": blkid})
    volumes = PosixVolumes(Root(Path("/")), processes)
    assert volumes.find_labelled("wctest-label-2") == Path("/dev/sr0")
    assert [r.argv[-1] for r in processes.ran] == ["LABEL=wctest-label-2", "LABEL=WCTEST-LABEL-2"]


def test_blkid_is_not_asked_on_an_alternate_root(root):
    from wincloud.platform.fake import FakeProcesses
    from wincloud.platform.posix._root import Root
    from wincloud.platform.posix.volumes import PosixVolumes

    processes = FakeProcesses()
    assert PosixVolumes(Root(root), processes).find_labelled("config-2") is None
    assert processes.ran == []


def test_a_domain_goes_to_etc_hosts_only(root):
    platform = posix_platform(root)
    platform.host.set_hostname("web-01", domain="example.org")
    assert (root / "etc/hostname").read_text() == "web-01\n"
    assert (root / "etc/hosts").read_text() == (
        "127.0.0.1\tlocalhost\n127.0.1.1\tweb-01.example.org web-01\n"
    )
    assert platform.host.domain() == "example.org"


def test_ntp_servers_go_to_chrony_when_it_is_installed(root):
    (root / "etc/chrony").mkdir()
    clock = posix_platform(root).clock
    assert clock.set_ntp_servers(["10.0.0.1", "ntp.example.org"]) is True
    assert (root / "etc/chrony/sources.d/wincloud.sources").read_text() == (
        "# written by wincloud\nserver 10.0.0.1 iburst\nserver ntp.example.org iburst\n"
    )
    assert clock.set_ntp_servers(["10.0.0.1", "ntp.example.org"]) is False


def test_stale_netdev_files_of_ours_are_removed_too(root):
    from wincloud.platform.values import InterfacePlan as Plan

    platform = posix_platform(root)
    mac = "fa:16:3e:00:00:05"
    vlan = Plan(mac="", kind="vlan", name="vlan7", link=mac, vlan_id=7)
    platform.network.apply(NetworkPlan(interfaces=(Plan(mac=mac), vlan)))
    assert (root / "etc/systemd/network/10-wincloud-vlan7.netdev").exists()
    platform.network.apply(NetworkPlan(interfaces=(Plan(mac=mac),)))
    assert os.listdir(root / "etc/systemd/network") == ["10-wincloud-fa163e000005.network"]


def test_ctrl_c_while_writing_keeps_the_old_file_and_no_temporary(root, ctrl_c_at_fsync):
    platform = posix_platform(root)
    platform.files.write("/srv/app.conf", b"old")
    ctrl_c_at_fsync()
    with pytest.raises(KeyboardInterrupt):
        platform.files.write("/srv/app.conf", b"new")
    assert (root / "srv/app.conf").read_bytes() == b"old"
    assert os.listdir(root / "srv") == ["app.conf"]


def test_a_written_file_has_the_mode_asked_for_not_the_old_files(root):
    platform = posix_platform(root)
    (root / "srv").mkdir()
    (root / "srv/key").write_bytes(b"old")
    (root / "srv/key").chmod(0o666)
    platform.files.write("/srv/key", b"new", mode=0o600)
    assert oct((root / "srv/key").stat().st_mode & 0o777) == oct(0o600)
