"""Registry hives written from scratch for the image tests (no Windows needed).

``empty_hive()`` lays out the smallest hive regf readers accept: a 4 KiB base block (signature,
sequence numbers, version 1.5, root offset, data size, XOR checksum), one 4 KiB ``hbin`` holding
the root ``nk`` cell, one ``sk`` cell (a self-relative security descriptor: owner
Administrators, group SYSTEM, a DACL granting Everyone full access), and a free cell for the rest.
``write_hive()`` fills it through ``hivexregedit --merge`` (Debian's libhivex-bin), a writer
independent of the code under test.
"""

from __future__ import annotations

import struct
import subprocess
from collections.abc import Mapping
from pathlib import Path

FILETIME_2026 = 134_100_000_000_000_000  # a fixed timestamp: builds are reproducible
HBIN_SIZE = 4096


def _sid(authority: int, *subs: int) -> bytes:
    return (
        struct.pack("<BB", 1, len(subs))
        + authority.to_bytes(6, "big")
        + b"".join(struct.pack("<I", s) for s in subs)
    )


def _security_descriptor() -> bytes:
    owner = _sid(5, 32, 544)  # BUILTIN\Administrators
    group = _sid(5, 18)  # NT AUTHORITY\SYSTEM
    everyone = _sid(1, 0)
    ace = struct.pack("<BBHI", 0, 0, 8 + len(everyone), 0x000F003F) + everyone
    acl = struct.pack("<BBHHH", 2, 0, 8 + len(ace), 1, 0) + ace
    header = 20
    owner_at = header
    group_at = owner_at + len(owner)
    dacl_at = group_at + len(group)
    control = 0x8004  # SE_SELF_RELATIVE | SE_DACL_PRESENT
    head = struct.pack("<BBHIIII", 1, 0, control, owner_at, group_at, 0, dacl_at)
    return head + owner + group + acl


def _cell(payload: bytes) -> bytes:
    size = (4 + len(payload) + 7) // 8 * 8
    return struct.pack("<i", -size) + payload.ljust(size - 4, b"\0")


def empty_hive(root_name: str = "ROOT") -> bytes:
    """An empty, valid hive: base block + one hbin with the root key and its security cell."""
    root_at = 0x20
    name = root_name.encode("ascii")
    nk_len = len(_cell(b"\0" * (76 + len(name))))
    sk_at = root_at + nk_len
    nk = (
        struct.pack(
            "<2sHQIIIIIIIIIIIIIIIHH",
            b"nk",
            0x2C,  # KEY_HIVE_ENTRY | KEY_NO_DELETE | KEY_COMP_NAME
            FILETIME_2026,
            0,
            0,  # parent
            0,
            0,
            0xFFFFFFFF,
            0xFFFFFFFF,
            0,
            0xFFFFFFFF,
            sk_at,
            0xFFFFFFFF,
            0,
            0,
            0,
            0,
            0,
            len(name),
            0,
        )
        + name
    )
    descriptor = _security_descriptor()
    sk = struct.pack("<2sHIIII", b"sk", 0, sk_at, sk_at, 1, len(descriptor)) + descriptor
    cells = _cell(nk) + _cell(sk)
    used = 0x20 + len(cells)
    free = struct.pack("<i", HBIN_SIZE - used).ljust(HBIN_SIZE - used, b"\0")
    hbin_head = struct.pack("<4sIIQQI", b"hbin", 0, HBIN_SIZE, 0, FILETIME_2026, 0)
    hbin = hbin_head + cells + free
    assert len(hbin) == HBIN_SIZE
    base = bytearray(4096)
    struct.pack_into(
        "<4sIIQIIIIIII", base, 0, b"regf", 1, 1, FILETIME_2026, 1, 5, 0, 1, root_at, HBIN_SIZE, 1
    )
    base[48 : 48 + 64] = root_name.encode("utf-16-le")[:64].ljust(64, b"\0")
    checksum = 0
    for (word,) in struct.iter_unpack("<I", bytes(base[:508])):
        checksum ^= word
    checksum = {0: 1, 0xFFFFFFFF: 0xFFFFFFFE}.get(checksum, checksum)
    struct.pack_into("<I", base, 508, checksum)
    return bytes(base) + hbin


# -- .reg text (regedit 5 format, as hivexregedit reads it) --------------------------------
RegData = str | int | bytes | list[str] | tuple[str, str]  # ("expand", text) for REG_EXPAND_SZ


def _hex(data: bytes) -> str:
    return ",".join(f"{b:02x}" for b in data)


def reg_line(name: str, value: RegData) -> str:
    key = "@" if name == "" else '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        raise TypeError("use an int")
    if isinstance(value, int):
        return f"{key}=dword:{value:08x}"
    if isinstance(value, str):
        return f"{key}=hex(1):{_hex((value + chr(0)).encode('utf-16-le'))}"
    if isinstance(value, bytes):
        return f"{key}=hex:{_hex(value)}"
    if isinstance(value, tuple):
        return f"{key}=hex(2):{_hex((value[1] + chr(0)).encode('utf-16-le'))}"
    text = "".join(item + "\0" for item in value) + "\0"
    return f"{key}=hex(7):{_hex(text.encode('utf-16-le'))}"


def render_reg(prefix: str, keys: Mapping[str, Mapping[str, RegData]]) -> str:
    lines = ["Windows Registry Editor Version 5.00", ""]
    full: dict[str, Mapping[str, RegData]] = {}
    for path, values in keys.items():
        parts = path.split("\\")
        for depth in range(1, len(parts)):
            full.setdefault("\\".join(parts[:depth]), {})
        full[path] = {**full.get(path, {}), **values}
    for path, values in full.items():
        lines.append(f"[{prefix}\\{path}]")
        lines.extend(reg_line(name, value) for name, value in values.items())
        lines.append("")
    return "\r\n".join(lines) + "\r\n"


def write_hive(
    path: Path, keys: Mapping[str, Mapping[str, RegData]], *, root_name: str = "ROOT"
) -> Path:
    """A hive file holding ``keys`` ({key path: {value name: data}}), via hivexregedit."""
    path.write_bytes(empty_hive(root_name))
    if keys:
        reg = path.with_suffix(".reg")
        reg.write_text(render_reg("HKEY_LOCAL_MACHINE\\X", keys), encoding="utf-8")
        subprocess.run(
            ["hivexregedit", "--merge", "--prefix", "HKEY_LOCAL_MACHINE\\X", str(path), str(reg)],
            check=True,
            capture_output=True,
            timeout=60,
        )
        reg.unlink()
    return path
