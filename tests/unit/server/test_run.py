"""Running the service (server/run.py): what it does to its process once it is up."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from wincloud.server import run
from wincloud.server.settings import Listen, ServerSettings


@pytest.fixture
def unfrozen() -> Iterator[None]:
    thresholds = gc.get_threshold()
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)  # Python's default
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_a_service_that_owns_its_process_tunes_its_garbage_collector(repo, unfrozen):
    settings = ServerSettings(listen=Listen("127.0.0.1", 0), access_log="off")
    service = run.Service(repo, settings)
    seen: list[tuple[int, int]] = []

    def ready(_addresses: list[tuple[str, int]]) -> None:
        seen.append((gc.get_freeze_count(), gc.get_threshold()[0]))
        service.stop()

    service.run(ready)  # on the main thread, as `wincloud metadata serve` runs it
    assert seen and seen[0][0] > 0
    assert seen[0][1] == run.GC_YOUNG


def test_a_service_run_in_a_thread_leaves_its_hosts_heap_alone(unfrozen):
    done: list[bool] = []
    thread = threading.Thread(target=lambda: done.append(run.settle_heap()))
    thread.start()
    thread.join(timeout=10)
    assert done == [False]
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold()[0] == 700


def test_the_workers_of_one_service_accept_each_others_tokens(repo, make_instance):
    """With workers > 1 and no token_key, a token one worker issued is valid at the others
    (a guest's next connection may land on any of them); each worker builds its app from
    the service's settings, as Service._worker does."""
    from wincloud.server.app import create_app

    uuid = repo.add(make_instance()).instance.uuid
    settings = ServerSettings(listen=Listen("127.0.0.1", 8775), access_log="off", workers=2)
    service = run.Service(repo, settings, repo_factory=lambda: repo)  # binds nothing yet
    first, second = create_app(repo, service.settings), create_app(repo, service.settings)
    try:
        assert second.tokens.is_valid(first.tokens.issue(uuid, 60), uuid)
    finally:
        first.close()
        second.close()
        service.app.close()


def test_workers_on_port_0_are_a_config_error_naming_listen(repo):
    from wincloud.errors import ConfigError

    settings = ServerSettings(listen=Listen("127.0.0.1", 0), access_log="off", workers=2)
    with pytest.raises(ConfigError, match="port 0") as caught:
        run.Service(repo, settings, repo_factory=lambda: repo)
    assert caught.value.subject.startswith("--listen")


@pytest.mark.parametrize(
    ("host", "only"),
    [("::", False), ("0::0", False), ("::1", True), ("fd00::5", True), ("localhost", True)],
)
def test_listening_on_every_ipv6_address_takes_ipv4_guests_too(host, only):
    """[::] is every address, IPv4 guests included (it refused them: connection refused);
    a given IPv6 address is IPv6 only. (Not bound here: unit tests stay on loopback.)"""
    assert run.ipv6_only(host) is only
