"""CloudStack: the virtual router's metadata and its password server, found through the DHCP
leases, served here by a stateful fake router (an httpx.MockTransport over the fixture)."""

from pathlib import Path

import httpx
import pytest

from tests.unit.agent.conftest import with_section
from wincloud.agent.config import AgentConfig
from wincloud.agent.http import create_client
from wincloud.agent.sources import SourceDeps
from wincloud.agent.sources.cloudstack import CloudStackSource, parse_cloudstack
from wincloud.agent.tree import DirTree, MemoryTree
from wincloud.errors import InvalidMetadata, SourceUnavailable

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures/sources/cloudstack"
ROUTER = "10.1.1.1"


class FakeRouter:
    """The router's two services, with the password server's memory: a password is handed
    out until ``saved_password`` is sent."""

    def __init__(self, *, password: str | None = "Cs-Pass-2026!", down: bool = False) -> None:
        self.password = password
        self.down = down
        self.requests: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != ROUTER or self.down:
            raise httpx.ConnectError("refused", request=request)
        if request.url.port == 8080:
            asked = request.headers.get("DomU_Request", "")
            self.requests.append(asked)
            if asked == "send_my_password":
                return httpx.Response(200, text=self.password or "saved_password")
            if asked == "saved_password":
                self.password = None
                return httpx.Response(200, text="saved_password")
            return httpx.Response(200, text="bad_request")
        path = FIXTURE / request.url.path.strip("/")
        if path.is_file():
            return httpx.Response(200, content=path.read_bytes())
        return httpx.Response(404)


def deps(platform, router, **config) -> SourceDeps:
    client = create_client(transport=httpx.MockTransport(router))
    return SourceDeps(
        config=with_section(AgentConfig(), "cloudstack", **config),
        platform=platform,
        http=lambda: client,
    )


def test_cloudstack_fixture_maps_into_the_model():
    md = parse_cloudstack(DirTree(FIXTURE), source="cloudstack")
    assert (md.instance_id, md.hostname, md.availability_zone) == (
        "i-2-17-VM",
        "win-cs-01",
        "zone1",
    )
    assert list(md.public_keys.values()) == [
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQFixtureKeyTwo two@example"
    ]
    assert md.user_data == b"#cloud-config\ntimezone: Europe/Paris\n"
    assert md.local_ipv4 == "10.1.1.17"


def test_router_is_found_through_the_dhcp_lease(platform):
    platform.network.servers = ["192.0.2.9", ROUTER]
    router = FakeRouter()
    source = CloudStackSource(deps(platform, router))
    assert source.probe() is True
    assert source.where == f"http://{ROUTER}"
    md = source.load()
    assert md.instance_id == "i-2-17-VM"
    assert md.admin_pass is not None and md.admin_pass.reveal() == "Cs-Pass-2026!"


def test_password_is_acknowledged_only_when_the_plugin_says_it_is_in_effect(platform):
    platform.network.servers = [ROUTER]
    router = FakeRouter()
    md = CloudStackSource(deps(platform, router)).load()
    assert router.requests == ["send_my_password"]  # read, not yet acknowledged
    again = CloudStackSource(deps(platform, router)).load()  # a run that stopped first
    assert again.admin_pass is not None and again.admin_pass.reveal() == "Cs-Pass-2026!"
    assert md.acknowledge_password is not None
    md.acknowledge_password()
    assert router.requests[-1] == "saved_password"
    assert router.password is None
    assert CloudStackSource(deps(platform, router)).load().admin_pass is None


@pytest.mark.parametrize("answer", ["", "saved_password", "bad_request", "two\nlines"])
def test_no_new_password_leaves_admin_pass_unset(platform, answer):
    platform.network.servers = [ROUTER]
    router = FakeRouter(password=answer)
    md = CloudStackSource(deps(platform, router)).load()
    assert md.admin_pass is None
    assert md.acknowledge_password is None
    assert "saved_password" not in router.requests[1:]


def test_password_server_off_by_config(platform):
    platform.network.servers = [ROUTER]
    router = FakeRouter()
    assert CloudStackSource(deps(platform, router, password_server=False)).load().admin_pass is None
    assert router.requests == []


def test_password_server_down_keeps_the_metadata(platform):
    platform.network.servers = [ROUTER]

    def router(request):
        if request.url.port == 8080:
            raise httpx.ConnectError("refused", request=request)
        return FakeRouter()(request)

    md = CloudStackSource(deps(platform, router)).load()
    assert (md.instance_id, md.admin_pass) == ("i-2-17-VM", None)


def test_no_router_is_absent_not_an_error(platform):
    platform.network.servers = ["192.0.2.9"]
    assert CloudStackSource(deps(platform, FakeRouter())).probe() is False


def test_configured_url_that_does_not_answer_is_unavailable(platform):
    source = CloudStackSource(deps(platform, FakeRouter(down=True), url=f"http://{ROUTER}"))
    with pytest.raises(SourceUnavailable):
        source.probe()


def test_candidates_are_leases_then_data_server(platform):
    platform.network.servers = ["10.0.0.1", "fd00::1", "10.0.0.1"]
    source = CloudStackSource(deps(platform, FakeRouter()))
    assert source.candidates() == ["http://10.0.0.1", "http://[fd00::1]", "http://data-server"]


@pytest.mark.parametrize(
    "files",
    [
        {},
        {"latest/meta-data/instance-id": b"  "},
        {"latest/meta-data/instance-id": b"\xff\xfe"},
        {"latest/meta-data/instance-id": b"a\nb"},
        {"latest/meta-data/instance-id": b"x" * 300},
        {"latest/meta-data/instance-id": b"i", "latest/meta-data/public-keys": b"k\n" * 101},
    ],
)
def test_hostile_metadata_is_invalid(files):
    with pytest.raises(InvalidMetadata):
        parse_cloudstack(MemoryTree(files), source="cloudstack")


def test_oversized_password_answer_is_ignored(platform):
    platform.network.servers = [ROUTER]
    router = FakeRouter(password="p" * 5000)
    assert CloudStackSource(deps(platform, router)).load().admin_pass is None


class Unanswered:
    """A network where no candidate answers: records each host asked (in order) and the
    timeout each request was given; ``clock``, when given, moves on by that timeout, as a
    request that times out would."""

    def __init__(self, clock: list[float] | None = None) -> None:
        self.clock = clock
        self.hosts: list[str] = []
        self.timeouts: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.hosts.append(request.url.host)
        timeout = request.extensions["timeout"]["read"]
        self.timeouts.append(timeout)
        if self.clock is not None:
            self.clock[0] += timeout
            raise httpx.ConnectTimeout("timed out", request=request)
        raise httpx.ConnectError("refused", request=request)


def test_many_lease_servers_are_capped_and_the_skipped_ones_logged(platform, caplog):
    """64 leases (the most the OS leases are read from) and no router: 3 lease servers and
    ``data-server`` are tried, not 65 timeouts; the log names what was left out."""
    servers = [f"10.9.0.{n}" for n in range(1, 65)]
    platform.network.servers = [*servers, servers[0], servers[2]]  # repeats are one candidate
    network = Unanswered()
    source = CloudStackSource(deps(platform, network))
    with caplog.at_level("WARNING", logger="wincloud.agent.sources.cloudstack"):
        assert source.probe() is False
    assert network.hosts == ["10.9.0.1", "10.9.0.2", "10.9.0.3", "data-server"]
    skipped = [r.getMessage() for r in caplog.records if "candidates skipped" in r.getMessage()]
    assert len(skipped) == 1
    assert "reason=over-limit" in skipped[0] and "count=61" in skipped[0]
    assert "10.9.0.4" in skipped[0] and "+53 more" in skipped[0]


def test_lease_servers_that_cannot_be_a_router_are_not_tried(platform):
    platform.network.servers = ["0.0.0.0", "255.255.255.255", "224.0.0.1", "::", ROUTER]
    source = CloudStackSource(deps(platform, FakeRouter()))
    assert source.candidates() == [f"http://{ROUTER}", "http://data-server"]


def test_candidates_share_one_time_budget(platform, caplog):
    """Each candidate gets what is left of the budget (at most cloudstack.timeout); one the
    budget leaves no time for is logged and not tried. The clock is a fake one that each
    unanswered request moves on by its whole timeout."""
    from wincloud.agent.sources.cloudstack import PROBE_BUDGET

    timeout = PROBE_BUDGET * 0.4
    clock = [1000.0]
    network = Unanswered(clock)
    platform.network.servers = ["10.9.0.1", "10.9.0.2", "10.9.0.3"]
    source = CloudStackSource(deps(platform, network, timeout=timeout))
    source.clock = lambda: clock[0]
    with caplog.at_level("WARNING", logger="wincloud.agent.sources.cloudstack"):
        assert source.probe() is False
    assert network.hosts == ["10.9.0.1", "10.9.0.2", "10.9.0.3"]
    assert network.timeouts == pytest.approx([timeout, timeout, PROBE_BUDGET - 2 * timeout])
    assert sum(network.timeouts) <= PROBE_BUDGET
    (line,) = [r.getMessage() for r in caplog.records if "reason=time-budget" in r.getMessage()]
    assert "skipped=data-server" in line


def test_a_configured_url_gets_its_whole_timeout_whatever_the_budget(platform):
    from wincloud.agent.sources.cloudstack import PROBE_BUDGET

    clock = [0.0]
    network = Unanswered(clock)
    timeout = PROBE_BUDGET * 2
    source = CloudStackSource(deps(platform, network, url=f"http://{ROUTER}", timeout=timeout))
    source.clock = lambda: clock[0]
    with pytest.raises(SourceUnavailable):
        source.probe()
    assert network.timeouts == [timeout]


def test_lease_files_on_disk_give_at_most_three_routers_newest_first(tmp_path):
    """The real POSIX lease reader over 64 dhclient lease files (each naming its own server
    on 127.0.0.x): the newest three leases' servers are asked, then data-server."""
    import os

    from wincloud.platform.posix import posix_platform

    folder = tmp_path / "var/lib/dhcp"
    folder.mkdir(parents=True)
    for n in range(64):
        lease = folder / f"dhclient.eth{n}.leases"
        lease.write_text(f"lease {{\n  option dhcp-server-identifier 127.0.0.{n + 2};\n}}\n")
        os.utime(lease, (1_700_000_000 + n, 1_700_000_000 + n))
    network = Unanswered()
    source = CloudStackSource(deps(posix_platform(tmp_path), network))
    assert source.probe() is False
    assert network.hosts == ["127.0.0.65", "127.0.0.64", "127.0.0.63", "data-server"]
