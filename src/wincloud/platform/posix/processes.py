"""PosixProcesses: programs in their own session, killed as a group on timeout or when the
caller is interrupted while waiting."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Final

from wincloud.errors import NotSupported, PlatformError
from wincloud.platform.base import Completed, ScriptKind
from wincloud.platform.posix._root import Root, os_error

SCRIPTS_DIR: Final = "/var/lib/wincloud/scripts"


class PosixProcesses:
    def __init__(self, root: Root) -> None:
        self.root = root

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Completed:
        args = tuple(argv)
        if not args:
            raise PlatformError("empty command", operation="run")
        full_env = dict(os.environ)
        full_env.update(env or {})
        try:
            proc = subprocess.Popen(
                args,
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=full_env,
                start_new_session=True,
            )
        except OSError as exc:
            raise os_error("run", exc, args[0]) from None
        try:
            out, err = proc.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            proc.communicate()
            raise PlatformError(
                f"timed out after {timeout:g} s", operation="run", subject=args[0]
            ) from None
        except BaseException:
            # Interrupted (Ctrl-C, or a signal handler raising): the program and its children
            # must not outlive the caller, writing into what the caller then cleans up.
            _kill_group(proc.pid)
            with contextlib.suppress(Exception):
                proc.communicate(timeout=5)
            raise
        return Completed(args, proc.returncode, out, err)

    def run_script(
        self, script: bytes, *, name: str, timeout: float, kind: ScriptKind = "shebang"
    ) -> Completed:
        if kind != "shebang":
            raise NotSupported(
                f"{kind} scripts run on Windows only", operation="run_script", subject=name
            )
        if not script.startswith(b"#!"):
            raise PlatformError("a script needs a #! line", operation="run_script", subject=name)
        import hashlib  # only for scripts: not on the agent's import path

        digest = hashlib.sha256(script).hexdigest()[:12]
        host = self.root.host(f"{SCRIPTS_DIR}/{name.replace('/', '_')}-{digest}")
        if not host.parent.is_dir():
            self.root.make_dirs(host.parent, mode=0o700)
        self.root.write_atomic(host, script, mode=0o700)
        env = {"WINCLOUD_ROOT": str(self.root.path)}
        return self.run([str(host)], timeout=timeout, env=env)


def _kill_group(pid: int) -> None:
    if sys.platform != "win32":
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
