import pytest

from wincloud.errors import NotSupported, PlatformError
from wincloud.platform.windows._win32.advapi import SID_ADMINISTRATORS, SID_SYSTEM
from wincloud.platform.windows._win32.errors import ERROR_ACCESS_DENIED, NERR_PasswordTooShort
from wincloud.platform.windows._win32.fake import FakeAccounts, FakeWindows
from wincloud.secret import Secret

KEYS = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA one", "ssh-rsa AAAAB3NzaC1yc2E two"]


def test_ensure_creates_a_disabled_account_once(platform, win):
    users = platform.users
    assert users.exists("alice") is False
    assert users.ensure("alice") is True
    assert users.ensure("ALICE") is False  # names are case-insensitive
    account = win.accounts.users["alice"]
    assert account.password and account.flags & 0x2  # a random password, disabled
    assert users.has_password("alice") is False


def test_ensure_adds_groups_creating_missing_ones(platform, win):
    platform.users.ensure("alice", groups=["Administrators"])
    platform.users.ensure("alice", groups=["Administrators", "Operators Of Things"])
    assert platform.users.groups_of("alice") == ["Administrators", "Operators Of Things", "Users"]
    assert "alice" in win.accounts.groups["operators of things"].members


def test_admin_group_is_found_by_its_sid_in_any_language(tmp_path):
    german = FakeWindows(accounts=FakeAccounts(admin_group="Administratoren"))
    assert german.platform(tmp_path).users.admin_groups() == ["Administratoren"]


@pytest.mark.parametrize("bad", ["has space", "a:b", "", "x" * 21, "a/b"])
def test_invalid_user_names_are_refused(platform, bad):
    with pytest.raises(PlatformError):
        platform.users.ensure(bad)


def test_set_password_enables_the_account(platform, win):
    platform.users.ensure("alice")
    platform.users.set_password("alice", Secret("Pa55:word with spaces"))
    assert win.accounts.users["alice"].password == "Pa55:word with spaces"
    assert platform.users.has_password("alice") is True


def test_a_password_the_policy_refuses_says_so_without_showing_it(platform):
    platform.users.ensure("alice")
    with pytest.raises(PlatformError) as info:
        platform.users.set_password("alice", Secret("short"))
    assert info.value.os_code == NERR_PasswordTooShort
    assert "short" not in str(info.value) and info.value.hint


def test_password_for_missing_user_raises(platform):
    with pytest.raises(PlatformError):
        platform.users.set_password("ghost", Secret("Pa55word!"))
    with pytest.raises(PlatformError):
        platform.users.has_password("ghost")


def test_not_elevated_gives_access_denied(platform, win):
    win.accounts.access_denied = True
    with pytest.raises(PlatformError) as info:
        platform.users.ensure("alice")
    assert info.value.os_code == ERROR_ACCESS_DENIED


def test_expire_password(platform, win):
    platform.users.ensure("alice")
    platform.users.expire_password("alice")
    assert win.accounts.users["alice"].password_expired


def test_password_hashes_are_not_supported(platform):
    with pytest.raises(NotSupported):
        platform.users.set_password_hash("alice", Secret("$6$x$y"))


def test_ensure_group(platform):
    assert platform.users.ensure_group("Web Admins") is True
    assert platform.users.ensure_group("web admins") is False


def test_authorized_keys_go_to_the_created_profile_privately(platform, win, tmp_path):
    platform.users.ensure("alice")
    path = platform.users.set_authorized_keys("alice", KEYS)
    assert path == r"C:\Users\alice\.ssh\authorized_keys"
    assert platform.files.read(path).decode().splitlines() == KEYS
    info = platform.files.stat(path)
    assert (info.mode, info.owner) == (0o600, "alice")
    acl = win.accounts.acls[str(platform.files.host(path)).lower()]
    assert acl.owner_sid == win.accounts.users["alice"].sid
    assert set(acl.allowed_sids) == {acl.owner_sid, SID_SYSTEM, SID_ADMINISTRATORS}


def test_admin_keys_are_readable_by_administrators_and_system_only(platform, win):
    path = platform.users.set_admin_authorized_keys(KEYS[:1])
    assert path == r"C:\ProgramData\ssh\administrators_authorized_keys"
    assert platform.files.read(path) == (KEYS[0] + "\n").encode()
    acl = win.accounts.acls[str(platform.files.host(path)).lower()]
    assert acl.allowed_sids == (SID_ADMINISTRATORS, SID_SYSTEM)
