"""Licence rules as data: ``rules.toml`` (shipped defaults, each number with its source) and an
operator's file laid over it key by key."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

from wincloud.errors import ConfigError

DEFAULT_RULES: Final = "rules.toml"


@dataclass(frozen=True)
class Rules:
    name: str
    pack_size: int
    min_cores_per_processor: int
    min_cores_per_server: int
    standard_vms_per_licence: int
    standard_price_per_pack: float
    datacenter_price_per_pack: float
    cluster_peak: bool
    customer_key_sources: frozenset[str]
    windows_os_types: frozenset[str]
    windows_images: frozenset[str]
    desktop_editions: frozenset[str]
    editions: dict[str, str]
    flavor_vcpus: dict[str, int]
    sources: dict[str, str] = field(default_factory=dict)
    files: tuple[str, ...] = ()

    def to_document(self) -> dict[str, Any]:
        """What the report states about the rules it used."""
        values: dict[str, Any] = {}
        for key in self.sources:
            value = getattr(self, key)
            if isinstance(value, frozenset):
                value = sorted(value)
            elif isinstance(value, dict):
                value = {k: sorted(v) if isinstance(v, frozenset) else v for k, v in value.items()}
            values[key] = {"value": value, "source": self.sources[key]}
        return {"name": self.name, "files": list(self.files), "rules": values}


def _default_text() -> str:
    return resources.files("wincloud.licensing").joinpath(DEFAULT_RULES).read_text("utf-8")


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"the licence rules are not valid TOML ({exc})",
            subject=where,
            hint="see src/wincloud/licensing/rules.toml for the format",
        ) from None


def _want(value: Any, kind: type | tuple[type, ...], key: str, where: str, what: str) -> Any:
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        raise ConfigError(
            f"rule {key} must be {what}",
            subject=where,
            hint="see src/wincloud/licensing/rules.toml for each rule's form",
        )
    return value


def _count(value: Any, key: str, where: str, low: int) -> int:
    number = _want(value, int, key, where, f"a whole number >= {low}")
    if number < low:
        raise ConfigError(f"rule {key} must be a whole number >= {low}", subject=where)
    return int(number)


def _texts(value: Any, key: str, where: str) -> frozenset[str]:
    items = _want(value, list, key, where, "a list of strings")
    if not all(isinstance(item, str) for item in items):
        raise ConfigError(f"rule {key} must be a list of strings", subject=where)
    return frozenset(items)


def _build(merged: dict[str, Any], files: tuple[str, ...]) -> Rules:
    where = files[-1]
    values = {key: entry["value"] for key, entry in merged.items() if isinstance(entry, dict)}
    sources = {key: str(entry.get("source", "")) for key, entry in merged.items() if key != "name"}
    editions = _want(values["editions"], dict, "editions", where, "a table of strings")
    flavors = _want(values["flavor_vcpus"], dict, "flavor_vcpus", where, "a table of numbers")
    price = (int, float)
    return Rules(
        name=str(merged.get("name", "")),
        pack_size=_count(values["pack_size"], "pack_size", where, 1),
        min_cores_per_processor=_count(
            values["min_cores_per_processor"], "min_cores_per_processor", where, 0
        ),
        min_cores_per_server=_count(
            values["min_cores_per_server"], "min_cores_per_server", where, 0
        ),
        standard_vms_per_licence=_count(
            values["standard_vms_per_licence"], "standard_vms_per_licence", where, 1
        ),
        standard_price_per_pack=float(
            _want(
                values["standard_price_per_pack"],
                price,
                "standard_price_per_pack",
                where,
                "a number",
            )
        ),
        datacenter_price_per_pack=float(
            _want(
                values["datacenter_price_per_pack"],
                price,
                "datacenter_price_per_pack",
                where,
                "a number",
            )
        ),
        cluster_peak=_want(values["cluster_peak"], bool, "cluster_peak", where, "true or false"),
        customer_key_sources=_texts(values["customer_key_sources"], "customer_key_sources", where),
        windows_os_types=_texts(values["windows_os_types"], "windows_os_types", where),
        windows_images=_texts(values["windows_images"], "windows_images", where),
        desktop_editions=_texts(values["desktop_editions"], "desktop_editions", where),
        editions={
            str(k): str(_want(v, str, f"editions.{k}", where, "a string"))
            for k, v in editions.items()
        },
        flavor_vcpus={str(k): _count(v, f"flavor_vcpus.{k}", where, 1) for k, v in flavors.items()},
        sources=sources,
        files=files,
    )


def load_rules(path: Path | None = None) -> Rules:
    """The shipped defaults, with ``path``'s keys laid over them when given. A key the
    defaults do not have is a ConfigError (a typo would otherwise be silently ignored)."""
    merged = _parse(_default_text(), "wincloud/licensing/rules.toml")
    files: tuple[str, ...] = ("wincloud/licensing/rules.toml",)
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"cannot read the licence rules ({exc.__class__.__name__})", subject=str(path)
            ) from None
        overlay = _parse(text, str(path))
        for key, entry in overlay.items():
            if key not in merged:
                raise ConfigError(
                    f"unknown licence rule {key!r}",
                    subject=str(path),
                    hint=f"known rules: {', '.join(sorted(k for k in merged if k != 'name'))}",
                )
            if key == "name":
                merged[key] = str(entry)
                continue
            if not isinstance(entry, dict) or set(entry) - {"value", "source"}:
                raise ConfigError(
                    f"rule {key} must be a table with value (and optionally source)",
                    subject=str(path),
                    hint=f'e.g. [{key}] value = ... source = "your contract, clause ..."',
                )
            merged[key] = {**merged[key], **entry}
            if "source" not in entry:
                merged[key]["source"] = f"{path} (no source given)"
        files += (str(path),)
    return _build(merged, files)
