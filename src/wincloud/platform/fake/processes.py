"""FakeProcesses: programs are Python callables; scripts run in a tiny shell.

The tiny shell understands what the contract suites use: ``echo WORDS``, ``exit N``,
``sleep SECONDS``, ``cat`` (stdin to stdout), ``true`` and ``false``; for the Windows script
kinds also ``rem``, ``Write-Host``/``Write-Output`` (echo) and ``exit /b N``. Sleeping longer
than the timeout raises the same PlatformError a real timeout does, without waiting. A
POSIX-like fake runs no PowerShell or cmd script (NotSupported), as the POSIX backend.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from wincloud.errors import NotSupported, PlatformError
from wincloud.platform.base import Completed, ScriptKind

Program = Callable[[Sequence[str], bytes], Completed]


@dataclass(frozen=True)
class Ran:
    argv: tuple[str, ...]
    script: bytes | None = None
    kind: ScriptKind | None = None


class _Timeout(Exception):
    pass


def _shell(lines: Sequence[str], stdin: bytes, timeout: float) -> tuple[int, bytes]:
    out = b""
    slept = 0.0
    code = 0
    for line in lines:
        words = shlex.split(line, comments=True)
        if not words:
            continue
        verb, args = words[0].lower(), words[1:]
        if verb == "rem":
            continue
        if verb == "exit" and args[:1] in (["/b"], ["/B"]):
            args = args[1:]
        if verb in {"echo", "write-host", "write-output"}:
            out += (" ".join(args) + "\n").encode()
            code = 0
        elif verb == "exit":
            return (int(args[0]) if args else code), out
        elif verb == "sleep":
            slept += float(args[0])
            if slept > timeout:
                raise _Timeout
            code = 0
        elif verb == "cat":
            out += stdin
            code = 0
        elif verb in {"true", "false"}:
            code = 0 if verb == "true" else 1
        else:
            out += f"{verb}: not found\n".encode()
            code = 127
    return code, out


class FakeProcesses:
    def __init__(
        self, programs: Mapping[str, Program] | None = None, *, windows: bool = False
    ) -> None:
        self.programs: dict[str, Program] = dict(programs or {})
        self.windows = windows
        self.ran: list[Ran] = []

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
        self.ran.append(Ran(args))
        program = self.programs.get(args[0])
        if program is not None:
            return program(args, stdin or b"")
        name = args[0].rsplit("/", 1)[-1]
        if name == "sh" and len(args) >= 3 and args[1] == "-c":
            return self._run_shell(args, args[2].splitlines(), stdin or b"", timeout)
        if name in {"echo", "exit", "sleep", "cat", "true", "false"}:
            return self._run_shell(args, [shlex.join([name, *args[1:]])], stdin or b"", timeout)
        raise PlatformError("program not found", operation="run", subject=args[0], os_code=2)

    def run_script(
        self, script: bytes, *, name: str, timeout: float, kind: ScriptKind = "shebang"
    ) -> Completed:
        if kind != "shebang" and not self.windows:
            raise NotSupported(
                f"{kind} scripts run on Windows only", operation="run_script", subject=name
            )
        if kind == "shebang" and not script.startswith(b"#!"):
            raise PlatformError("a script needs a #! line", operation="run_script", subject=name)
        self.ran.append(Ran((name,), script, kind))
        lines = script.decode("utf-8-sig", "replace").splitlines()
        if kind == "shebang":
            lines = lines[1:]
        return self._run_shell((name,), lines, b"", timeout)

    def _run_shell(
        self, argv: tuple[str, ...], lines: Sequence[str], stdin: bytes, timeout: float
    ) -> Completed:
        try:
            code, out = _shell(lines, stdin, timeout)
        except _Timeout:
            raise PlatformError(
                f"timed out after {timeout:g} s", operation="run", subject=argv[0]
            ) from None
        return Completed(argv, code, out, b"")
