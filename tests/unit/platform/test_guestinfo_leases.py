"""What the new sources need from the OS: VMware guestinfo through VMware Tools' RPC tool,
and the DHCP servers of the leases (CloudStack's router)."""

import pytest

from wincloud.errors import PlatformError
from wincloud.platform.base import Completed
from wincloud.platform.fake import FakeHypervisor, FakeNetwork, FakeProcesses
from wincloud.platform.guestinfo import read_guestinfo
from wincloud.platform.posix import posix_platform
from wincloud.platform.posix._root import Root
from wincloud.platform.posix.hypervisor import TOOLS as POSIX_TOOLS
from wincloud.platform.posix.leases import find_dhcp_servers, parse_lease
from wincloud.platform.windows.hypervisor import TOOLS as WINDOWS_TOOLS


def vmware_tools(values):
    def program(argv, stdin):
        verb, _, key = argv[-1].partition(" guestinfo.")
        if verb == "info-get" and key in values:
            return Completed(tuple(argv), 0, values[key] + b"\n")
        return Completed(tuple(argv), 1, b"", b"No value found\n")

    return program


@pytest.mark.parametrize("tools", [POSIX_TOOLS, WINDOWS_TOOLS])
def test_guestinfo_value_through_the_first_tool_installed(tools):
    processes = FakeProcesses({tools[1][0]: vmware_tools({"metadata": b"abc"})})
    assert read_guestinfo(processes, tools, "metadata") == b"abc"
    assert read_guestinfo(processes, tools, "userdata") is None
    assert processes.ran[0].argv[-1] == "info-get guestinfo.metadata"


def hung(argv, stdin):
    """What the processes capability raises for a program killed at its timeout."""
    raise PlatformError("timed out after 10 s", operation="run", subject=argv[0])


@pytest.mark.parametrize("tools", [POSIX_TOOLS, WINDOWS_TOOLS])
def test_a_tool_that_hangs_is_an_error_not_an_unset_key(tools):
    processes = FakeProcesses({tools[0][0]: hung, tools[1][0]: vmware_tools({"userdata": b"x"})})
    with pytest.raises(PlatformError, match="timed out") as err:
        read_guestinfo(processes, tools, "userdata")
    assert err.value.subject == "guestinfo.userdata"


def test_a_tool_that_is_not_installed_is_skipped_for_the_next():
    processes = FakeProcesses({POSIX_TOOLS[1][0]: vmware_tools({"userdata": b"x"})})
    assert read_guestinfo(processes, POSIX_TOOLS, "userdata") == b"x"


def test_no_vmware_tools_means_no_value():
    assert read_guestinfo(FakeProcesses(), POSIX_TOOLS, "metadata") is None


@pytest.mark.parametrize("key", ["", "a b", "x;info-set guestinfo.y 1", "../k", "k\n"])
def test_a_key_that_could_change_the_rpc_is_refused(key):
    with pytest.raises(PlatformError):
        FakeHypervisor().guestinfo(key)
    with pytest.raises(PlatformError):
        read_guestinfo(FakeProcesses(), POSIX_TOOLS, key)


def test_posix_backend_on_an_alternate_root_asks_no_hypervisor(tmp_path):
    assert posix_platform(tmp_path).hypervisor.guestinfo("metadata") is None


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"# networkd\nADDRESS=10.1.1.17\nSERVER_ADDRESS=10.1.1.1\n", "10.1.1.1"),
        (
            b"lease {\n  option dhcp-server-identifier 10.0.0.1;\n}\n"
            b"lease {\n  option dhcp-server-identifier 10.0.0.2;\n}\n",
            "10.0.0.2",
        ),
        (b"SERVER_ADDRESS=not-an-ip\n", None),
        (b"\xff\x00garbage", None),
    ],
)
def test_lease_formats(data, expected):
    assert parse_lease(data) == expected


def test_dhcp_servers_from_lease_files_under_the_root(tmp_path):
    leases = tmp_path / "run/systemd/netif/leases"
    leases.mkdir(parents=True)
    (leases / "2").write_bytes(b"SERVER_ADDRESS=10.1.1.1\n")
    dhclient = tmp_path / "var/lib/dhcp"
    dhclient.mkdir(parents=True)
    (dhclient / "dhclient.eth1.leases").write_bytes(
        b"lease {\n  option dhcp-server-identifier 10.1.1.1;\n}\n"
    )
    assert find_dhcp_servers(Root(tmp_path)) == ["10.1.1.1"]
    assert posix_platform(tmp_path).network.dhcp_servers() == ["10.1.1.1"]


def test_no_leases_no_servers(tmp_path):
    assert posix_platform(tmp_path).network.dhcp_servers() == []
    assert FakeNetwork().dhcp_servers() == []


def test_a_lease_file_linked_out_of_the_root_is_read_inside_it(tmp_path):
    outside = tmp_path / "host/var/lib/dhcp/dhclient.eth0.leases"
    outside.parent.mkdir(parents=True)
    outside.write_bytes(b"lease {\n  option dhcp-server-identifier 192.0.2.66;\n}\n")
    root = tmp_path / "guest"
    leases = root / "var/lib/dhcp"
    leases.mkdir(parents=True)
    (leases / "dhclient.eth0.leases").symlink_to(outside)  # absolute: the host's file
    (leases / "dhclient.eth1.leases").symlink_to("/etc/eth1.lease")  # the guest's file
    (root / "etc").mkdir()
    (root / "etc/eth1.lease").write_bytes(
        b"lease {\n  option dhcp-server-identifier 10.0.0.1;\n}\n"
    )
    assert find_dhcp_servers(Root(root)) == ["10.0.0.1"]
