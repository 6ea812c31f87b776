import pytest

from wincloud.errors import PlatformError
from wincloud.platform.windows.files import guest_path


def test_paths_map_under_the_drive_root(platform, tmp_path):
    platform.files.write(r"C:\ProgramData\wincloud\x.txt", b"hi")
    assert (tmp_path / "drives/C/ProgramData/wincloud/x.txt").read_bytes() == b"hi"
    assert platform.files.read("/ProgramData/wincloud/x.txt") == b"hi"


@pytest.mark.parametrize("bad", ["relative\\x", r"C:\a\..\b", "x"])
def test_relative_paths_and_dotdot_are_refused(bad):
    with pytest.raises(PlatformError):
        guest_path(bad)


def test_write_replaces_whole_and_lists(platform):
    platform.files.write(r"C:\d\a.txt", b"one")
    platform.files.write(r"C:\d\a.txt", b"two")
    platform.files.make_dir(r"C:\d\sub")
    assert platform.files.read(r"C:\d\a.txt") == b"two"
    assert platform.files.list_dir(r"C:\d") == ["a.txt", "sub/"]
    assert platform.files.list_dir(r"C:\nope") is None
    assert platform.files.read(r"C:\d\missing") is None


def test_plain_files_have_no_acl_and_report_default_modes(platform):
    platform.files.write(r"C:\d\a.txt", b"x")
    info = platform.files.stat(r"C:\d\a.txt")
    assert (info.mode, info.owner, info.size, info.is_dir) == (0o644, None, 1, False)
    assert platform.files.stat(r"C:\d").mode == 0o755
    assert platform.files.stat(r"C:\none") is None


def test_private_files_get_a_protected_acl_owned_by_administrators(platform, win):
    platform.files.write(r"C:\d\secret", b"x", mode=0o600)
    info = platform.files.stat(r"C:\d\secret")
    assert (info.mode, info.owner) == (0o600, "Administrators")


def test_unknown_owner_is_refused(platform):
    with pytest.raises(PlatformError):
        platform.files.write(r"C:\d\x", b"x", owner="ghost")


def test_remove(platform):
    platform.files.write(r"C:\d\x", b"x")
    assert platform.files.remove(r"C:\d\x") is True
    assert platform.files.remove(r"C:\d\x") is False
    with pytest.raises(PlatformError):
        platform.files.remove(r"C:\d")
    with pytest.raises(PlatformError):
        platform.files.write(r"C:\d", b"x")


def _staging_left(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_an_acl_that_cannot_be_set_keeps_the_old_file_and_no_staging_file(platform, tmp_path):
    platform.files.write(r"C:\d\secret", b"old")
    with pytest.raises(PlatformError):
        platform.files.write(r"C:\d\secret", b"new", owner="ghost")
    assert platform.files.read(r"C:\d\secret") == b"old"
    assert _staging_left(tmp_path / "drives/C/d") == []


def test_ctrl_c_while_writing_keeps_the_old_file_and_no_staging_file(
    platform, tmp_path, ctrl_c_at_fsync
):
    platform.files.write(r"C:\d\a.txt", b"old")
    ctrl_c_at_fsync()
    with pytest.raises(KeyboardInterrupt):
        platform.files.write(r"C:\d\a.txt", b"new")
    assert platform.files.read(r"C:\d\a.txt") == b"old"
    assert _staging_left(tmp_path / "drives/C/d") == []
