"""VMware guestinfo through VMware Tools' RPC tool, shared by the POSIX and Windows backends:
``<tool> "info-get guestinfo.<key>"`` prints the value and exits 0; an unset key, or a
machine that is not VMware, exits non-zero. Decisions only: the caller runs the program."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from wincloud.errors import PlatformError
from wincloud.platform.base import Processes

KEY: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
"""A guestinfo key: the RPC is one text command, so a space would start another argument."""
TIMEOUT: Final = 10.0
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
    """The value from the first of ``tools`` (argv prefixes) that runs; None when none is
    installed, or the first that runs says the key is unset or this is not VMware."""
    check_key(key)
    for prefix in tools:
        try:
            done = processes.run([*prefix, f"info-get guestinfo.{key}"], timeout=TIMEOUT)
        except PlatformError:
            continue  # not installed here (or hung: killed at the timeout)
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
