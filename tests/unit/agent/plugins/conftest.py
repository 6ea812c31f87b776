import dataclasses

import pytest

from wincloud.agent.config import AgentConfig
from wincloud.agent.metadata import InstanceMetadata
from wincloud.agent.plugins import RunContext, Stage
from wincloud.errors import PasswordAlreadySet


class MemorySink:
    """A password endpoint: write-once, like Nova's."""

    where = "memory://password"

    def __init__(self, stored: bytes = b""):
        self.stored = stored
        self.posts = 0

    def is_set(self):
        return bool(self.stored)

    def post(self, ciphertext):
        self.posts += 1
        if self.stored:
            raise PasswordAlreadySet("already set", subject=self.where)
        self.stored = ciphertext


@pytest.fixture
def metadata():
    return InstanceMetadata(instance_id="i-1", source="test", where="memory")


@pytest.fixture
def make_ctx(platform, metadata):
    def factory(config=None, sink=None, **md_changes):
        return RunContext(
            platform=platform,
            config=config or AgentConfig(),
            stage=Stage.MAIN,
            found=dataclasses.replace(metadata, **md_changes),
            password_sink=sink,
        )

    return factory
