"""CLIXML values (as pypsrp deserialises them) -> Python values for our records.

Hyper-V objects come back as generic objects: a ``Select-Object`` projection or a
``[pscustomobject]`` keeps its properties in ``<MS>`` (``extended_properties``), a live object
in ``<Props>`` (``adapted_properties``). Enums (``VMState``) are an ``<Obj>`` with ``<ToString>``
and the integer; ``<TS>`` (TimeSpan) and ``<DT>`` (DateTime) arrive as their XML text, ``<G>``
as a ``uuid.UUID``.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from wincloud.errors import HostOperationFailed

_DURATION = re.compile(
    r"^(?P<neg>-)?P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


class Record:
    """Property access on one output object, with errors naming the script and property."""

    def __init__(self, obj: Any, *, host: str, cmdlet: str) -> None:
        self.obj = obj
        self.host = host
        self.cmdlet = cmdlet
        props: dict[str, Any] = {}
        for attr in ("adapted_properties", "extended_properties"):
            value = getattr(obj, attr, None)
            if isinstance(value, dict):
                props.update(value)
        if not props and not isinstance(obj, dict):
            raise self._bad("an object with properties", obj)
        self.props = props if props else dict(obj)

    def _bad(self, what: str, value: Any, name: str = "") -> HostOperationFailed:
        return HostOperationFailed(
            f"{self.cmdlet} on {self.host} answered something unexpected: "
            f"{name or 'output'} is not {what}",
            host=self.host,
            cmdlet=self.cmdlet,
            detail=repr(value)[:300],
        )

    def raw(self, name: str) -> Any:
        return self.props.get(name)

    def text(self, name: str, default: str | None = None) -> str:
        v = self.props.get(name)
        if v is None:
            if default is not None:
                return default
            raise self._bad("a string", v, name)
        return v if isinstance(v, str) else str(v)

    def opt_text(self, name: str) -> str | None:
        v = self.props.get(name)
        return None if v is None or v == "" else (v if isinstance(v, str) else str(v))

    def integer(self, name: str, default: int | None = None) -> int:
        v = self.props.get(name)
        if v is None and default is not None:
            return default
        if isinstance(v, bool) or v is None:
            raise self._bad("an integer", v, name)
        if isinstance(v, int):
            return v
        try:
            return int(str(v).strip())
        except ValueError as exc:
            raise self._bad("an integer", v, name) from exc

    def opt_integer(self, name: str) -> int | None:
        return None if self.props.get(name) is None else self.integer(name)

    def number(self, name: str) -> float:
        v = self.props.get(name)
        if isinstance(v, int | float) and not isinstance(v, bool):
            return float(v)
        try:
            return float(str(v))
        except ValueError as exc:
            raise self._bad("a number", v, name) from exc

    def flag(self, name: str) -> bool:
        v = self.props.get(name)
        if isinstance(v, bool):
            return v
        raise self._bad("a boolean", v, name)

    def opt_flag(self, name: str) -> bool | None:
        return None if self.props.get(name) is None else self.flag(name)

    def guid(self, name: str) -> str:
        v = self.props.get(name)
        if isinstance(v, uuid.UUID):
            return str(v)
        try:
            return str(uuid.UUID(str(v)))
        except ValueError as exc:
            raise self._bad("a GUID", v, name) from exc

    def enum_int(self, name: str) -> int:
        """An enum ``<Obj>`` (its integer), a bare integer, or nothing usable."""
        v = self.props.get(name)
        if isinstance(v, int) and not isinstance(v, bool):
            return v
        for item in getattr(v, "property_sets", None) or []:
            if isinstance(item, int) and not isinstance(item, bool):
                return item
        raise self._bad("an enum value", v, name)

    def enum_str(self, name: str) -> str:
        v = self.props.get(name)
        text = getattr(v, "to_string", None)
        if isinstance(text, str):
            return text
        if isinstance(v, str):
            return v
        raise self._bad("an enum value", v, name)

    def timespan_s(self, name: str) -> float:
        v = self.props.get(name)
        if v is None:
            return 0.0
        m = _DURATION.match(str(v).strip())
        if m is None:
            raise self._bad("a TimeSpan", v, name)
        seconds = (
            int(m["d"] or 0) * 86400
            + int(m["h"] or 0) * 3600
            + int(m["m"] or 0) * 60
            + float(m["s"] or 0)
        )
        return -seconds if m["neg"] else seconds

    def datetime(self, name: str) -> dt.datetime:
        v = self.props.get(name)
        parsed = parse_datetime(str(v)) if v is not None else None
        if parsed is None:
            raise self._bad("a DateTime", v, name)
        return parsed

    def opt_datetime(self, name: str) -> dt.datetime | None:
        v = self.props.get(name)
        return None if v is None else self.datetime(name)

    def str_list(self, name: str) -> list[str]:
        v = self.props.get(name)
        if v is None:
            return []
        if isinstance(v, str):
            return [v]
        if isinstance(v, list):
            return [str(x) for x in v if x is not None]
        raise self._bad("a list of strings", v, name)


def parse_datetime(text: str) -> dt.datetime | None:
    """``2026-12-03T08:00:00.1234567Z`` / ``...+01:00`` / no zone (taken as UTC) -> aware UTC."""
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$", text.strip())
    if m is None:
        return None
    frac = (m[2] or "0")[:6].ljust(6, "0")
    zone = m[3] or "Z"
    stamp = dt.datetime.fromisoformat(f"{m[1]}.{frac}{'+00:00' if zone == 'Z' else zone}")
    return stamp.astimezone(dt.UTC)
