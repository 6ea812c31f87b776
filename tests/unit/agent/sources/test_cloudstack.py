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
