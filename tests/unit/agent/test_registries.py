"""Every registered source and plugin imports, fits its Protocol, is named after its module,
has a test module and a docs row; every config key is documented."""

from __future__ import annotations

import importlib
from pathlib import Path

import msgspec
import pytest

from wincloud.agent.config import AgentConfig
from wincloud.agent.plugins import DEFAULT_ORDER, Frequency, Stage
from wincloud.agent.plugins import REGISTRY as PLUGINS
from wincloud.agent.sources import DEFAULT_SOURCES
from wincloud.agent.sources import REGISTRY as SOURCES

REPO = Path(__file__).resolve().parents[3]
AGENT_DOC = (REPO / "docs/agent.md").read_text()
CONFIG_DOC = (REPO / "docs/agent-config.md").read_text()


def load(target):
    module_name, _, attr = target.partition(":")
    return module_name, getattr(importlib.import_module(module_name), attr)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_source_entry(name):
    module_name, cls = load(SOURCES[name])
    assert module_name.rsplit(".", 1)[1] == name == cls.name
    for method in ("probe", "load", "password_sink"):
        assert callable(getattr(cls, method))
    assert (REPO / f"tests/unit/agent/sources/test_{name}.py").is_file()
    assert f"| `{name}` |" in AGENT_DOC


@pytest.mark.parametrize("name", sorted(PLUGINS))
def test_plugin_entry(name):
    module_name, cls = load(PLUGINS[name])
    assert module_name.rsplit(".", 1)[1] == name == cls.name
    assert isinstance(cls.stage, Stage) and isinstance(cls.frequency, Frequency)
    assert callable(cls.run)
    assert (REPO / f"tests/unit/agent/plugins/test_{name}.py").is_file()
    assert f"| `{name}` | {cls.stage} | {cls.frequency} |" in AGENT_DOC


def test_defaults_name_registered_entries():
    assert set(DEFAULT_ORDER) == set(PLUGINS)
    assert set(DEFAULT_SOURCES) == set(SOURCES)


def config_keys(cls, prefix=""):
    for field in msgspec.structs.fields(cls):
        default = field.default_factory() if callable(field.default_factory) else field.default
        if isinstance(default, msgspec.Struct):
            yield from config_keys(type(default), f"{field.name}.")
        else:
            yield prefix, field.name


@pytest.mark.parametrize("section, key", list(config_keys(AgentConfig)))
def test_every_config_key_is_documented(section, key):
    part = CONFIG_DOC
    if section:
        part = CONFIG_DOC.split(f"## `[{section[:-1]}]`", 1)[1].split("\n## ", 1)[0]
    assert f"| `{key}` |" in part
