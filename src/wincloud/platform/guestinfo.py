"""VMware guestinfo through VMware Tools' RPC tool, shared by the POSIX and Windows backends:
``<tool> "info-get guestinfo.<key>"`` prints the value and exits 0; an unset key, or a
machine that is not VMware, exits non-zero. Decisions only: the caller runs the program.

A tool that is not installed is skipped; one that runs but does not finish (killed at the
timeout) or cannot be started for another reason is an error, not an unset key: read as
"unset", a ``guestinfo.userdata`` that timed out made the agent apply the metadata without
its user data, and the per-instance user-data step was then done with nothing to run."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from wincloud.errors import PlatformError
from wincloud.platform.base import Processes

KEY: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
"""A guestinfo key: the RPC is one text command, so a space would start another argument."""
TIMEOUT: Final = 10.0
NOT_INSTALLED: Final = frozenset({2, 3, 5, 13})
"""``os_code`` of a program that cannot be started because it is not there or not ours to run:
POSIX ENOENT (2) and EACCES (13); Windows ERROR_FILE_NOT_FOUND (2), ERROR_PATH_NOT_FOUND (3)
and ERROR_ACCESS_DENIED (5)."""
MAX_VALUE: Final = 4 * 1024 * 1024
"""vSphere caps a VM's whole guestinfo (extraConfig) far below this."""


def check_key(key: str) -> None:
    if not KEY.fullmatch(key):
        raise PlatformError(
            "not a guestinfo key",
            operation="guestinfo",
            subject=key[:100],
            hint="letters, digits, '.', '_', '-' (e.g. metadata.encoding)",
        )


def read_guestinfo(processes: Processes, tools: Sequence[Sequence[str]], key: str) -> bytes | None:
    """The value from the first of ``tools`` (argv prefixes) that is installed; None when none
    is, or the first that is says the key is unset or this is not VMware. PlatformError when
    that tool does not finish (timeout) or fails to start for another reason."""
    check_key(key)
    for prefix in tools:
        try:
            done = processes.run([*prefix, f"info-get guestinfo.{key}"], timeout=TIMEOUT)
        except PlatformError as exc:
            if exc.os_code in NOT_INSTALLED:
                continue
            raise PlatformError(
                f"guestinfo not read ({exc.message})",
                operation="guestinfo",
                os_code=exc.os_code,
                subject=f"guestinfo.{key}",
            ) from None
        if done.exit_code != 0:
            return None
        if len(done.stdout) > MAX_VALUE:
            raise PlatformError(
                f"guestinfo value larger than {MAX_VALUE} bytes",
                operation="guestinfo",
                subject=f"guestinfo.{key}",
            )
        value = done.stdout.rstrip(b"\r\n")
        return value or None
    return None
