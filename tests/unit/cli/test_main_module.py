"""``python -m wincloud`` exits with the status the command chose, like the console script."""

from __future__ import annotations

import runpy
import sys

import pytest


def test_python_dash_m_keeps_the_agents_exit_status(tmp_path, monkeypatch):
    config = tmp_path / "agent.toml"
    config.write_text('sources = ["nocloud"]\n[log]\nconsole = false\n')
    root = tmp_path / "root"
    root.mkdir()
    argv = ["wincloud", "agent", "run", "--root", str(root), "--config", str(config)]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as info:
        runpy.run_module("wincloud", run_name="__main__")
    assert info.value.code == 3  # no metadata, not 0
