"""``wincloud agent collect-logs``: one .tar.gz for a bug report. Secrets stay out: the
instance data goes in redacted (no user data, no vendor data; passwords are never kept), the
log is already redacted when written, the state holds no secret."""

from __future__ import annotations

import contextlib
import io
import json
import os
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING, Final

from wincloud.agent.instance_data import read_instance_data, redact
from wincloud.agent.status import read_status
from wincloud.errors import ConfigError, WincloudError
from wincloud.platform.atomic import StagedFile

if TYPE_CHECKING:
    from wincloud.platform import Platform

MAX_LOG_BYTES: Final = 64 * 1024 * 1024
"""The end of a longer log file is taken."""
FIXED_MTIME: Final = 0


def collect(
    platform: Platform, out: Path, *, log_file: Path, config_file: Path | None
) -> list[str]:
    """Write the bundle to ``out`` (atomically, mode 0600); the member names are returned."""
    members: dict[str, bytes] = {}
    status = read_status(platform)
    members["status.json"] = _json(status.to_doc())
    state = platform.state.read()
    if state is not None:
        members["state.json"] = state
    try:
        instance = read_instance_data(platform)
    except WincloudError as exc:
        members["instance-data.error.txt"] = f"{exc}\n".encode()
    else:
        if instance is not None:
            members["instance-data.json"] = _json(redact(instance))
    if config_file is not None:
        with contextlib.suppress(OSError):
            members["agent.toml"] = config_file.read_bytes()
    with contextlib.suppress(OSError):
        members["agent.log"] = _tail(log_file)
    _write(out, members)
    return list(members)


def _json(doc: object) -> bytes:
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()


def _tail(path: Path) -> bytes:
    with path.open("rb") as stream:
        size = stream.seek(0, os.SEEK_END)
        stream.seek(max(0, size - MAX_LOG_BYTES))
        return stream.read(MAX_LOG_BYTES)


def _write(out: Path, members: dict[str, bytes]) -> None:
    """The bundle, private (0600), through ``platform.atomic``: any failure, Ctrl-C included,
    leaves no partial bundle and no staging file."""
    try:
        with StagedFile(out, mode=0o600) as raw, tarfile.open(fileobj=raw, mode="w:gz") as bundle:
            for name, data in members.items():
                info = tarfile.TarInfo(f"wincloud-agent/{name}")
                info.size, info.mode, info.mtime = len(data), 0o600, FIXED_MTIME
                bundle.addfile(info, io.BytesIO(data))
    except OSError as exc:
        raise ConfigError(f"cannot write the bundle ({exc.strerror})", subject=str(out)) from None
