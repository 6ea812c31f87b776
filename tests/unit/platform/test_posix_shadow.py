"""Password hashes go to /etc/shadow only: without a shadow file, without the user's line in
it, or with a shadow file everyone may read, the POSIX backend refuses before chpasswd runs
(chpasswd would otherwise write the hash into the world-readable /etc/passwd)."""

from __future__ import annotations

import pytest

from wincloud.errors import PlatformError
from wincloud.platform.posix import posix_platform
from wincloud.secret import Secret

from .conftest import make_root


@pytest.fixture
def root(tmp_path):
    root = make_root(tmp_path / "root")
    with (root / "etc/passwd").open("a") as passwd:
        passwd.write("alice:x:1000:1000::/home/alice:/bin/sh\n")
    with (root / "etc/shadow").open("a") as shadow:
        shadow.write("alice:!:19000:0:99999:7:::\n")
    return root


def set_both(root):
    users = posix_platform(root).users
    with pytest.raises(PlatformError) as plain:
        users.set_password("alice", Secret("Pa55-word-1"))
    with pytest.raises(PlatformError) as hashed:
        users.set_password_hash("alice", Secret("$6$salt$hash"))
    return str(plain.value), str(hashed.value)


def test_no_shadow_file_is_refused(root):
    (root / "etc/shadow").unlink()
    passwd = (root / "etc/passwd").read_text()
    assert all("world-readable /etc/passwd" in m for m in set_both(root))
    assert (root / "etc/passwd").read_text() == passwd
    assert not (root / "etc/shadow").exists()


def test_a_user_without_a_shadow_line_is_refused(root):
    (root / "etc/shadow").write_text("root:*:19000:0:99999:7:::\n")
    assert all("no line in /etc/shadow" in m for m in set_both(root))


def test_a_world_readable_shadow_file_is_refused(root):
    (root / "etc/shadow").chmod(0o644)
    assert all("readable by everyone" in m for m in set_both(root))
