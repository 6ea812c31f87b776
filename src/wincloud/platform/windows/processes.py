"""WindowsProcesses: programs in a job object (a timeout kills the whole tree), scripts by
kind with the right interpreter: PowerShell and cmd.exe from the *native* system directory
(``%WINDIR%\\Sysnative`` when this Python is 32-bit on 64-bit Windows, else ``System32``), or
the 32-bit PowerShell from ``SysWOW64`` for ``powershell_x86``."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Mapping, Sequence
from typing import Final

from wincloud.errors import NotSupported, PlatformError
from wincloud.platform.base import Completed, ScriptKind
from wincloud.platform.windows._win32.kernel32 import Kernel32
from wincloud.platform.windows._win32.spawn import Spawner
from wincloud.platform.windows.files import WindowsFiles

SCRIPTS_DIR: Final = r"C:\ProgramData\wincloud\scripts"
POWERSHELL: Final = r"WindowsPowerShell\v1.0\powershell.exe"
PS_FLAGS: Final = ("-NoLogo", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass")


class WindowsProcesses:
    def __init__(
        self,
        spawner: Spawner,
        kernel32: Kernel32,
        files: WindowsFiles,
        *,
        python: str = sys.executable,
        is_64bit_process: bool = sys.maxsize > 2**32,
    ) -> None:
        self.spawner = spawner
        self.kernel32 = kernel32
        self.files = files
        self.python = python
        self.is_64bit_process = is_64bit_process

    def native_system_dir(self) -> str:
        windir = self.kernel32.windows_directory()
        return windir + ("\\Sysnative" if self.kernel32.is_wow64() else "\\System32")

    def x86_system_dir(self) -> str:
        # a 32-bit process already sees the 32-bit System32 (WOW64 redirects it)
        windir = self.kernel32.windows_directory()
        return windir + ("\\SysWOW64" if self.is_64bit_process else "\\System32")

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Completed:
        if not argv:
            raise PlatformError("empty command", operation="run")
        return self.spawner.run(argv, timeout=timeout, stdin=stdin, env=env)

    def interpreter(self, kind: ScriptKind, script: bytes, name: str) -> list[str]:
        """The argv prefix that runs a script file of this kind."""
        if kind in ("powershell", "powershell_sysnative"):
            return [f"{self.native_system_dir()}\\{POWERSHELL}", *PS_FLAGS, "-File"]
        if kind == "powershell_x86":
            return [f"{self.x86_system_dir()}\\{POWERSHELL}", *PS_FLAGS, "-File"]
        if kind == "cmd":
            return [f"{self.native_system_dir()}\\cmd.exe", "/d", "/c"]
        if not script.startswith(b"#!"):
            raise PlatformError("a script needs a #! line", operation="run_script", subject=name)
        first = script.split(b"\n", 1)[0][2:].decode("utf-8", "replace").strip().split()
        program = " ".join(first).replace("\\", "/").rsplit("/", 1)[-1].lower()
        if first and first[0].endswith("env") and len(first) > 1:
            program = first[1].lower()
        if program.startswith("python"):
            return [self.python]
        if program.startswith(("powershell", "pwsh")):
            return self.interpreter("powershell", script, name)
        raise NotSupported(
            "this #! interpreter is not available on Windows",
            operation="run_script",
            subject=name,
            hint="use #ps1 (PowerShell), rem cmd (batch) or #!python",
        )

    def run_script(
        self, script: bytes, *, name: str, timeout: float, kind: ScriptKind = "shebang"
    ) -> Completed:
        prefix = self.interpreter(kind, script, name)
        extension = {"cmd": ".cmd", "shebang": ".py" if prefix == [self.python] else ".ps1"}.get(
            kind, ".ps1"
        )
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        digest = hashlib.sha256(script).hexdigest()[:12]
        stem = safe[: -len(extension)] if safe.lower().endswith(extension) else safe
        path = f"{SCRIPTS_DIR}\\{stem}-{digest}{extension}"
        self.files.make_dir(SCRIPTS_DIR, mode=0o700)
        self.files.write(path, script, mode=0o600)
        try:
            return self.spawner.run([*prefix, str(self.files.host(path))], timeout=timeout)
        finally:
            self.files.remove(path)
