"""Scripts in user-data: which kind a body is (by its first line), and the EC2 format's
``<script>`` and ``<powershell>`` tags. Pure: bytes in, scripts out.

| first line | kind | runs as |
|---|---|---|
| ``#!...`` | shebang | the interpreter named (POSIX; bash or python on Windows if present) |
| ``#ps1``, ``#ps1_sysnative`` | powershell / powershell_sysnative | PowerShell (native) |
| ``#ps1_x86`` | powershell_x86 | 32-bit PowerShell |
| ``rem cmd`` | cmd | ``cmd.exe`` batch file |
"""

from __future__ import annotations

import re
from typing import Final

from msgspec import Struct

from wincloud.platform.base import ScriptKind

BOM: Final = b"\xef\xbb\xbf"
EXTENSIONS: Final[dict[ScriptKind, str]] = {
    "shebang": "",
    "powershell": ".ps1",
    "powershell_sysnative": ".ps1",
    "powershell_x86": ".ps1",
    "cmd": ".cmd",
}
_EC2_TAG: Final = re.compile(rb"<(script|powershell)>(.*?)</\1>", re.DOTALL | re.IGNORECASE)
_EC2_PERSIST: Final = re.compile(rb"<persist>\s*true\s*</persist>", re.IGNORECASE)


class Script(Struct, frozen=True):
    name: str
    """File name it runs as; its extension matches the kind (``userdata.ps1``)."""
    body: bytes
    kind: ScriptKind = "shebang"


def script_kind(body: bytes) -> ScriptKind | None:
    """The kind a body's first line announces; None when it is no script of ours."""
    first = body.removeprefix(BOM).lstrip(b"\r\n")[:64].split(b"\n", 1)[0].strip().lower()
    if first.startswith(b"#!"):
        return "shebang"
    if first.startswith(b"#ps1_sysnative"):
        return "powershell_sysnative"
    if first.startswith(b"#ps1_x86"):
        return "powershell_x86"
    if first.startswith(b"#ps1"):
        return "powershell"
    if first.startswith(b"rem cmd"):
        return "cmd"
    return None


def script_name(base: str, kind: ScriptKind) -> str:
    """``base`` with the extension the kind needs (kept when already there)."""
    base = base.replace("/", "_").replace("\\", "_") or "userdata"
    ext = EXTENSIONS[kind]
    return base if not ext or base.lower().endswith(ext) else base + ext


def is_ec2_format(data: bytes) -> bool:
    """EC2 (EC2Config/EC2Launch) user-data: ``<script>`` and/or ``<powershell>`` blocks."""
    return _EC2_TAG.search(data[: 1 << 20]) is not None and script_kind(data) is None


def is_ec2_persist(data: bytes) -> bool:
    """``<persist>true</persist>``: EC2 runs it at every boot; wincloud runs it per instance."""
    return _EC2_PERSIST.search(data) is not None


def parse_ec2(data: bytes) -> list[Script]:
    """The batch (``<script>``) blocks first, then the PowerShell ones, as EC2Launch runs them;
    each kind in the order written."""
    blocks = [(m.group(1).lower(), m.group(2).strip(b"\r\n")) for m in _EC2_TAG.finditer(data)]
    batch = [body for tag, body in blocks if tag == b"script"]
    shell = [body for tag, body in blocks if tag == b"powershell"]
    out = [Script(f"ec2-script-{i:02d}.cmd", body, "cmd") for i, body in enumerate(batch)]
    out += [Script(f"ec2-powershell-{i:02d}.ps1", b, "powershell") for i, b in enumerate(shell)]
    return out
