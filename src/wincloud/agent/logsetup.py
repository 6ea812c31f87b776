"""Where the agent's log goes (a file, the console, optionally a serial port) and the filter
that keeps secrets out of it. The only module of the agent that configures handlers.

Lines read ``<time> <level> <logger> <event> key=value ...``; with ``format = "json"`` each line
is a JSON object instead. Every value registered with the Redactor (passwords, tokens) is
replaced by ``***`` in the final text, tracebacks included.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final

from msgspec import Struct, field

from wincloud.errors import WincloudError
from wincloud.secret import Secret

if TYPE_CHECKING:
    from wincloud.agent.config import LogConfig

log = logging.getLogger(__name__)

LOGGER: Final = "wincloud"
TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s %(message)s"
MIN_SECRET: Final = 3
MASK: Final = "***"


class Redactor:
    """The secret values seen so far in this run."""

    def __init__(self) -> None:
        self._values: set[str] = set()

    def add(self, value: str | Secret) -> None:
        text = value.reveal() if isinstance(value, Secret) else value
        if len(text) >= MIN_SECRET:
            self._values.add(text)

    def redact(self, text: str) -> str:
        for value in sorted(self._values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, MASK)
        return text


class RedactingFormatter(logging.Formatter):
    def __init__(self, redactor: Redactor, *, as_json: bool) -> None:
        super().__init__(TEXT_FORMAT)
        self.redactor = redactor
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        if not self.as_json:
            return self.redactor.redact(super().format(record))
        # Redacted before encoding: json.dumps escapes quotes, backslashes, control and
        # non-ASCII characters, after which a secret holding one no longer matches.
        redact = self.redactor.redact
        doc = {
            "ts": self.formatTime(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        if record.exc_info:
            doc["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(doc)


class LogSetup(Struct):
    """The handlers ``setup_logging`` attached (``close`` detaches them) and what went wrong."""

    handlers: list[logging.Handler] = field(default_factory=list)
    streams: list[IO[str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    previous: tuple[int, bool] = (logging.NOTSET, True)

    def close(self) -> None:
        """Detach and close the handlers; the logger is left as it was found."""
        logger = logging.getLogger(LOGGER)
        logger.setLevel(self.previous[0])
        logger.propagate = self.previous[1]
        for handler in self.handlers:
            logger.removeHandler(handler)
            handler.close()
        for stream in self.streams:
            stream.close()


DEFAULT_LOG: Final = "/var/log/wincloud/agent.log"


def default_log_file(root: Path | None) -> Path:
    """The default log file; under ``root``, with links resolved inside it (never outside)."""
    if sys.platform == "win32":
        return Path(r"C:\ProgramData\wincloud\agent.log")
    if root is None:
        return Path(DEFAULT_LOG)
    from wincloud.platform.posix import host_path

    return host_path(root, DEFAULT_LOG)


def setup_logging(
    config: LogConfig,
    redactor: Redactor,
    *,
    root: Path | None = None,
    console: IO[str] | None = None,
    open_serial: Callable[[str], IO[str]] | None = None,
) -> LogSetup:
    """Attach the configured handlers to the ``wincloud`` logger. A destination that cannot be
    opened is reported (and logged to the others) but never stops the agent."""
    setup = LogSetup()
    formatter = RedactingFormatter(redactor, as_json=config.format == "json")
    try:
        path = Path(config.file) if config.file else default_log_file(root)
    except WincloudError as exc:  # a link loop inside the root
        setup.problems.append(f"log file: {exc}")
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            setup.handlers.append(logging.FileHandler(path, encoding="utf-8"))
        except OSError as exc:
            setup.problems.append(f"log file {path}: {exc.strerror}")
    if config.console:
        setup.handlers.append(logging.StreamHandler(console or sys.stderr))
    if config.serial_port:
        try:
            opener = open_serial or _open_serial
            stream = opener(config.serial_port)
        except OSError as exc:
            setup.problems.append(f"serial port {config.serial_port}: {exc.strerror}")
        else:
            setup.streams.append(stream)
            setup.handlers.append(logging.StreamHandler(stream))
    logger = logging.getLogger(LOGGER)
    setup.previous = (logger.level, logger.propagate)
    logger.setLevel(config.level.upper())
    logger.propagate = False
    for handler in setup.handlers:
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    for problem in setup.problems:
        log.warning("log destination unavailable detail=%s", problem)
    return setup


def _open_serial(port: str) -> IO[str]:
    """A serial port as a text stream (``/dev/ttyS0``, ``COM1``): the firmware's settings are
    kept, as cloud consoles expect."""
    name = rf"\\.\{port}" if sys.platform == "win32" and not port.startswith("\\") else port
    return open(name, "w", encoding="utf-8", errors="replace", buffering=1)
