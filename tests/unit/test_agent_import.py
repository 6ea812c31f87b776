"""What the agent's entry point imports: never the heavy libraries nor the parts a boot may not
need (they load when a source, plugin or script needs them). Checked in a fresh interpreter
through sys.modules, not by timing; bench/agent_import.py measures the time."""

from __future__ import annotations

import subprocess
import sys

import pytest

RUN_ENTRY = (
    "wincloud.cli",
    "wincloud.cli.agent",
    "wincloud.agent.config",
    "wincloud.agent.logsetup",
    "wincloud.agent.run",
    "wincloud.platform",
    "wincloud.platform.posix",
)
HELP_ENTRY = (
    "from wincloud.cli import main\n"
    "try:\n    main(['agent', 'run', '--help'])\nexcept SystemExit:\n    pass\n"
)
NEVER = (
    # third-party libraries: a source or plugin imports them when it runs
    "yaml",
    "httpx",
    "pydantic",
    "cryptography",
    "sqlalchemy",
    "pycdlib",
    "bcrypt",
    # standard library parts only some boots need
    "ssl",
    "email",
    "http.client",
    "tomllib",  # a config file (load_config)
    "hashlib",  # a script to run (run_script)
    "dataclasses",  # records are msgspec Structs: no code generated per class at import
    # wincloud parts loaded by name when configured or needed
    "wincloud.agent.userdata",
    "wincloud.platform.posix._partitions",
    "wincloud.platform.windows",
    "wincloud.server",
    "wincloud.store",
)

# ...and before the run reads anything (click's --help measures the terminal with shutil)
NEVER_AT_RUN = (
    *NEVER,
    "tempfile",  # atomic writes name their staging file with os alone (platform.tempname)
    "shutil",
)


def loaded_by(code: str) -> set[str]:
    probe = code + "\nimport sys\nprint('\\n'.join(sorted(sys.modules)))\n"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    return set(done.stdout.split())


def test_the_run_entry_leaves_the_heavy_modules_out():
    loaded = loaded_by("import " + ", ".join(RUN_ENTRY))
    assert set(RUN_ENTRY) <= loaded
    assert sorted(name for name in NEVER_AT_RUN if name in loaded) == []


def test_the_run_entry_imports_no_plugin_or_source_module():
    loaded = loaded_by("import " + ", ".join(RUN_ENTRY))
    for package in ("wincloud.agent.plugins", "wincloud.agent.sources"):
        modules = {n for n in loaded if n.startswith(package + ".")}
        assert modules <= {f"{package}.base"}, sorted(modules)


@pytest.mark.parametrize(
    "name", ["wincloud.agent.config", "wincloud.agent.run", "wincloud.platform"]
)
def test_agent_run_help_imports_only_the_command_line(name):
    loaded = loaded_by(HELP_ENTRY)
    assert "wincloud.cli.agent" in loaded and "click" in loaded
    assert name not in loaded
    assert sorted(n for n in NEVER if n in loaded) == []
