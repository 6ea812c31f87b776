"""Agent test fixtures: the instance's trees, a fake platform, source dependencies, and a
real metadata service on 127.0.0.1."""

from __future__ import annotations

import msgspec
import pytest

from wincloud.agent.config import AgentConfig
from wincloud.agent.http import create_client
from wincloud.agent.sources import SourceDeps
from wincloud.agent.tree import MemoryTree
from wincloud.platform.fake import fake_platform
from wincloud.tree import render_drive, render_http

from .mdserver import serve


@pytest.fixture
def platform():
    return fake_platform()


@pytest.fixture
def drive_files(instance):
    return render_drive(instance)


@pytest.fixture
def tree(drive_files):
    return MemoryTree(drive_files, where="drive")


@pytest.fixture
def http_client():
    client = create_client()
    yield client
    client.close()


def with_section(config: AgentConfig, section: str, **values) -> AgentConfig:
    """``config`` with some keys of one section replaced."""
    current = getattr(config, section)
    return msgspec.structs.replace(config, **{section: msgspec.structs.replace(current, **values)})


@pytest.fixture
def make_deps(platform, http_client):
    def factory(config: AgentConfig | None = None, **kwargs) -> SourceDeps:
        return SourceDeps(
            config=config or AgentConfig(),
            platform=platform,
            http=lambda: http_client,
            **kwargs,
        )

    return factory


@pytest.fixture
def md_server(instance):
    with serve(render_http(instance)) as running:
        yield running
