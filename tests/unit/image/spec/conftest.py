"""A valid spec as TOML text, written to a folder; tests mutate it key by key."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SPEC_TOML = """\
[image]
name = "ws2022-std"
description = "Windows Server 2022 Standard, VirtIO, wincloud agent"

[source]
iso = "iso/SERVER_EVAL_x64FRE_en-us.iso"
edition = "Windows Server 2022 SERVERSTANDARD"
version = "2022"
architecture = "amd64"

[firmware]
type = "uefi"
secure_boot = true
tpm = false

[disk]
bus = "virtio"
size_gib = 40

[network]
model = "virtio"

[locale]
ui_language = "en-US"
input_locale = "en-US"
system_locale = "en-US"
user_locale = "en-US"
time_zone = "UTC"

[licensing]
mode = "kms-client"

[drivers]
virtio_win_iso = "iso/virtio-win-0.1.266.iso"
extra = []

[agent]
msi = "dist/wincloud-agent.msi"

[build]
accel = "auto"
cpus = 2
memory_mib = 4096
keep_disk_on_failure = false

[build.timeouts]
boot = 600
windowspe = 3600
specialize = 1800
firstlogon = 1800
sysprep = 1800

[publish]
name = "Windows Server 2022 Standard"
disk_format = "qcow2"
compression = "none"
visibility = "private"
min_disk_gib = 40
min_ram_mib = 2048
properties = { }
"""


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return str(value)


def dump_toml(data: dict[str, Any]) -> str:
    """Enough TOML for a spec: tables of scalars, lists and inline tables, one level nested."""
    lines: list[str] = []

    def table(name: str, body: dict[str, Any]) -> None:
        lines.append(f"[{name}]")
        nested = {k: v for k, v in body.items() if isinstance(v, dict) and k != "properties"}
        for key, value in body.items():
            if key not in nested:
                lines.append(f"{key} = {_toml_value(value)}")
        for key, value in nested.items():
            table(f"{name}.{key}", value)

    for name, body in data.items():
        table(name, body)
    return "\n".join(lines) + "\n"


def base_data() -> dict[str, Any]:
    return copy.deepcopy(tomllib.loads(SPEC_TOML))


@pytest.fixture
def write_spec(tmp_path) -> Callable[..., Path]:
    """write_spec(data=None, name="spec.toml") -> path of the written spec (in tmp_path)."""

    def write(data: dict[str, Any] | None = None, name: str = "spec.toml") -> Path:
        path = tmp_path / name
        path.write_text(SPEC_TOML if data is None else dump_toml(data), encoding="utf-8")
        return path

    return write
