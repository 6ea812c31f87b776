"""The real bindings refuse to run off Windows (their imports happen inside the methods), and
the fakes' building blocks behave as documented."""

import sys

import pytest

from wincloud.errors import NotSupported, PlatformError
from wincloud.platform.windows import real_bindings, windows_platform
from wincloud.platform.windows._win32.errors import (
    ERROR_ALIAS_EXISTS,
    ERROR_MEMBER_IN_ALIAS,
    ERROR_NO_SUCH_MEMBER,
    WBEM_E_INVALID_CLASS,
    WBEM_E_INVALID_NAMESPACE,
    WBEM_E_NOT_FOUND,
    NERR_GroupNotFound,
    NERR_UserExists,
)
from wincloud.platform.windows._win32.fake import FakeAccounts, FakeNetApi, FakeRegistry, FakeWmi
from wincloud.platform.windows._win32.wmi import render_wql

off_windows = pytest.mark.skipif(sys.platform == "win32", reason="checks the Linux side")

CALLS = [
    ("netapi", "user_get", ("x",)),
    ("advapi", "account_sid", ("x",)),
    ("userenv", "create_profile", ("S-1-5-18", "x")),
    ("kernel32", "windows_directory", ()),
    ("registry", "read_dword", ("SOFTWARE", "x")),
    ("wmi", "query", (r"root\cimv2", "Win32_OperatingSystem")),
    ("spawner", "run", (["cmd.exe"],)),
    ("services", "query", ("WinRM",)),
    ("certificates", "find", ("My", "A" * 40)),
    ("wsman", "get", ("winrm/config",)),
]


@off_windows
@pytest.mark.parametrize(("family", "method", "args"), CALLS)
def test_real_bindings_say_not_supported(family, method, args):
    binding = getattr(real_bindings(), family)
    kwargs = {"timeout": 1} if method == "run" else {}
    with pytest.raises(NotSupported):
        getattr(binding, method)(*args, **kwargs)


@off_windows
def test_the_windows_platform_builds_on_linux_without_touching_the_os():
    platform = windows_platform()
    assert (platform.name, platform.family) == ("windows", "windows")


def test_wql_values_are_quoted_and_names_checked():
    assert render_wql("MSFT_NetAdapter", {"Name": "it's\\x", "InterfaceIndex": 4}) == (
        "SELECT * FROM MSFT_NetAdapter WHERE Name = 'it\\'s\\\\x' AND InterfaceIndex = 4"
    )
    with pytest.raises(PlatformError):
        render_wql("X; DROP", None)
    with pytest.raises(PlatformError):
        render_wql("X", {"a b": 1})


def test_fake_wmi_errors_carry_wbem_codes():
    wmi = FakeWmi()
    with pytest.raises(PlatformError) as info:
        wmi.query(r"root\nowhere", "X")
    assert info.value.os_code == WBEM_E_INVALID_NAMESPACE
    wmi.define(r"root\cimv2", "Known")
    with pytest.raises(PlatformError) as info:
        wmi.query(r"root\cimv2", "Unknown")
    assert info.value.os_code == WBEM_E_INVALID_CLASS
    with pytest.raises(PlatformError) as info:
        wmi.put(r"root\cimv2", 'Known.Name="x"', {"A": 1})
    assert info.value.os_code == WBEM_E_NOT_FOUND


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda n: n.user_add("Administrator", "Pa55word!", flags=0), NERR_UserExists),
        (lambda n: n.group_add("Users"), ERROR_ALIAS_EXISTS),
        (lambda n: n.group_add_member("Nope", "Administrator"), NERR_GroupNotFound),
        (lambda n: n.group_add_member("Users", "ghost"), ERROR_NO_SUCH_MEMBER),
        (
            lambda n: n.group_add_member("Administrators", r"HOST\Administrator"),
            ERROR_MEMBER_IN_ALIAS,
        ),
    ],
)
def test_fake_netapi_raises_the_documented_codes(call, code):
    with pytest.raises(PlatformError) as info:
        call(FakeNetApi(FakeAccounts()))
    assert info.value.os_code == code


def test_fake_registry_keeps_types_and_key_case():
    registry = FakeRegistry()
    registry.write_dword(r"SOFTWARE\A\B", "n", 5)
    registry.write_multi(r"SOFTWARE\A\C", "m", ["x", "y"])
    assert registry.subkeys(r"software\a") == ["B", "C"]
    assert registry.read_multi(r"SOFTWARE\A\C", "M") == ["x", "y"]
    assert registry.delete_value(r"SOFTWARE\A\B", "n") is True
    assert registry.delete_value(r"SOFTWARE\A\B", "n") is False
    with pytest.raises(PlatformError):
        registry.read_text(r"SOFTWARE\A\C", "m")
