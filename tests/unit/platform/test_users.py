import pytest

from wincloud.errors import NotSupported, PlatformError
from wincloud.secret import Secret

KEYS = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA one", "ssh-rsa AAAAB3NzaC1yc2E two"]


def test_ensure_creates_once(users_rig):
    users = users_rig.platform.users
    assert users.exists("alice") is False
    assert users.ensure("alice") is True
    assert users.ensure("alice") is False
    assert users.exists("alice")


def test_ensure_adds_groups_creating_missing_ones(users_rig):
    users = users_rig.platform.users
    users.ensure("alice", groups=["sudo"])
    users.ensure("alice", groups=["sudo", "operators"])
    assert users.groups_of("alice") == ["operators", "sudo"]


def test_admin_groups_are_named(users_rig):
    assert users_rig.platform.users.admin_groups()


@pytest.mark.parametrize("bad", ["-rf", "has space", "a:b", "", "x" * 40])
def test_invalid_user_name_is_refused(users_rig, bad):
    with pytest.raises(PlatformError):
        users_rig.platform.users.ensure(bad)


def test_password_is_set(users_rig):
    users = users_rig.platform.users
    users.ensure("alice")
    assert users.has_password("alice") is False
    users.set_password("alice", Secret("Pa55:word with spaces"))
    assert users.has_password("alice")
    assert users_rig.password_is("alice", "Pa55:word with spaces")


def test_password_for_missing_user_raises(users_rig):
    with pytest.raises(PlatformError):
        users_rig.platform.users.set_password("ghost", Secret("x"))


def test_password_with_newline_is_refused_without_showing_it(users_rig):
    users_rig.platform.users.ensure("alice")
    with pytest.raises(PlatformError) as info:
        users_rig.platform.users.set_password("alice", Secret("evil\nroot:x"))
    assert "evil" not in str(info.value)


def test_authorized_keys_are_private_to_the_user(users_rig):
    platform = users_rig.platform
    platform.users.ensure("alice")
    path = platform.users.set_authorized_keys("alice", KEYS)
    assert path == "/home/alice/.ssh/authorized_keys"
    assert platform.files.read(path).decode().splitlines() == KEYS
    info = platform.files.stat(path)
    assert (info.mode, info.owner) == (0o600, "alice")
    ssh_dir = platform.files.stat("/home/alice/.ssh")
    assert (ssh_dir.mode, ssh_dir.owner) == (0o700, "alice")


def test_authorized_keys_are_replaced_not_appended(users_rig):
    platform = users_rig.platform
    platform.users.ensure("alice")
    platform.users.set_authorized_keys("alice", KEYS)
    path = platform.users.set_authorized_keys("alice", KEYS[:1])
    assert platform.files.read(path).decode().splitlines() == KEYS[:1]


def test_ensure_group_creates_once(users_rig):
    users = users_rig.platform.users
    assert users.ensure_group("operators") is True
    assert users.ensure_group("operators") is False


def test_expired_password_must_be_changed(users_rig):
    users = users_rig.platform.users
    users.ensure("alice")
    users.set_password("alice", Secret("Pa55word"))
    users.expire_password("alice")
    assert users_rig.password_expired("alice")


def test_expire_for_missing_user_raises(users_rig):
    with pytest.raises(PlatformError):
        users_rig.platform.users.expire_password("ghost")


def test_password_hash_is_stored_as_given(users_rig):
    users = users_rig.platform.users
    users.ensure("alice")
    hashed = "$6$saltsalt$" + "x" * 86
    users.set_password_hash("alice", Secret(hashed))
    assert users.has_password("alice")
    assert users_rig.stored_hash("alice") == hashed


def test_a_hash_holding_a_colon_is_refused_and_nothing_stored(users_rig):
    # chpasswd --encrypted reads "name:hash"; a colon in the hash would add shadow fields
    users = users_rig.platform.users
    users.ensure("alice")
    with pytest.raises(PlatformError, match="colon"):
        users.set_password_hash("alice", Secret("$6$salt$x:0:99999:7:::"))
    assert not users.has_password("alice")


def test_the_windows_administrators_keys_file_is_not_on_posix(rig):
    with pytest.raises(NotSupported):
        rig.platform.users.set_admin_authorized_keys(KEYS)
