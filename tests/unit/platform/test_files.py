import pytest

from wincloud.errors import PlatformError


def test_missing_file_reads_none(rig):
    assert rig.platform.files.read("/etc/nothing-here") is None
    assert rig.platform.files.stat("/etc/nothing-here") is None


def test_write_creates_parents_and_reads_back(rig):
    rig.platform.files.write("/opt/app/conf/x.txt", b"hello", mode=0o640)
    assert rig.platform.files.read("/opt/app/conf/x.txt") == b"hello"
    info = rig.platform.files.stat("/opt/app/conf/x.txt")
    assert (info.mode, info.size, info.is_dir) == (0o640, 5, False)


def test_write_replaces_content_and_mode(rig):
    rig.platform.files.write("/srv/f", b"one", mode=0o644)
    rig.platform.files.write("/srv/f", b"two", mode=0o600)
    assert rig.platform.files.read("/srv/f") == b"two"
    assert rig.platform.files.stat("/srv/f").mode == 0o600


def test_owner_is_a_user_name(rig):
    rig.platform.files.write("/srv/owned", b"x", owner="root")
    assert rig.platform.files.stat("/srv/owned").owner == "root"


def test_unknown_owner_is_refused(users_rig):
    users_rig.platform.users.ensure("someone")
    with pytest.raises(PlatformError):
        users_rig.platform.files.write("/srv/f", b"x", owner="nobody-by-that-name")


def test_list_dir_marks_directories(rig):
    rig.platform.files.write("/d/a.txt", b"")
    rig.platform.files.make_dir("/d/sub", mode=0o700)
    assert rig.platform.files.list_dir("/d") == ["a.txt", "sub/"]
    assert rig.platform.files.list_dir("/no/such/dir") is None
    assert rig.platform.files.stat("/d/sub").is_dir


def test_writing_over_a_directory_is_refused(rig):
    rig.platform.files.make_dir("/d/sub")
    with pytest.raises(PlatformError):
        rig.platform.files.write("/d/sub", b"x")


def test_remove_reports_whether_a_file_was_there(rig):
    rig.platform.files.write("/d/f", b"x")
    assert rig.platform.files.remove("/d/f") is True
    assert rig.platform.files.remove("/d/f") is False
    assert rig.platform.files.read("/d/f") is None
