"""Stateful fakes of the Win32 bindings: accounts, registry, WMI object sets, volumes, license
state, services, processes. They keep state so tests assert outcomes, and raise the error codes
Windows documents (each cites its Microsoft page). Not yet checked against a real Windows."""

from __future__ import annotations

from wincloud.platform.windows._win32.fake.accounts import (
    FakeAccounts,
    FakeAdvapi,
    FakeNetApi,
    FakeUserenv,
)
from wincloud.platform.windows._win32.fake.registry import FakeRegistry
from wincloud.platform.windows._win32.fake.system import FakeKernel32, FakeServices, FakeSpawner
from wincloud.platform.windows._win32.fake.windows import FakeWindows
from wincloud.platform.windows._win32.fake.wmi import FakeWmi

__all__ = [
    "FakeAccounts",
    "FakeAdvapi",
    "FakeKernel32",
    "FakeNetApi",
    "FakeRegistry",
    "FakeServices",
    "FakeSpawner",
    "FakeUserenv",
    "FakeWindows",
    "FakeWmi",
]
