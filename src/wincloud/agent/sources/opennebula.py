"""OpenNebula: ``context.sh`` on a CD labelled ``CONTEXT`` (also what Proxmox writes with
``citype: opennebula``), read without mounting it and parsed as data, never run.

Variables read (OpenNebula's contextualization names): ``SET_HOSTNAME``/``HOSTNAME``,
``SSH_PUBLIC_KEY``/``SSH_KEY`` (one key per line), ``USER_DATA``/``USERDATA`` with
``USERDATA_ENCODING``/``USER_DATA_ENCODING`` = ``base64``, ``USERNAME`` (the ``admin_username``
meta key), ``PASSWORD`` or ``PASSWORD_BASE64`` (the administrator's password), ``VMID`` (the
instance id; without it, a digest of the whole file), and per interface ``ETH<n>_MAC``, ``_IP``,
``_MASK``, ``_GATEWAY``, ``_DNS``, ``_MTU``, ``_IP6`` with ``_IP6_PREFIX_LENGTH`` (or
``_MASK6``), ``_GATEWAY6``, ``_METHOD``/``_IP6_METHOD`` and ``_DHCP``/``_DHCP6``/``_AUTO6``
(Proxmox), plus the global ``DNS``. The network becomes a Nova network_data document (links
matched by MAC), so the network plugin applies it like any other."""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from typing import Any, ClassVar, Final

from wincloud.agent.metadata import InstanceMetadata
from wincloud.agent.sources._labelled import LabelledDriveSource, read_top_file
from wincloud.agent.sources._shellvars import parse_shell_vars
from wincloud.agent.sources.base import SourceDeps, checked_instance_id, key_lines
from wincloud.agent.tree import Tree
from wincloud.errors import InvalidMetadata
from wincloud.secret import Secret

log = logging.getLogger(__name__)

CONTEXT_FILE: Final = "context.sh"
MAX_CONTEXT: Final = 4 * 1024 * 1024
MAX_INTERFACES: Final = 64
MAX_MTU_DIGITS: Final = 9
YES: Final = frozenset({"yes", "true", "1", "on"})
ANY_V4: Final = "0.0.0.0"  # noqa: S104 - the default route's destination, not a bind address


def _first(env: dict[str, str], *names: str) -> str:
    return next((env[n] for n in names if env.get(n, "").strip()), "")


def _b64(value: str, name: str, where: str) -> bytes:
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidMetadata(f"{name} is not valid base64", subject=where) from None


def _user_data(env: dict[str, str], where: str) -> bytes | None:
    raw = _first(env, "USER_DATA", "USERDATA")
    if not raw:
        return None
    encoding = _first(env, "USERDATA_ENCODING", "USER_DATA_ENCODING").strip().lower()
    if encoding in ("base64", "b64"):
        return _b64(raw, "USER_DATA", where)
    if encoding not in ("", "plain", "plaintext"):
        raise InvalidMetadata(f"unknown USERDATA_ENCODING {encoding[:20]!r}", subject=where)
    return raw.encode("utf-8")


def _password(env: dict[str, str], where: str) -> Secret | None:
    if env.get("PASSWORD"):
        return Secret(env["PASSWORD"])
    if env.get("PASSWORD_BASE64"):
        try:
            return Secret(_b64(env["PASSWORD_BASE64"], "PASSWORD_BASE64", where).decode("utf-8"))
        except UnicodeDecodeError:
            raise InvalidMetadata("PASSWORD_BASE64 is not UTF-8 text", subject=where) from None
    if env.get("CRYPTED_PASSWORD") or env.get("CRYPTED_PASSWORD_BASE64"):
        log.warning(
            "crypted password ignored (a hash cannot set a Windows password) where=%s", where
        )
    return None


def _interfaces(env: dict[str, str]) -> list[int]:
    found = set()
    for name in env:
        head, _, _ = name.partition("_")
        if head.startswith("ETH") and head[3:].isdigit() and len(head) <= 6:
            found.add(int(head[3:]))
    return sorted(found)[:MAX_INTERFACES]


def _dns(value: str) -> list[dict[str, str]]:
    return [{"type": "dns", "address": a} for a in value.replace(",", " ").split()]


def network_from_context(env: dict[str, str]) -> dict[str, Any] | None:
    """A Nova network_data document for the ``ETH<n>_*`` variables; None when none has a
    MAC (OpenNebula's contextualization also skips those). Values are passed on as given:
    the network plugin validates the document as a whole before applying anything."""
    links: list[dict[str, Any]] = []
    networks: list[dict[str, Any]] = []
    for n in _interfaces(env):

        def get(suffix: str, n: int = n) -> str:
            return env.get(f"ETH{n}_{suffix}", "").strip()

        mac = get("MAC").lower()
        if not mac or get("METHOD").lower() == "skip":
            continue
        link: dict[str, Any] = {"id": f"eth{n}", "type": "phy", "ethernet_mac_address": mac}
        mtu = get("MTU")
        # "²".isdigit(), yet not int(); 5,000 digits are past int()'s conversion limit
        if mtu.isascii() and mtu.isdigit() and len(mtu) <= MAX_MTU_DIGITS:
            link["mtu"] = int(mtu)
        elif mtu:
            log.warning("interface mtu left out reason=not-a-number variable=ETH%d_MTU", n)
        links.append(link)
        dns = _dns(get("DNS") or env.get("DNS", ""))
        if get("METHOD").lower() == "dhcp" or get("DHCP").lower() in YES:
            networks.append({"id": f"eth{n}-v4", "link": f"eth{n}", "type": "ipv4_dhcp"})
        elif get("IP"):
            net: dict[str, Any] = {
                "id": f"eth{n}-v4",
                "link": f"eth{n}",
                "type": "ipv4",
                "ip_address": get("IP"),
                "netmask": get("MASK") or "255.255.255.0",
                "routes": [],
                "services": dns,
            }
            if get("GATEWAY"):
                net["routes"] = [{"network": ANY_V4, "netmask": ANY_V4, "gateway": get("GATEWAY")}]
            networks.append(net)
        method6 = get("IP6_METHOD").lower()
        if method6 == "dhcp" or get("DHCP6").lower() in YES:
            networks.append({"id": f"eth{n}-v6", "link": f"eth{n}", "type": "ipv6_dhcp"})
        elif method6 == "auto" or get("AUTO6").lower() in YES:
            networks.append({"id": f"eth{n}-v6", "link": f"eth{n}", "type": "ipv6_slaac"})
        elif get("IP6") and method6 != "disable":
            prefix = get("IP6_PREFIX_LENGTH") or get("MASK6") or "64"
            net6: dict[str, Any] = {
                "id": f"eth{n}-v6",
                "link": f"eth{n}",
                "type": "ipv6",
                "ip_address": f"{get('IP6')}/{prefix}",
                "routes": [],
            }
            if get("GATEWAY6"):
                net6["routes"] = [{"network": "::", "netmask": "0", "gateway": get("GATEWAY6")}]
            networks.append(net6)
    if not links:
        return None
    return {"links": links, "networks": networks, "services": _dns(env.get("DNS", ""))}


def parse_opennebula(tree: Tree, *, source: str) -> InstanceMetadata:
    where = f"{tree.where}/{CONTEXT_FILE}"
    raw = read_top_file(tree, CONTEXT_FILE)
    if raw is None:
        raise InvalidMetadata(f"no {CONTEXT_FILE}", subject=tree.where, hint="is this OpenNebula?")
    if len(raw) > MAX_CONTEXT:
        raise InvalidMetadata(f"{CONTEXT_FILE} is larger than {MAX_CONTEXT} bytes", subject=where)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidMetadata("not UTF-8 text", subject=where) from None
    env = parse_shell_vars(text, where=where)
    instance_id = env.get("VMID", "").strip() or "one-" + hashlib.sha1(raw).hexdigest()  # noqa: S324
    checked_instance_id(instance_id, where=where)
    keys = _first(env, "SSH_PUBLIC_KEY", "SSH_KEY")
    meta = {"admin_username": env["USERNAME"].strip()} if env.get("USERNAME", "").strip() else {}
    return InstanceMetadata(
        instance_id=instance_id,
        source=source,
        where=tree.where,
        hostname=_first(env, "SET_HOSTNAME", "HOSTNAME").strip() or None,
        public_keys={str(i): key for i, key in enumerate(key_lines(keys, where=where))},
        admin_pass=_password(env, where),
        user_data=_user_data(env, where),
        network_data=network_from_context(env),
        meta=meta,
        local_ipv4=env.get("ETH0_IP", "").strip() or None,
    )


class OpenNebulaSource(LabelledDriveSource):
    name: ClassVar[str] = "opennebula"
    absent: ClassVar[str] = "no OpenNebula context drive"

    def __init__(self, deps: SourceDeps) -> None:
        super().__init__(deps, deps.config.opennebula)

    def parse(self, tree: Tree) -> InstanceMetadata:
        return parse_opennebula(tree, source=self.name)
