"""What the keys of an image spec say together (cross-field rules), and the key file.

Each rule gives (TOML key path, message); ``ImageSpec`` raises them all at once.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Final

from wincloud.image.infile import read_regular
from wincloud.productkeys import find_key

if TYPE_CHECKING:
    from wincloud.image.spec import ImageSpec

SERVER_VERSIONS: Final = ("2016", "2019", "2022", "2025")
CLIENT_VERSIONS: Final = ("10", "11")
GLANCE_ATTRIBUTES: Final = frozenset(
    {
        "checksum",
        "container_format",
        "created_at",
        "direct_url",
        "disk_format",
        "file",
        "id",
        "locations",
        "min_disk",
        "min_ram",
        "name",
        "os_hash_algo",
        "os_hash_value",
        "os_hidden",
        "owner",
        "protected",
        "schema",
        "self",
        "size",
        "status",
        "stores",
        "tags",
        "updated_at",
        "virtual_size",
        "visibility",
    }
)
"""Glance image API v2 core attributes: a property of the same name is refused."""


def cross_field_problems(spec: ImageSpec) -> list[tuple[str, str]]:
    """What no single key can say: (key path, message) for each contradiction."""
    out: list[tuple[str, str]] = []
    src, fw = spec.source, spec.firmware
    if (src.iso is None) == (src.wim is None):
        out.append(("source.iso", 'give exactly one of source.iso = "..." or source.wim = "..."'))
    if (src.edition is None) == (src.index is None):
        out.append(("source.edition", "give exactly one of source.edition (name) or source.index"))
    if src.edition is not None:
        out += _edition_problems(src.edition, src.version)
    if fw.secure_boot and fw.type != "uefi":
        out.append(("firmware.secure_boot", 'Secure Boot needs firmware.type = "uefi"'))
    if fw.tpm and fw.type != "uefi":
        out.append(("firmware.tpm", 'a TPM is used with firmware.type = "uefi" only'))
    if src.architecture == "arm64" and fw.type != "uefi":
        out.append(("firmware.type", 'arm64 Windows boots with firmware.type = "uefi" only'))
    if src.version == "11":
        if fw.type != "uefi":
            out.append(("firmware.type", 'Windows 11 needs firmware.type = "uefi"'))
        if not fw.tpm:
            out.append(("firmware.tpm", "Windows 11 needs a TPM 2.0: firmware.tpm = true"))
        if spec.build.memory_mib < 4096:
            out.append(("build.memory_mib", "Windows 11 Setup needs at least 4096 MiB"))
    min_size = 64 if src.version == "11" else 32
    if spec.disk.size_gib < min_size:
        out.append(
            ("disk.size_gib", f"Windows {src.version} needs a disk of at least {min_size} GiB")
        )
    if spec.build.memory_mib < 2048:
        out.append(("build.memory_mib", "Windows Setup needs at least 2048 MiB"))
    pub = spec.publish
    if pub.compression == "zstd" and pub.disk_format != "qcow2":
        out.append(("publish.compression", 'zstd compression needs publish.disk_format = "qcow2"'))
    if pub.min_disk_gib is not None and pub.min_disk_gib < spec.disk.size_gib:
        out.append(
            (
                "publish.min_disk_gib",
                f"smaller than the image's disk.size_gib = {spec.disk.size_gib}"
                " (no flavor that small can boot it)",
            )
        )
    for name in sorted(pub.properties):
        if name in GLANCE_ATTRIBUTES:
            out.append(
                (
                    f"publish.properties.{name}",
                    "an image attribute Glance keeps for itself, not a property"
                    " (min_disk/min_ram: publish.min_disk_gib/min_ram_mib)",
                )
            )
        elif not name or len(name) > 255:
            out.append(("publish.properties", f"property names are 1..255 characters: {name!r}"))
        elif _CONTROL.search(name + pub.properties[name]):
            out.append((f"publish.properties.{name[:64]!r}", _CONTROL_MESSAGE))
    if pub.name is not None and _CONTROL.search(pub.name):
        out.append(("publish.name", _CONTROL_MESSAGE))
    out += _licensing_problems(spec)
    return out


_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_MESSAGE: Final = (
    "a control character (NUL, newline, tab, ...): PostgreSQL, under many Glance deployments, "
    "cannot store NUL, and a newline breaks one-line listings"
)


def _edition_problems(edition: str, version: str) -> list[tuple[str, str]]:
    server_name = "server" in edition.lower()
    if version in SERVER_VERSIONS and not server_name:
        return [("source.edition", f"{edition!r} is not a Windows Server image (version)")]
    if version in CLIENT_VERSIONS and server_name:
        return [("source.edition", f"{edition!r} is a Server image but version = {version!r}")]
    named = re.search(r"\bWindows (?:Server )?(20\d\d|1[01])\b", edition, re.IGNORECASE)
    if named and named.group(1) != version:
        return [("source.version", f"{version!r} but source.edition names {named.group(1)}")]
    return []


def _licensing_problems(spec: ImageSpec) -> list[tuple[str, str]]:
    lic = spec.licensing
    if lic.mode in ("none", "kms-client"):
        pass
    elif lic.key_file is None:
        return [("licensing.mode", 'one of "kms-client", "none" or "file:PATH"')]
    else:
        if not lic.key_file.is_file():
            what = "not a regular file" if lic.key_file.exists() else "not found"
            return [("licensing.mode", f"key file {what}: {lic.key_file}")]
        read_key_file(lic.key_file, where="licensing.mode")
        return []
    if lic.mode == "kms-client":
        edition_id = spec.source.resolved_edition_id()
        if edition_id is None:
            return [
                (
                    "licensing.mode",
                    "kms-client needs the edition: set source.edition_id (e.g."
                    ' "ServerStandard") or source.edition',
                )
            ]
        if kms_client_key(spec.source.version, edition_id) is None:
            return [
                (
                    "licensing.mode",
                    f"no KMS client key for Windows {spec.source.version} {edition_id}",
                )
            ]
    return []


def kms_client_key(version: str, edition_id: str | None) -> str | None:
    """The GVLK (shared table, wincloud.productkeys) for a version and EditionID, or None."""
    return None if edition_id is None else find_key(version, edition_id, "kms-client")


_KEY: Final = re.compile(r"[0-9A-Z]{5}(-[0-9A-Z]{5}){4}")


def read_key_file(path: Path, *, where: str) -> str:
    """The one product key in a key file (ASCII, 5x5 groups); the key is never shown."""
    try:
        text = read_regular(path, limit=4096).decode("ascii").strip()
    except OSError as exc:
        raise ValueError(f"{where}: cannot read the key file {path} ({exc.strerror})") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{where}: cannot read the key file {path} ({exc})") from None
    if not _KEY.fullmatch(text.upper()):
        raise ValueError(f"{where}: {path} does not hold one product key (XXXXX-XXXXX-...)")
    return text.upper()
