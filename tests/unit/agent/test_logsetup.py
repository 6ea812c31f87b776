import io
import json
import logging

import pytest

from wincloud.agent.config import LogConfig
from wincloud.agent.logsetup import Redactor, setup_logging
from wincloud.secret import Secret

log = logging.getLogger("wincloud.agent.test")


@pytest.fixture
def logging_to(tmp_path):
    setups = []

    def start(**values):
        values.setdefault("file", str(tmp_path / "log" / "agent.log"))
        redactor = Redactor()
        console = io.StringIO()
        setup = setup_logging(LogConfig(**values), redactor, console=console)
        setups.append(setup)
        return redactor, console, tmp_path / "log" / "agent.log", setup

    yield start
    for setup in setups:
        setup.close()


def test_lines_go_to_the_file_and_the_console(logging_to):
    _, console, path, _ = logging_to()
    log.info("source selected name=%s", "configdrive")
    assert "INFO wincloud.agent.test source selected name=configdrive" in path.read_text()
    assert "source selected name=configdrive" in console.getvalue()


def test_registered_secrets_are_masked_everywhere(logging_to):
    redactor, console, path, _ = logging_to()
    redactor.add(Secret("Sup3r-Secret"))
    redactor.add("tok-abc")
    log.info("oops password=%s token=%s", "Sup3r-Secret", "tok-abc")
    try:
        raise ValueError("failed with Sup3r-Secret")
    except ValueError:
        log.exception("trace")
    for text in (path.read_text(), console.getvalue()):
        assert "Sup3r-Secret" not in text and "tok-abc" not in text
        assert "password=*** token=***" in text


def test_secret_objects_print_masked_even_unregistered(logging_to):
    _, console, _, _ = logging_to()
    log.info("value=%s", Secret("unregistered-pw"))
    assert "value=***" in console.getvalue()


def test_json_lines(logging_to):
    _, console, _, _ = logging_to(format="json")
    log.warning("plugin failed name=%s", "users")
    doc = json.loads(console.getvalue().splitlines()[-1])
    assert (doc["level"], doc["msg"]) == ("warning", "plugin failed name=users")


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("secret", ['Pa"ss\\w0rd!', "Pässwörd-123", "Tab\tPass1!"])
def test_secrets_with_escaped_characters_are_masked(logging_to, fmt, secret):
    redactor, console, _, _ = logging_to(format=fmt)
    redactor.add(secret)
    try:
        raise ValueError(f"bad password {secret}")
    except ValueError:
        log.exception("plugin failed error=%s", f"bad password {secret}")
    line = console.getvalue()
    encoded = json.dumps(secret)[1:-1]
    assert secret not in line and encoded not in line
    if fmt == "json":
        doc = json.loads(line.splitlines()[0])
        assert doc["msg"] == "plugin failed error=bad password ***"
        assert secret not in doc["exc"] and "ValueError: bad password ***" in doc["exc"]
    else:
        assert "plugin failed error=bad password ***" in line
        assert "ValueError: bad password ***" in line


def test_serial_port_gets_the_lines(logging_to, tmp_path):
    serial = tmp_path / "ttyS0"
    _, _, _, _setup = logging_to(serial_port=str(serial))
    log.info("hello serial")
    assert "hello serial" in serial.read_text()


def test_unavailable_destinations_do_not_stop_the_agent(logging_to, tmp_path):
    _, console, _, setup = logging_to(serial_port=str(tmp_path / "no/such/dir/ttyS9"))
    log.info("still logging")
    assert "still logging" in console.getvalue()
    assert "serial port" in console.getvalue()
    assert setup.problems


def test_level_filters(logging_to):
    _, console, _, _ = logging_to(level="warning")
    log.info("quiet")
    log.warning("loud")
    assert "quiet" not in console.getvalue() and "loud" in console.getvalue()


def test_the_default_log_under_a_root_stays_in_the_root(tmp_path):
    """<root>/var/log linked to a directory of this machine: the root's copy gets the log."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "var").mkdir(parents=True)
    outside.mkdir()
    (root / "var/log").symlink_to(outside)
    setup = setup_logging(LogConfig(console=False), Redactor(), root=root)
    try:
        logging.getLogger("wincloud.test").warning("inside")
    finally:
        setup.close()
    assert list(outside.iterdir()) == []
    inside = root / outside.relative_to("/") / "wincloud/agent.log"
    assert "inside" in inside.read_text()
