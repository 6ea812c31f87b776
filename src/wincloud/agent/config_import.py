"""Convert a cloudbase-init.conf (oslo.config INI) into the agent's TOML config. Every option
of the file ends up in one place: a key of our config, a ``note`` (not needed here, or
converted with a difference worth knowing) or a ``warning`` (wincloud does not do it: the user
decides); nothing is dropped silently. Options the file leaves out keep wincloud's defaults,
except ``metadata_services`` and ``plugins``, whose cloudbase-init defaults are converted."""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

import msgspec
from msgspec import Struct, field

from wincloud.agent.cloudbase_names import (
    CBI_PLUGINS,
    CBI_SERVICES,
    FIRST_LOGON,
    NOT_NEEDED,
    OPTION_MAP,
    PLUGIN_MAP,
    SAME_AS_OURS,
    SERVICE_MAP,
)
from wincloud.agent.config import AgentConfig, parse_config
from wincloud.agent.ini import DEFAULT, IniFile, IniValue, read_ini
from wincloud.agent.plugins import REGISTRY as PLUGINS
from wincloud.agent.sources import REGISTRY as SOURCES
from wincloud.agent.tomlwrite import render_toml
from wincloud.errors import ConfigError

_TRUE: Final = frozenset({"true", "yes", "on", "1"})
_FALSE: Final = frozenset({"false", "no", "off", "0"})

ADMINS: Final = "wincloud's default, the administrators group whatever the OS's language"
IN_ITS_FOLDER: Final = "inside cloudbase-init's folder, which goes when it is uninstalled"
NO_EQUIVALENT_HINT: Final = "do it in the image or in a user-data script if you need it"


class Note(Struct, frozen=True):
    file: str
    line: int
    """0: the option is not in the file (a cloudbase-init default)."""
    option: str
    message: str
    hint: str = ""
    is_warning: bool = False

    def describe(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        hint = f"; {self.hint}" if self.hint else ""
        return f"{where}: {self.option}: {self.message}{hint}"

    def render(self) -> str:
        return f"{'warning' if self.is_warning else 'note'}: {self.describe()}"


class Conversion(Struct):
    data: dict[str, Any] = field(default_factory=dict)
    """Our config as TOML data: only the keys the file decides."""
    notes: list[Note] = field(default_factory=list)
    origins: dict[str, str] = field(default_factory=dict)
    """Our dotted key -> the cloudbase-init option it came from (a comment in the output)."""

    @property
    def warnings(self) -> list[Note]:
        return [n for n in self.notes if n.is_warning]

    def to_toml(self, source: str) -> str:
        header = [
            f"wincloud agent config converted from {source}",
            "by `wincloud agent config import-cloudbase-init`; see docs/agent-config.md.",
        ]
        for title, warning in (("Not converted:", True), ("Notes:", False)):
            picked = [n for n in self.notes if n.is_warning is warning]
            if picked:
                header += ["", title, *(n.describe() for n in picked)]
        return render_toml(self.data, header=header, comments=self.origins)


def _split_list(value: str) -> list[str]:
    return [item.strip() for item in value.replace("\n", ",").split(",") if item.strip()]


def _short_class(path: str) -> str:
    return ".".join(path.split(".")[-2:])


def has_key(dotted: str) -> bool:
    """Whether our config has this (``section.key`` or top-level) key."""
    kind: Any = AgentConfig
    for part in dotted.split("."):
        if not (isinstance(kind, type) and issubclass(kind, msgspec.Struct)):
            return False
        hints = typing.get_type_hints(kind)
        if part not in hints:
            return False
        kind = hints[part]
    return True


def _join_windows_path(folder: str, name: str) -> str:
    if not folder or re.match(r"^([A-Za-z]:)?[\\/]", name):
        return name
    if folder.endswith(("\\", "/")):
        return folder + name
    return folder + ("\\" if "\\" in folder else "/") + name


class _Converter:
    def __init__(self, ini: IniFile, where: str) -> None:
        self.ini = ini
        self.where = where
        self.used: set[tuple[str, str]] = set()
        self.out = Conversion()

    # options -------------------------------------------------------------------------------
    def take(self, *names: str) -> tuple[str, IniValue] | None:
        """The first of ``section.option`` names present (the current spelling first, then
        deprecated ones); every spelling counts as read."""
        found: tuple[str, IniValue] | None = None
        for dotted in names:
            section, _, option = dotted.rpartition(".")
            value = self.ini.get(section or DEFAULT, {}).get(option)
            if value is not None:
                self.used.add((section or DEFAULT, option))
                found = found or (dotted, value)
        return found

    def note(self, value: IniValue | None, option: str, message: str, hint: str = "") -> None:
        line = value.line if value else 0
        self.out.notes.append(Note(self.where, line, option, message, hint))

    def warn(self, value: IniValue | None, option: str, message: str, hint: str = "") -> None:
        line = value.line if value else 0
        self.out.notes.append(Note(self.where, line, option, message, hint, is_warning=True))

    def set(self, key: str, value: Any, origin: str) -> None:
        section, _, name = key.rpartition(".")
        (self.out.data.setdefault(section, {}) if section else self.out.data)[name] = value
        self.out.origins[key] = origin

    def boolean(self, option: str, value: IniValue) -> bool | None:
        text = value.value.strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        self.warn(value, option, f"not a boolean: {value.value!r}; ignored", "use true or false")
        return None

    def number(self, option: str, value: IniValue, kind: Callable[[str], float]) -> float | None:
        try:
            return kind(value.value.strip())
        except ValueError:
            self.warn(value, option, f"not a number: {value.value!r}; ignored")
            return None

    def clamped(
        self, key: str, number: float, bounds: tuple[float, float], value: IniValue, origin: str
    ) -> None:
        low, high = bounds
        kept = min(max(number, low), high)
        if kept != number:
            self.note(value, origin, f"{number:g} is outside {low:g}..{high:g}: {kept:g} is used")
        self.set(key, type(number)(kept), origin)

    def run(self) -> Conversion:
        self.lists()
        self.account()
        self.options()
        self.behaviour()
        self.logging()
        self.urls()
        for option, reason in NOT_NEEDED.items():
            found = self.take(option)
            if found:
                self.note(found[1], option, f"not needed: {reason}")
        for section, options in self.ini.items():
            for option, value in options.items():
                if (section, option) not in self.used:
                    name = option if section == DEFAULT else f"{section}.{option}"
                    self.warn(value, name, "no wincloud equivalent; ignored", NO_EQUIVALENT_HINT)
        self.out.notes.sort(key=lambda n: n.line)
        return self.out

    def mapped_list(
        self,
        option: str,
        defaults: tuple[str, ...],
        table: dict[str, tuple[str, str]],
        registry: Mapping[str, str],
        kind: str,
    ) -> tuple[list[str], IniValue | None]:
        found = self.take(option)
        value = found[1] if found else None
        classes = _split_list(value.value) if value else list(defaults)
        if value is None:
            self.note(None, option, f"not set: converted cloudbase-init's default {kind} list")
        names: list[str] = []
        for path in classes:
            name, what = table.get(_short_class(path), ("", ""))
            if name and name in registry:
                if name not in names:
                    names.append(name)
                continue
            if what:
                message = f"{path} ({what}): no wincloud {kind} does this yet; left out"
                hint = f"wincloud's {kind}s: " + ", ".join(sorted(registry))
            else:
                message = f"{path}: unknown cloudbase-init {kind}; left out"
                hint = "check the class path; wincloud's: " + ", ".join(sorted(registry))
            self.warn(value, option, message, hint)
        return names, value

    def lists(self) -> None:
        sources, where = self.mapped_list(
            "metadata_services", CBI_SERVICES, SERVICE_MAP, SOURCES, "source"
        )
        if sources:
            self.set("sources", sources, "metadata_services")
        else:
            self.warn(where, "metadata_services", "no service has a wincloud source: defaults kept")
        plugins, where = self.mapped_list("plugins", CBI_PLUGINS, PLUGIN_MAP, PLUGINS, "plugin")
        found = self.take("process_userdata")
        flag = self.boolean("process_userdata", found[1]) if found else None
        if found and flag is not None:
            if not flag and "userdata" in plugins:
                plugins.remove("userdata")
            said = "true: the same as wincloud" if flag else "false: no userdata plugin"
            self.note(found[1], "process_userdata", said)
        self.set("plugins", plugins, "plugins")
        for needs in (p for p in ("password", "ssh_keys") if p in plugins):
            if "users" not in plugins:
                self.note(where, "plugins", f"{needs} without users: the account must exist")
            elif plugins.index("users") > plugins.index(needs):
                said = f"{needs} runs before users, so it fails on a new account"
                self.warn(where, "plugins", said, f"put users before {needs}")

    def account(self) -> None:
        if found := self.take("username"):
            self.set("users.username", found[1].value, "username")
        else:
            self.note(None, "username", "not set: cloudbase-init's Admin is wincloud's admin")
        groups = self.take("groups")
        if groups and [g.lower() for g in _split_list(groups[1].value)] != ["administrators"]:
            self.set("users.groups", _split_list(groups[1].value), "groups")
        else:
            said = groups[1].value if groups else "not set"
            self.note(groups[1] if groups else None, "groups", f"{said}: {ADMINS}")
        if not self.take("first_logon_behaviour") and has_key("password.change_at_first_logon"):
            self.note(None, "first_logon_behaviour", "not set: cloudbase-init's default is kept")
            theirs = "clear_text_injected_only"
            origin = f"first_logon_behaviour = {theirs}, cloudbase-init's default"
            self.set("password.change_at_first_logon", FIRST_LOGON[theirs], origin)
        if found := self.take("user_password_length"):
            length = self.number("user_password_length", found[1], int)
            if length is not None:
                self.clamped(
                    "password.length", int(length), (12, 128), found[1], "user_password_length"
                )

    def options(self) -> None:
        """The options of OPTION_MAP: converted when our config has the key."""
        for option, (ours, kind) in OPTION_MAP.items():
            found = self.take(option)
            if found is None:
                continue
            value = found[1]
            if not has_key(ours):
                same, hint = SAME_AS_OURS.get(option, ("", NO_EQUIVALENT_HINT))
                if value.value.strip().lower() == same:
                    self.note(value, option, f"{same}: the same as wincloud")
                else:
                    self.warn(value, option, "no wincloud equivalent; ignored", hint)
                continue
            converted = self.convert(option, value, kind)
            if converted is not None:
                self.try_set(ours, converted, value, option)
            if isinstance(converted, str) and "cloudbase-init" in converted.lower():
                self.note(value, option, IN_ITS_FOLDER, "move the files and change this path")
        plugins = self.out.data.get("plugins", [])
        if "san_policy" in plugins and not self.take("san_policy") and has_key("san_policy.policy"):
            self.set("san_policy.policy", "keep", "SANPolicyPlugin without san_policy: no change")

    def convert(self, option: str, value: IniValue, kind: str | dict[str, str]) -> Any:
        text = value.value.strip()
        if isinstance(kind, dict):
            if text.lower() not in kind:
                choices = ", ".join(sorted(kind))
                self.warn(value, option, f"unknown value {text!r}; ignored", f"one of {choices}")
            return kind.get(text.lower())
        if kind == "bool":
            return self.boolean(option, value)
        if kind == "int":
            number = self.number(option, value, int)
            return None if number is None else int(number)
        return _split_list(text) if kind == "list" else text

    def try_set(self, key: str, value: Any, given: IniValue, origin: str) -> None:
        """Set ``key`` when our config accepts the value; a warning naming the reason if not."""
        section, _, name = key.rpartition(".")
        try:
            parse_config({section: {name: value}} if section else {name: value})
        except ConfigError as exc:
            self.warn(given, origin, f"{exc.message} for {key}; not converted")
            return
        self.set(key, value, origin)

    def behaviour(self) -> None:
        found = self.take("allow_reboot")
        if found and (flag := self.boolean("allow_reboot", found[1])) is not None:
            self.set("allow_reboot", flag, "allow_reboot")
        count_found = self.take("retry_count")
        interval_found = self.take("retry_count_interval")
        if count_found and (count := self.number("retry_count", count_found[1], int)) is not None:
            origin = "retry_count (+1, the first try)"
            self.clamped("retry.attempts", int(count) + 1, (1, 20), count_found[1], origin)
        if interval_found:
            pause = self.number("retry_count_interval", interval_found[1], float)
            if pause is not None:
                origin = "retry_count_interval (a fixed pause)"
                for key in ("retry.backoff", "retry.max_delay"):
                    self.clamped(key, float(pause), (0, 300), interval_found[1], origin)

    def logging(self) -> None:
        debug = self.take("debug")
        verbose = self.take("verbose")
        origin = " + ".join(f"{f[0]} = {f[1].value}" for f in (debug, verbose) if f)
        if debug and self.boolean("debug", debug[1]):
            self.set("log.level", "debug", origin)
        elif verbose and self.boolean("verbose", verbose[1]) is False:
            self.set("log.level", "warning", origin)
        elif debug or verbose:
            self.set("log.level", "info", origin)
        folder = self.take("log_dir", "logdir")
        name = self.take("log_file", "logfile")
        if name and name[1].value:
            path = _join_windows_path(folder[1].value if folder else "", name[1].value)
            origin = " + ".join(f[0] for f in (folder, name) if f)
            if "cloudbase-init" in path.lower():
                said = f"{path}: {IN_ITS_FOLDER}; wincloud's default log file is kept"
                self.note(name[1], origin, said, "set log.file for another place")
            else:
                self.set("log.file", path, origin)
        elif folder:
            self.note(folder[1], folder[0], "without a log file: wincloud's default is kept")
        found = self.take("logging_serial_port_settings")
        if found and (parts := _split_list(found[1].value)):
            port, *rest = parts
            self.set("log.serial_port", port, "logging_serial_port_settings")
            if rest:
                said = f"{','.join(rest)} not applied: wincloud keeps the port's own settings"
                hint = f"set them in the image: mode {port}: BAUD=... PARITY=... DATA=..."
                self.note(found[1], "logging_serial_port_settings", said, hint)
        elif found:
            self.note(found[1], "logging_serial_port_settings", "empty: no serial logging")

    def urls(self) -> None:
        for ours, names in (
            ("openstack_http.url", ("openstack.metadata_base_url", "metadata_base_url")),
            ("ec2.url", ("ec2.metadata_base_url", "ec2_metadata_base_url")),
        ):
            if found := self.take(*names):
                url = found[1].value.strip().rstrip("/")
                if url.startswith(("http://", "https://")):
                    self.set(ours, url, found[0])
                else:
                    self.warn(found[1], found[0], f"not an http(s) URL: {url!r}; ignored")
        for name in (
            "openstack.add_metadata_private_ip_route",
            "ec2.add_metadata_private_ip_route",
            "add_metadata_private_ip_route",
            "ec2_add_metadata_private_ip_route",
        ):
            found = self.take(name)
            flag = self.boolean(name, found[1]) if found else None
            if found and flag:
                hint = "make 169.254.169.254 reachable on-link or by a DHCP classless route"
                self.warn(found[1], name, "true: wincloud adds no route to it", hint)
            elif found and flag is False:
                self.note(found[1], name, "false: the same as wincloud")


def convert_cloudbase_conf(ini: IniFile, *, where: str) -> Conversion:
    """The conversion of a parsed cloudbase-init.conf; its data always loads as AgentConfig."""
    conversion = _Converter(ini, where).run()
    parse_config(conversion.data, where=f"converted {where}")
    return conversion


def import_cloudbase_conf(path: Path) -> Conversion:
    return convert_cloudbase_conf(read_ini(path), where=path.name)
