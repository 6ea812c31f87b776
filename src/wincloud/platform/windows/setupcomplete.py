"""The Sysprep stage: ``%WINDIR%\\Setup\\Scripts\\SetupComplete.cmd`` runs once, as SYSTEM,
after Windows setup and before the first logon. Our block in it runs the agent with the
unattend config (the plugins that must be done before anyone logs on, no reboot allowed
there); a plugin that needs a reboot leaves ``reboot-pending`` for the service, which reboots
when setup is over. The block is replaced as a whole, the rest of the file is kept."""

from __future__ import annotations

from typing import Final

from wincloud.platform.base import Files

BEGIN: Final = "rem >>> wincloud"
END: Final = "rem <<< wincloud"
UNATTEND_CONFIG: Final = r"C:\ProgramData\wincloud\agent-unattend.toml"
SETUP_LOG: Final = r"C:\ProgramData\wincloud\setupcomplete.log"


def setupcomplete_path(windows_dir: str) -> str:
    return windows_dir.rstrip("\\") + r"\Setup\Scripts\SetupComplete.cmd"


def render_block(python: str, config: str = UNATTEND_CONFIG) -> str:
    lines = [
        BEGIN,
        f'"{python}" -m wincloud agent run --config "{config}" >> "{SETUP_LOG}" 2>&1',
        r'if %ERRORLEVEL% EQU 10 echo reboot> "C:\ProgramData\wincloud\reboot-pending"',
        END,
    ]
    return "\r\n".join(lines) + "\r\n"


def merge_block(existing: str, block: str) -> str:
    """``existing`` with our block replaced, or appended when absent."""
    start, end = existing.find(BEGIN), existing.find(END)
    if start != -1 and end > start:
        tail = existing[end + len(END) :].lstrip("\r\n")
        return existing[:start] + block + tail
    prefix = existing if not existing or existing.endswith("\n") else existing + "\r\n"
    return (prefix or "@echo off\r\n") + block


def remove_block(existing: str) -> str:
    start, end = existing.find(BEGIN), existing.find(END)
    if start == -1 or end < start:
        return existing
    return existing[:start] + existing[end + len(END) :].lstrip("\r\n")


def install_setupcomplete(files: Files, windows_dir: str, python: str) -> bool:
    """Write our block into SetupComplete.cmd; True when the file changed."""
    path = setupcomplete_path(windows_dir)
    current = (files.read(path) or b"").decode("utf-8", "replace")
    wanted = merge_block(current, render_block(python))
    if wanted == current:
        return False
    files.write(path, wanted.encode())
    return True


def uninstall_setupcomplete(files: Files, windows_dir: str) -> bool:
    path = setupcomplete_path(windows_dir)
    current = files.read(path)
    if current is None:
        return False
    kept = remove_block(current.decode("utf-8", "replace"))
    if kept.encode() == current:
        return False
    if kept.strip() in ("", "@echo off"):
        files.remove(path)
    else:
        files.write(path, kept.encode())
    return True
