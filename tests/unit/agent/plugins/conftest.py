import msgspec
import pytest

from wincloud.agent.config import AgentConfig
from wincloud.agent.metadata import InstanceMetadata
from wincloud.agent.plugins import RunContext, Stage
from wincloud.errors import PasswordAlreadySet
from wincloud.platform.fake import fake_platform


class MemorySink:
    """A password endpoint: write-once, like Nova's."""

    where = "memory://password"

    def __init__(self, stored: bytes = b""):
        self.stored = stored
        self.posts = 0

    def is_set(self):
        return bool(self.stored)

    def read(self):
        return self.stored or None

    def post(self, ciphertext):
        self.posts += 1
        if self.stored:
            raise PasswordAlreadySet("already set", subject=self.where)
        self.stored = ciphertext


@pytest.fixture
def metadata():
    return InstanceMetadata(instance_id="i-1", source="test", where="memory")


class MemoryReports:
    """A report sink that keeps what was posted; ``offered=False`` answers as a service
    without the endpoint."""

    where = "memory://reports"

    def __init__(self, offered=True):
        self.offered = offered
        self.posted = []

    def post(self, name, document):
        self.posted.append((name, dict(document)))
        return self.offered


@pytest.fixture
def win():
    """A Windows-like fake platform."""
    return fake_platform(family="windows")


@pytest.fixture
def make_ctx(platform, metadata):
    def factory(config=None, sink=None, *, on=None, reports=None, memo=None, **md_changes):
        return RunContext(
            platform=on or platform,
            config=config or AgentConfig(),
            stage=Stage.MAIN,
            found=msgspec.structs.replace(metadata, **md_changes),
            password_sink=sink,
            report_sink=reports,
            memo={} if memo is None else memo,
        )

    return factory


@pytest.fixture
def root(tmp_path):
    """A scratch root for the POSIX backend, run for real."""
    from tests.unit.platform.conftest import make_root

    return make_root(tmp_path / "root")


@pytest.fixture
def posix(root):
    from wincloud.platform.posix import posix_platform

    return posix_platform(root)
