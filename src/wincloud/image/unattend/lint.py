"""Lint any answer file: mistakes that make Windows Setup stop, ask, or build a broken image.

``lint_unattend(data)`` returns findings (rule id, line, severity, message), sorted by line.
Errors make ``wincloud image lint`` exit 1. RULES lists every rule (docs/images.md shows it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, Final, Literal

from wincloud.image.unattend.components import (
    ARCHITECTURES,
    COMPONENT_PASSES,
    PASSES,
    PUBLIC_KEY_TOKEN,
    SKIP_REARM_COMPONENTS,
    UNATTEND_NS,
)
from wincloud.image.unattend.parse import MalformedXml, Node, UnsafeXml, decode, parse_answer_file
from wincloud.productkeys import GVLKS

Severity = Literal["error", "warning", "info"]

RULES: Final[dict[str, tuple[Severity, str]]] = {
    "xml-unsafe": ("error", "DOCTYPE/entities, or too large or deep: refused unread"),
    "xml-malformed": ("error", "not well-formed XML"),
    "root-element": ("error", "the root is not <unattend> in the unattend namespace"),
    "unbound-prefix": ("error", "a prefix (wcm:, xsi:) used without its xmlns declaration"),
    "unknown-pass": ("error", "a settings pass Windows does not have"),
    "duplicate-pass": ("warning", "the same pass in two settings elements"),
    "component-wrong-pass": ("error", "a component in a pass where none of its settings apply"),
    "unknown-component": ("info", "a component the lint has no pass table for"),
    "duplicate-component": ("error", "the same component twice in one pass"),
    "missing-architecture": ("error", "processorArchitecture missing or unknown"),
    "mixed-architecture": ("warning", "components for different architectures in one file"),
    "public-key-token": ("error", f"publicKeyToken missing or not {PUBLIC_KEY_TOKEN}"),
    "component-attributes": ("warning", 'language="neutral" or versionScope missing'),
    "empty-product-key": ("error", "an empty product key (Setup stops and asks)"),
    "product-key-format": ("error", "a product key that is not five groups of five"),
    "skiprearm-with-gvlk": ("error", "SkipRearm=1 with a KMS client key: clones share a CMID"),
    "plaintext-password-generalize": ("error", "a plain-text password in a generalize file"),
    "password-in-generalize": ("warning", "a password every clone of the image would get"),
    "plaintext-password": ("warning", "a password stored as plain text"),
    "autologon-without-password": ("error", "AutoLogon without a Password"),
    "autologon-without-count": ("warning", "AutoLogon enabled without LogonCount"),
    "imageinstall-incomplete": ("error", "ImageInstall/OSImage without InstallFrom or InstallTo"),
    "installfrom-metadata": ("error", "InstallFrom MetaData with an unknown key or no value"),
    "list-item-action": ("warning", 'a list item without wcm:action="add"'),
    "duplicate-order": ("error", "two items of one list with the same Order"),
    "msr-modified": ("error", "a ModifyPartition that formats the MSR partition"),
    "computer-name": ("error", "ComputerName longer than 15 characters or not a NetBIOS name"),
    "empty-setting": ("warning", "an empty setting (most settings refuse empty values)"),
    "non-ascii": ("warning", "non-ASCII characters (wincloud writes ASCII only)"),
}

_KEY: Final = re.compile(r"[0-9A-Za-z]{5}(-[0-9A-Za-z]{5}){4}")
_NETBIOS: Final = re.compile(r"[A-Za-z0-9-]{1,15}")
_LIST_ITEMS: Final = frozenset(
    {
        "Disk",
        "CreatePartition",
        "ModifyPartition",
        "MetaData",
        "RunSynchronousCommand",
        "RunAsynchronousCommand",
        "SynchronousCommand",
        "LocalAccount",
        "PathAndCredentials",
    }
)
_ORDERED_LISTS: Final = frozenset(
    {
        "CreatePartitions",
        "ModifyPartitions",
        "RunSynchronous",
        "RunAsynchronous",
        "FirstLogonCommands",
        "LogonCommands",
    }
)
_METADATA_KEYS: Final = frozenset({"/IMAGE/NAME", "/IMAGE/INDEX", "/IMAGE/DESCRIPTION"})
_CONTAINERS: Final = frozenset({"settings", "component", "unattend"})


@dataclass(frozen=True)
class Finding:
    rule: str
    line: int
    severity: Severity
    message: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _finding(rule: str, line: int, message: str) -> Finding:
    return Finding(rule, line, RULES[rule][0], message)


def lint_unattend(data: bytes) -> list[Finding]:
    """Every finding for the answer file ``data``, by line then rule."""
    try:
        text = decode(data)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return [_finding("xml-malformed", line, "not UTF-8 or UTF-16 text")]
    findings = list(_non_ascii(text))
    try:
        root = parse_answer_file(data)
    except UnsafeXml as exc:
        return [*findings, _finding("xml-unsafe", exc.line, str(exc))]
    except MalformedXml as exc:
        return [*findings, _finding("xml-malformed", exc.line, str(exc))]
    for check in _CHECKS:
        findings.extend(check(root))
    return sorted(findings, key=lambda f: (f.line, f.rule))


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


def _non_ascii(text: str) -> Iterator[Finding]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.isascii():
            char = next(c for c in line if not c.isascii())
            yield _finding("non-ascii", number, f"non-ASCII character U+{ord(char):04X}")


def _structure(root: Node) -> Iterator[Finding]:
    if root.tag != "unattend" or root.namespaces().get("") != UNATTEND_NS:
        yield _finding("root-element", root.line, f"root <{root.tag}>, expected <unattend>")
    for node in root.iter():
        scope = node.namespaces()
        for name in [node.tag, *node.attrs]:
            prefix, sep, _ = name.partition(":")
            if sep and prefix not in ("xmlns", "xml") and prefix not in scope:
                yield _finding("unbound-prefix", node.line, f"{name}: prefix {prefix!r} unbound")


def _passes(root: Node) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    archs: dict[str, int] = {}
    for settings in (c for c in root.children if c.tag == "settings"):
        name = settings.attrs.get("pass", "")
        if name not in PASSES:
            yield _finding("unknown-pass", settings.line, f"pass {name!r} is not one of {PASSES}")
        elif name in seen:
            yield _finding("duplicate-pass", settings.line, f"{name} already at line {seen[name]}")
        seen.setdefault(name, settings.line)
        components: dict[tuple[str, str], int] = {}
        for comp in (c for c in settings.children if c.tag == "component"):
            cname = comp.attrs.get("name", "")
            arch = comp.attrs.get("processorArchitecture", "")
            allowed = COMPONENT_PASSES.get(cname)
            if allowed is None:
                yield _finding("unknown-component", comp.line, f"{cname}: no pass table for it")
            elif name in PASSES and name not in allowed:
                yield _finding(
                    "component-wrong-pass",
                    comp.line,
                    f"{cname} in {name}; valid in {', '.join(sorted(allowed))}",
                )
            if (cname, arch) in components:
                yield _finding(
                    "duplicate-component",
                    comp.line,
                    f"{cname} ({arch}) already in {name} at line {components[(cname, arch)]}",
                )
            components.setdefault((cname, arch), comp.line)
            yield from _attributes(comp, cname, arch)
            if arch in ("amd64", "arm64", "x86"):
                archs.setdefault(arch, comp.line)
    if len(archs) > 1:
        line = max(archs.values())
        yield _finding("mixed-architecture", line, f"architectures {', '.join(sorted(archs))}")


def _attributes(comp: Node, cname: str, arch: str) -> Iterator[Finding]:
    if arch not in ARCHITECTURES:
        yield _finding(
            "missing-architecture", comp.line, f"{cname}: processorArchitecture={arch!r}"
        )
    token = comp.attrs.get("publicKeyToken")
    if token != PUBLIC_KEY_TOKEN:
        yield _finding("public-key-token", comp.line, f"{cname}: publicKeyToken={token!r}")
    if comp.attrs.get("language") != "neutral" or "versionScope" not in comp.attrs:
        yield _finding("component-attributes", comp.line, f"{cname}: language/versionScope")


def _product_keys(root: Node) -> Iterator[Finding]:
    keys: list[Node] = []
    for node in root.iter("ProductKey"):
        if node.children:  # Microsoft-Windows-Setup: UserData/ProductKey/Key
            key = node.find("Key")
            if key is None:
                yield _finding("empty-product-key", node.line, "ProductKey without a Key")
            else:
                keys.append(key)
        else:  # Microsoft-Windows-Shell-Setup: ProductKey as a string
            keys.append(node)
    for key in keys:
        if not key.text:
            yield _finding("empty-product-key", key.line, "an empty product key")
        elif not _KEY.fullmatch(key.text):
            yield _finding("product-key-format", key.line, "not XXXXX-XXXXX-XXXXX-XXXXX-XXXXX")
    gvlk = next((k for k in keys if k.text.upper() in GVLKS), None)
    if gvlk is None:
        return
    for comp in root.iter("component"):
        if comp.attrs.get("name") not in SKIP_REARM_COMPONENTS:
            continue
        rearm = comp.find("SkipRearm")
        if rearm is not None and rearm.text == "1":
            yield _finding(
                "skiprearm-with-gvlk",
                rearm.line,
                f"SkipRearm=1 with the KMS client key at line {gvlk.line}: every clone keeps"
                " the same KMS client machine id (CMID) and the KMS host never counts enough"
                " machines to activate them",
            )


def _passwords(root: Node) -> Iterator[Finding]:
    generalize = any(c.attrs.get("pass") == "generalize" for c in root.children)
    for node in root.iter():
        if not node.tag.endswith("Password"):
            continue
        if node.find("Value") is not None:  # AdministratorPassword, account and AutoLogon
            plain = node.find("PlainText")
            is_plain = plain is None or plain.text.lower() == "true"
        elif node.text and not node.children:  # Credentials/Password: always plain text
            is_plain = True
        else:
            continue
        if generalize and is_plain:
            yield _finding(
                "plaintext-password-generalize",
                node.line,
                f"{node.tag} in plain text in a generalize file (every clone and its"
                " Panther folder would carry it)",
            )
        elif generalize:
            yield _finding("password-in-generalize", node.line, f"{node.tag} in a generalize file")
        elif is_plain:
            yield _finding("plaintext-password", node.line, f"{node.tag} in plain text")


def _autologon(root: Node) -> Iterator[Finding]:
    for logon in root.iter("AutoLogon"):
        if logon.find("Password", "Value") is None:
            yield _finding("autologon-without-password", logon.line, "AutoLogon has no Password")
        enabled = logon.find("Enabled")
        if enabled is not None and enabled.text.lower() == "true" and not logon.find("LogonCount"):
            yield _finding("autologon-without-count", logon.line, "no LogonCount")


def _image_install(root: Node) -> Iterator[Finding]:
    for image in root.iter("OSImage"):
        to_partition = image.find("InstallToAvailablePartition")
        has_to = image.find("InstallTo") is not None or (
            to_partition is not None and to_partition.text.lower() == "true"
        )
        source = image.find("InstallFrom")
        if source is None or not has_to:
            missing = "InstallFrom" if source is None else "InstallTo"
            yield _finding("imageinstall-incomplete", image.line, f"OSImage without {missing}")
        for meta in [] if source is None else source.iter("MetaData"):
            key, value = meta.find("Key"), meta.find("Value")
            if key is None or key.text.upper() not in _METADATA_KEYS or not value or not value.text:
                yield _finding(
                    "installfrom-metadata",
                    meta.line,
                    "MetaData needs Key /IMAGE/NAME, /IMAGE/INDEX or /IMAGE/DESCRIPTION"
                    " and a Value",
                )


def _lists(root: Node) -> Iterator[Finding]:
    for node in root.iter():
        if node.tag in _LIST_ITEMS and "wcm:action" not in node.attrs:
            yield _finding("list-item-action", node.line, f"<{node.tag}> without wcm:action")
        if node.tag in _ORDERED_LISTS:
            orders: dict[str, int] = {}
            for item in node.children:
                order = item.find("Order")
                if order is None:
                    continue
                if order.text in orders:
                    yield _finding(
                        "duplicate-order",
                        order.line,
                        f"Order {order.text} in {node.tag} already at line {orders[order.text]}",
                    )
                orders.setdefault(order.text, order.line)


def _partitions(root: Node) -> Iterator[Finding]:
    for disk in root.iter("Disk"):
        types: dict[str, str] = {}
        for part in disk.iter("CreatePartition"):
            order, type_ = part.find("Order"), part.find("Type")
            if order is not None and type_ is not None:
                types[order.text] = type_.text.upper()
        for part in disk.iter("ModifyPartition"):
            pid = part.find("PartitionID")
            if pid is not None and types.get(pid.text) == "MSR" and part.find("Format"):
                yield _finding("msr-modified", part.line, f"partition {pid.text} is the MSR")


def _settings_values(root: Node) -> Iterator[Finding]:
    for node in root.iter():
        if node.tag == "ComputerName" and node.text != "*" and not _NETBIOS.fullmatch(node.text):
            yield _finding("computer-name", node.line, f"ComputerName {node.text!r}")
        if (
            not node.children
            and not node.text
            and node.tag not in _CONTAINERS
            and node.tag not in ("ProductKey", "Key")
            and not node.tag.startswith(("cpi:", "offlineImage"))
        ):
            yield _finding("empty-setting", node.line, f"<{node.tag}> is empty")


_CHECKS: Final = (
    _structure,
    _passes,
    _product_keys,
    _passwords,
    _autologon,
    _image_install,
    _lists,
    _partitions,
    _settings_values,
)
