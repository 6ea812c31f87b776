"""A stateful fake of the registry binding: keys (case-insensitive) holding typed values."""

from __future__ import annotations

from collections.abc import Sequence

from wincloud.errors import PlatformError

Value = str | int | list[str]


def _norm(key: str) -> str:
    return key.strip("\\").lower()


class FakeRegistry:
    def __init__(self) -> None:
        self.keys: dict[str, dict[str, tuple[str, Value]]] = {}
        """lower-case key -> lower-case value name -> (type, value)."""
        self.case: dict[str, str] = {}
        """lower-case key -> its last segment as first written."""

    @property
    def values(self) -> dict[tuple[str, str], str]:
        """Text values by (key, name), lower-cased: a compact view for assertions."""
        return {
            (key, name): value
            for key, names in self.keys.items()
            for name, (kind, value) in names.items()
            if kind == "REG_SZ" and isinstance(value, str)
        }

    def _get(self, key: str, name: str, kind: str) -> Value | None:
        found = self.keys.get(_norm(key), {}).get(name.lower())
        if found is None:
            return None
        if found[0] != kind:
            raise PlatformError(
                "registry value has another type", operation="registry", subject=key
            )
        return found[1]

    def _set(self, key: str, name: str, kind: str, value: Value) -> None:
        parts = key.strip("\\").split("\\")
        for depth in range(1, len(parts) + 1):
            path = "\\".join(parts[:depth]).lower()
            self.keys.setdefault(path, {})
            self.case.setdefault(path, parts[depth - 1])
        self.keys[_norm(key)][name.lower()] = (kind, value)

    def read_text(self, key: str, name: str) -> str | None:
        value = self._get(key, name, "REG_SZ")
        return value if isinstance(value, str) else None

    def write_text(self, key: str, name: str, value: str) -> None:
        self._set(key, name, "REG_SZ", value)

    def read_dword(self, key: str, name: str) -> int | None:
        value = self._get(key, name, "REG_DWORD")
        return value if isinstance(value, int) else None

    def write_dword(self, key: str, name: str, value: int) -> None:
        if not 0 <= value <= 0xFFFFFFFF:
            raise PlatformError("DWORD out of range", operation="RegSetValueEx", subject=key)
        self._set(key, name, "REG_DWORD", value)

    def read_multi(self, key: str, name: str) -> list[str] | None:
        value = self._get(key, name, "REG_MULTI_SZ")
        return list(value) if isinstance(value, list) else None

    def write_multi(self, key: str, name: str, value: Sequence[str]) -> None:
        self._set(key, name, "REG_MULTI_SZ", list(value))

    def delete_value(self, key: str, name: str) -> bool:
        return self.keys.get(_norm(key), {}).pop(name.lower(), None) is not None

    def has_key(self, key: str) -> bool:
        return _norm(key) in self.keys

    def subkeys(self, key: str) -> list[str]:
        prefix = _norm(key) + "\\"
        children = [k for k in self.keys if k.startswith(prefix) and "\\" not in k[len(prefix) :]]
        return sorted(self.case[k] for k in children)
