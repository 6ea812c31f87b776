"""User-data into parts: scripts, cloud-config documents, a PEM certificate, and what is
skipped (with its reason, never its content). Pure: bytes in, parts out.

Accepted: gzip (expanded up to 16 MiB for the whole user-data, every layer and part
together), MIME multipart messages (nested too; each part by its
Content-Type, or by its first line for text/plain, text/x-not-multipart and
application/octet-stream), the EC2 ``<script>``/``<powershell>`` format, and single scripts,
``#cloud-config`` documents or PEM certificates.
"""

from __future__ import annotations

import re
import zlib
from typing import Final, Literal

from msgspec import Struct, field

from wincloud.agent.userdata.scripts import (
    BOM,
    Script,
    is_ec2_format,
    parse_ec2,
    script_kind,
    script_name,
)
from wincloud.errors import InvalidMetadata

MAX_EXPANDED: Final = 16 * 1024 * 1024
GZIP_MAGIC: Final = b"\x1f\x8b"
CLOUD_CONFIG: Final = b"#cloud-config"
PEM_CERTIFICATE: Final = b"-----BEGIN CERTIFICATE-----"
SCRIPT_TYPES: Final = frozenset(
    {
        "text/x-shellscript",
        "text/x-shellscript-per-boot",
        "text/x-shellscript-per-instance",
        "text/x-shellscript-per-once",
        "text/x-sh",
        "text/x-powershell",
        "text/x-cmd",
        "text/x-python",
    }
)
SNIFFED_TYPES: Final = frozenset(
    {"text/plain", "text/x-not-multipart", "application/octet-stream", "application/x-gzip"}
)
Kind = Literal["script", "cloud-config", "certificate", "skipped"]


class Part(Struct, frozen=True):
    kind: Kind
    name: str
    body: bytes
    script: Script | None = None
    reason: str = ""
    """Skipped: why (its content type, or "unrecognised content")."""
    merge_type: str = ""
    """A cloud-config part's MIME ``Merge-Type`` header (how it merges over earlier parts)."""

    def __repr__(self) -> str:  # the body is user data: its size only
        return f"Part(kind={self.kind!r}, name={self.name!r}, body=<{len(self.body)} bytes>)"


class Budget(Struct):
    """What all the gzip layers of one user-data may expand to, together: a MIME message of
    many small gzip parts gets no more than one big part would."""

    left: int = MAX_EXPANDED

    def spend(self, size: int, where: str) -> None:
        if size > self.left:
            raise InvalidMetadata(
                f"user-data expands beyond {MAX_EXPANDED // (1024 * 1024)} MiB in all",
                subject=where,
            )
        self.left -= size


class Parsed(Struct):
    parts: list[Part] = field(default_factory=list)
    budget: Budget = field(default_factory=Budget)
    """What gzip may still expand to (write_files of the cloud-config parts draw on it)."""

    def scripts(self) -> list[Script]:
        return [p.script for p in self.parts if p.script is not None]

    def cloud_configs(self) -> list[Part]:
        return [p for p in self.parts if p.kind == "cloud-config"]

    def certificates(self) -> list[bytes]:
        return [p.body for p in self.parts if p.kind == "certificate"]

    def skipped(self) -> list[Part]:
        return [p for p in self.parts if p.kind == "skipped"]


def gunzip(data: bytes, *, where: str = "user_data", budget: Budget | None = None) -> bytes:
    budget = budget if budget is not None else Budget()
    try:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = inflater.decompress(data, budget.left + 1)
    except zlib.error as exc:
        raise InvalidMetadata(f"corrupt gzip ({exc})", subject=where) from None
    budget.spend(len(out), where)
    if not inflater.eof:
        raise InvalidMetadata("truncated gzip", subject=where)
    return out


def _is_mime(data: bytes) -> bool:
    head = data[:4096].lower()
    return b"content-type: multipart/" in head and b"mime-version" in head


def _sniff(body: bytes, name: str, reason: str) -> list[Part]:
    """One part by its first line (or the EC2 tags)."""
    text = body.removeprefix(BOM)
    kind = script_kind(text)
    if kind is not None:
        script = Script(script_name(name, kind), body, kind)
        return [Part("script", script.name, body, script)]
    head = text.lstrip()[:64]
    first_line = head.split(b"\n", 1)[0].rstrip()
    if first_line == CLOUD_CONFIG:
        return [Part("cloud-config", name, text)]
    if head.startswith(CLOUD_CONFIG):  # #cloud-config-jsonp, #cloud-config-archive
        variant = first_line[1:].decode("ascii", "replace")
        return [Part("skipped", name, body, reason=f"{variant} is not supported")]
    if head.startswith(PEM_CERTIFICATE):
        return [Part("certificate", name, text)]
    if is_ec2_format(text):
        return [Part("script", s.name, s.body, s) for s in parse_ec2(text)]
    return [Part("skipped", name, body, reason=reason or "unrecognised content")]


def safe_part_name(given: str | None, index: int) -> str:
    """A part's name as logs and script file names may use it: ``[A-Za-z0-9._-]`` only (a
    MIME file name can carry newlines or path separators), at most 64 characters."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", given or "")[:64].strip("._")
    return cleaned or f"part-{index:03d}"


def _from_mime(data: bytes, budget: Budget) -> list[Part]:
    import email
    import email.policy

    message = email.message_from_bytes(data, policy=email.policy.compat32)
    parts: list[Part] = []
    for index, part in enumerate(message.walk()):
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        name = safe_part_name(part.get_filename(), index)
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            parts.append(Part("skipped", name, b"", reason=f"{ctype} (no payload)"))
            continue
        if payload.startswith(GZIP_MAGIC):
            payload = gunzip(payload, where=f"user_data {name}", budget=budget)
        if ctype == "text/cloud-config":
            merge_type = str(part.get("Merge-Type") or part.get("X-Merge-Type") or "")
            parts.append(Part("cloud-config", name, payload, merge_type=merge_type))
        elif ctype in SCRIPT_TYPES:
            kind = script_kind(payload) or ("powershell" if "powershell" in ctype else "shebang")
            if kind == "shebang" and not payload.removeprefix(BOM).startswith(b"#!"):
                parts.append(Part("skipped", name, payload, reason=f"{ctype} without #!"))
                continue
            script = Script(script_name(name, kind), payload, kind)
            parts.append(Part("script", script.name, payload, script))
        elif ctype in SNIFFED_TYPES:
            parts += _sniff(payload, name, ctype)
        else:
            parts.append(Part("skipped", name, payload, reason=ctype))
    return parts


def parse_userdata(user_data: bytes) -> Parsed:
    """Split user-data into parts, in order. InvalidMetadata only for corrupt gzip."""
    budget = Budget()
    data = gunzip(user_data, budget=budget) if user_data.startswith(GZIP_MAGIC) else user_data
    if not data.strip():
        return Parsed(budget=budget)
    if _is_mime(data):
        return Parsed(_from_mime(data, budget), budget)
    return Parsed(_sniff(data, "userdata", ""), budget)


def parse_scripts(user_data: bytes) -> list[Script]:
    """Only the scripts of the user-data, in order."""
    return parse_userdata(user_data).scripts()
