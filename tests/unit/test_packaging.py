"""packaging/: the systemd unit, the container recipe and their config files use only real
`wincloud metadata serve` options and real server settings, and agree with each other (paths,
ports, capabilities), so that they cannot drift from the code."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import fields
from pathlib import Path

import pytest
from click.testing import CliRunner

from wincloud.cli import cli
from wincloud.errors import ConfigError
from wincloud.server.admin_openapi import openapi_document
from wincloud.server.run import RESERVED_FILES
from wincloud.server.settings import ServerSettings, load_settings

REPO = Path(__file__).resolve().parents[2]
SYSTEMD = REPO / "packaging/systemd"
CONTAINER = REPO / "packaging/container"
SETTINGS = {f.name for f in fields(ServerSettings)}


def serve_flags() -> set[str]:
    """The long options `wincloud metadata serve --help` lists."""
    result = CliRunner().invoke(cli, ["metadata", "serve", "--help"])
    assert result.exit_code == 0, result.output
    flags = set()
    for line in result.output.splitlines():
        match = re.match(r"\s+(?:-\w, )?(--[a-z][a-z0-9-]*)", line)
        if match:
            flags.add(match.group(1))
    assert {"--db", "--config", "--listen"} <= flags, result.output
    return flags


def unit_entries(path: Path) -> dict[str, list[str]]:
    """`Key=value` lines of a unit file, per key (a key may repeat), without comments."""
    entries: dict[str, list[str]] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"not Key=value: {line!r}"
        entries.setdefault(key.strip(), []).append(value.strip())
    return entries


def containerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in path.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        op, _, rest = (pending + line).strip().partition(" ")
        out.append((op.upper(), rest.strip()))
        pending = ""
    return out


def options(argv: list[str]) -> dict[str, str]:
    """`--flag value` pairs of a command line; a flag without a value maps to ""."""
    found = {}
    for i, arg in enumerate(argv):
        if arg.startswith("--"):
            value = argv[i + 1] if i + 1 < len(argv) else ""
            found[arg] = "" if value.startswith("--") else value
    return found


def check_serve_command(argv: list[str]) -> dict[str, str]:
    assert Path(argv[0]).name == "wincloud", argv
    assert argv[1:3] == ["metadata", "serve"], argv
    used = options(argv[3:])
    unknown = set(used) - serve_flags()
    assert not unknown, f"not options of `wincloud metadata serve`: {sorted(unknown)}"
    assert "--create" not in argv, "the store is created by `wincloud db init`, not the service"
    assert {"--db", "--config"} <= set(used)
    # Four slashes: an absolute path (three would be relative to the working directory).
    assert used["--db"].startswith("sqlite:////"), used["--db"]
    return used


def commented_keys(path: Path) -> set[str]:
    """Settings shown commented out (`# admin_token = "..."`): they must be real too."""
    return set(re.findall(r"^#\s*([a-z_]+)\s*=", path.read_text(), flags=re.MULTILINE))


# -- the systemd unit ------------------------------------------------------------------------------


def test_the_unit_runs_metadata_serve_with_real_flags_and_its_store_in_its_state_directory():
    unit = unit_entries(SYSTEMD / "wincloud-metadata.service")
    (exec_start,) = unit["ExecStart"]
    used = check_serve_command(shlex.split(exec_start))
    (state,) = unit["StateDirectory"]
    db_path = Path(used["--db"].removeprefix("sqlite:///"))
    # ProtectSystem=strict leaves only the state directory writable: the store must be in it.
    assert unit["ProtectSystem"] == ["strict"]
    assert db_path.parent == Path("/var/lib") / state, used["--db"]
    # The config file installed by the README is the one the unit reads.
    assert used["--config"] == "/etc/wincloud/metadata.toml"
    assert "/etc/wincloud/metadata.toml" in (SYSTEMD / "README.md").read_text()


def test_the_units_config_file_loads_and_the_unit_grants_what_its_listen_address_needs():
    path = SYSTEMD / "metadata.toml"
    settings = load_settings(path)  # unknown keys and bad values are errors
    assert commented_keys(path) <= SETTINGS, commented_keys(path) - SETTINGS
    unit = unit_entries(SYSTEMD / "wincloud-metadata.service")
    assert unit["User"] != ["root"]
    if settings.listen.port < 1024:
        assert "CAP_NET_BIND_SERVICE" in unit["AmbientCapabilities"][0].split()
        assert "CAP_NET_BIND_SERVICE" in unit["CapabilityBoundingSet"][0].split()
    (limit,) = unit["LimitNOFILE"]
    # The service keeps RESERVED_FILES descriptors away from guests: a limit near that would
    # leave almost no connections.
    assert int(limit.split(":")[-1]) >= 16 * RESERVED_FILES


def test_the_unit_is_type_simple_unless_the_service_learns_sd_notify():
    (kind,) = unit_entries(SYSTEMD / "wincloud-metadata.service")["Type"]
    speaks_notify = any(
        "NOTIFY_SOCKET" in p.read_text() for p in (REPO / "src/wincloud").rglob("*.py")
    )
    assert kind == ("notify" if speaks_notify else "simple")


def test_unit_entries_reads_repeated_keys_and_skips_comments(tmp_path):
    path = tmp_path / "x.service"
    path.write_text("[Service]\n# A=1\nSystemCallFilter=@system-service\nSystemCallFilter=~@x\n")
    assert unit_entries(path) == {"SystemCallFilter": ["@system-service", "~@x"]}


# -- the container recipe --------------------------------------------------------------------------


def container() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for op, rest in containerfile_instructions(CONTAINER / "Containerfile"):
        found.setdefault(op, []).append(rest)
    return found


def test_the_container_runs_metadata_serve_with_real_flags_on_its_volume_as_a_user():
    recipe = container()
    argv = json.loads(recipe["ENTRYPOINT"][-1]) + json.loads(recipe["CMD"][-1])
    used = check_serve_command(argv)
    (volume,) = json.loads(recipe["VOLUME"][-1])
    assert Path(used["--db"].removeprefix("sqlite:///")).parent == Path(volume)
    assert recipe["USER"][-1] not in {"root", "0"}
    copied = [rest.split() for rest in recipe["COPY"]]
    assert ["packaging/container/metadata.toml", used["--config"]] in copied


def test_the_containers_config_loads_and_its_ports_match_expose_and_the_healthcheck():
    settings = load_settings(CONTAINER / "metadata.toml")
    recipe = container()
    exposed = {int(p.split("/")[0]) for p in recipe["EXPOSE"][-1].split()}
    assert settings.admin_listen is not None
    assert {settings.listen.port, settings.admin_listen.port} <= exposed
    (check,) = recipe["HEALTHCHECK"]
    url = re.search(r"http://([\d.]+):(\d+)(/\w+)", check)
    assert url is not None, check
    host, port, path = url.groups()
    assert (host, int(port)) == (settings.admin_listen.host, settings.admin_listen.port)
    # The admin API's own description: the path exists and needs no token.
    assert openapi_document()["paths"][path]["get"]["security"] == []


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["--db", "sqlite:////var/lib/w/m.db", "--config-file", "/etc/m.toml"], "--config-file"),
        (["--db", "sqlite:///var/lib/w/m.db", "--config", "/etc/m.toml"], "sqlite:///var"),
        (["--db", "sqlite:////var/lib/w/m.db", "--config", "/etc/m.toml", "--create"], "db init"),
    ],
)
def test_the_checks_catch_a_flag_that_does_not_exist_a_relative_store_and_create(argv, problem):
    with pytest.raises(AssertionError, match=problem):
        check_serve_command(["/opt/wincloud/bin/wincloud", "metadata", "serve", *argv])


def test_a_misspelt_setting_in_a_config_file_is_caught(tmp_path):
    path = tmp_path / "metadata.toml"
    path.write_text('[metadata]\nlisten = "0.0.0.0:8775"\n# admin_tokn = "..."\nworker = 2\n')
    with pytest.raises(ConfigError, match="worker"):
        load_settings(path)
    assert commented_keys(path) - SETTINGS == {"admin_tokn"}
