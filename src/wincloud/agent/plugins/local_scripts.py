"""Run the scripts of a local folder at every boot, in name order: ``local_scripts.path``,
default ``/etc/wincloud/scripts.d`` (POSIX) or ``C:\\ProgramData\\wincloud\\LocalScripts``
(Windows). ``*.ps1`` run in PowerShell (a ``#ps1_x86`` first line picks the 32-bit one),
``*.cmd`` and ``*.bat`` in cmd.exe, anything starting with ``#!`` by its interpreter; other
files are skipped. Exit codes 1001 and 1003 ask for a reboot (the scripts after it run
after the reboot); since the folder runs at every boot, a script asking for a reboot must
stop asking once its work is done (the agent's ``max_reboots`` bounds a loop)."""

from __future__ import annotations

import logging
from typing import ClassVar, Final

from wincloud.agent.plugins._scripts import run_scripts
from wincloud.agent.plugins.base import Frequency, Outcome, RunContext, Stage
from wincloud.agent.userdata.scripts import Script, script_kind
from wincloud.platform.base import ScriptKind

log = logging.getLogger(__name__)

POSIX_DIR: Final = "/etc/wincloud/scripts.d"
WINDOWS_DIR: Final = "C:\\ProgramData\\wincloud\\LocalScripts"


def kind_of(name: str, body: bytes) -> ScriptKind | None:
    lower = name.lower()
    announced = script_kind(body)
    if lower.endswith(".ps1"):
        return announced if announced and announced.startswith("powershell") else "powershell"
    if lower.endswith((".cmd", ".bat")):
        return "cmd"
    return "shebang" if announced == "shebang" else None


class LocalScriptsPlugin:
    name: ClassVar[str] = "local_scripts"
    stage: ClassVar[Stage] = Stage.MAIN
    frequency: ClassVar[Frequency] = Frequency.PER_BOOT

    def run(self, ctx: RunContext) -> Outcome:
        windows = ctx.platform.family == "windows"
        folder = ctx.config.local_scripts.path or (WINDOWS_DIR if windows else POSIX_DIR)
        files = ctx.platform.files
        names = files.list_dir(folder)
        if not names:
            return Outcome.SKIPPED
        scripts = []
        for name in names:
            if name.endswith("/"):
                continue
            path = folder.rstrip("\\/") + ("\\" if windows else "/") + name
            body = files.read(path) or b""
            kind = kind_of(name, body)
            if kind is None:
                log.info("local file skipped name=%s reason=not-a-script", name)
                continue
            scripts.append(Script(name, body, kind))
        if not scripts:
            return Outcome.SKIPPED
        outcome = run_scripts(
            ctx, scripts, timeout=ctx.config.local_scripts.timeout, what="local", memo={}
        )
        return Outcome.DONE if outcome is Outcome.RETRY_NEXT_BOOT else outcome
