"""CLIXML for the replay server: read what pypsrp sends (CREATE_PIPELINE: the script text and
its parameters) and fill the hand-written response fixtures. Written from [MS-PSRP] 2.2.5
(serialization) and 2.2.3.11-13 (PowerShell, Command, CommandParameter)."""

from __future__ import annotations

import base64
import datetime as dt
import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

FIXTURES = Path(__file__).parent / "fixtures"
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def decode_string(text: str | None) -> str:
    """``_xHHHH_`` escapes (control characters, surrogate halves) back to text."""
    raw = _ESCAPED.sub(lambda m: chr(int(m[1], 16)), text or "")
    return raw.encode("utf-16-le", "surrogatepass").decode("utf-16-le")


def encode_string(value: str) -> str:
    """XML-escape and ``_xHHHH_``-escape control characters, as PowerShell's serializer does."""
    value = value.replace("_x", "_x005F_x")
    value = "".join(
        f"_x{ord(c):04X}_" if ord(c) < 32 or 0x7F <= ord(c) <= 0x9F else c for c in value
    )
    return xml_escape(value, {'"': "&quot;"})


def decode_value(el: ET.Element) -> Any:
    tag = el.tag
    if tag == "Nil":
        return None
    if tag in ("S", "ToString"):
        return decode_string(el.text)
    if tag in ("I32", "I64", "U64", "U32", "I16", "U16", "By", "SB"):
        return int(el.text or "0")
    if tag == "B":
        return (el.text or "").lower() == "true"
    if tag == "BA":
        return base64.b64decode(el.text or "")
    if tag == "G":
        return uuid.UUID(el.text or "")
    if tag == "Obj":
        lst = el.find("LST")
        if lst is not None:
            return [decode_value(x) for x in lst]
    return ET.tostring(el, encoding="unicode")


def parse_create_pipeline(xml: str) -> tuple[str, dict[str, Any]]:
    """The first command's script text and its named parameters."""
    root = ET.fromstring(xml)
    cmd = root.find(".//Obj[@N='Cmds']/LST/Obj")
    if cmd is None:
        raise ValueError("CREATE_PIPELINE without commands")
    script = decode_string(cmd.findtext("MS/S[@N='Cmd']"))
    params: dict[str, Any] = {}
    for arg in cmd.findall("MS/Obj[@N='Args']/LST/Obj"):
        name_el = arg.find("MS/*[@N='N']")
        value_el = arg.find("MS/*[@N='V']")
        if name_el is None or value_el is None or name_el.tag == "Nil":
            continue
        params[decode_string(name_el.text)] = decode_value(value_el)
    return script, params


def fixture(name: str) -> str:
    """A fixture's text without its documentation comment and layout whitespace."""
    text = _COMMENT.sub("", (FIXTURES / f"{name}.xml").read_text(encoding="utf-8"))
    return re.sub(r">\s+<", "><", text).strip()


def render(fixture_name: str, /, **values: str) -> str:
    return fixture(fixture_name).format(**values)


# ---- typed property elements (values escaped) ----
def s(name: str, value: str | None) -> str:
    if value is None:
        return f'<Nil N="{name}" />'
    return f'<S N="{name}">{encode_string(value)}</S>'


def i32(name: str, value: int | None) -> str:
    return f'<Nil N="{name}" />' if value is None else f'<I32 N="{name}">{int(value)}</I32>'


def i64(name: str, value: int) -> str:
    return f'<I64 N="{name}">{int(value)}</I64>'


def u64(name: str, value: int) -> str:
    return f'<U64 N="{name}">{int(value)}</U64>'


def b(name: str, value: bool | None) -> str:
    if value is None:
        return f'<Nil N="{name}" />'
    return f'<B N="{name}">{"true" if value else "false"}</B>'


def ba(name: str, value: bytes) -> str:
    if not value:  # our scripts send $null for no bytes (pypsrp cannot read an empty <BA/>)
        return f'<Nil N="{name}" />'
    return f'<BA N="{name}">{base64.b64encode(value).decode()}</BA>'


def dt_(name: str, value: dt.datetime | None) -> str:
    if value is None:
        return f'<Nil N="{name}" />'
    utc = value.astimezone(dt.UTC)
    return f'<DT N="{name}">{utc.strftime("%Y-%m-%dT%H:%M:%S")}.{utc.microsecond:06d}0+00:00</DT>'


def timespan(seconds: float) -> str:
    """xs:duration as PowerShell writes a TimeSpan: ``PT1H2M3.5S``, ``P2DT3H0M0S``."""
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    frac = f"{secs + (seconds - whole):.7f}".rstrip("0").rstrip(".")
    return (f"P{days}D" if days else "P") + f"T{hours}H{minutes}M{frac}S"


def string_array(name: str, ref: int, values: list[str]) -> str:
    items = "".join(f"<S>{encode_string(v)}</S>" for v in values)
    return (
        f'<Obj N="{name}" RefId="{ref}"><TN RefId="{ref}"><T>System.String[]</T>'
        f"<T>System.Array</T><T>System.Object</T></TN><LST>{items}</LST></Obj>"
    )
