"""The PowerShell scripts PsrpHost runs, one ``.ps1`` per method (package data).

Each script starts with a ``# wincloud:<name>`` line (the replay server in the tests and a
reader of WinRM logs key on it) and a ``param()`` block: every argument travels as a PSRP
command parameter, never as text inside the script. The line ``# @common`` is replaced by
``_common.ps1`` (error helper, exact-name VM lookup, the projections) when a script is loaded.
"""

from __future__ import annotations

import functools
from importlib import resources

_COMMON_MARK = "# @common"


@functools.cache
def load(name: str) -> str:
    """The text of ``scripts/<name>.ps1`` with the common block in place."""
    folder = resources.files("wincloud.hyperv.psrp") / "scripts"
    text = (folder / f"{name}.ps1").read_text(encoding="utf-8")
    if not text.startswith(f"# wincloud:{name}"):
        raise ValueError(f"scripts/{name}.ps1 does not start with '# wincloud:{name}'")
    if _COMMON_MARK in text:
        common = (folder / "_common.ps1").read_text(encoding="utf-8")
        text = text.replace(_COMMON_MARK, common.rstrip("\n"), 1)
    return text


def names() -> list[str]:
    folder = resources.files("wincloud.hyperv.psrp") / "scripts"
    return sorted(
        p.name[:-4]
        for p in folder.iterdir()
        if p.name.endswith(".ps1") and not p.name.startswith("_")
    )
