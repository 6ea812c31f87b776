from __future__ import annotations

import pytest

from tests.server_harness import running_server
from wincloud.server.settings import ServerSettings


@pytest.fixture
def local_instance(repo, make_instance):
    """An instance whose fixed address is 127.0.0.1: every test client is it."""
    return repo.add(make_instance(fixed_ips=["127.0.0.1"])).instance


@pytest.fixture
def server(repo, local_instance):
    with running_server(repo, ServerSettings(), admin=True) as running:
        yield running


@pytest.fixture
def client(server):
    with server.client() as c:
        yield c
