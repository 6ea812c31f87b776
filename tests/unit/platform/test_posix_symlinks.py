"""``--root`` never writes outside the root: absolute links inside the image are resolved
inside it, as a chroot would. Every test points a link at a real directory of this machine
(under tmp_path, outside the root) and checks that it stays empty."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wincloud.errors import PlatformError
from wincloud.platform import InterfacePlan, NetworkPlan
from wincloud.platform.posix import posix_platform

from .conftest import make_root


@pytest.fixture
def root(tmp_path) -> Path:
    root = make_root(tmp_path / "root")
    with (root / "etc/passwd").open("a") as passwd:
        passwd.write(f"alice:x:{os.getuid()}:{os.getgid()}::/home/alice:/bin/sh\n")
    return root


@pytest.fixture
def outside(tmp_path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder


def inside(root: Path, host_path: Path) -> Path:
    """Where a chroot would put ``host_path`` (an absolute link target) under ``root``."""
    return root / host_path.relative_to("/")


def everything_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_state_under_an_absolute_link_stays_in_the_root(root, outside):
    (root / "var/lib").mkdir(parents=True)
    (root / "var/lib/wincloud").symlink_to(outside)
    posix_platform(root).state.write(b"{}")
    assert everything_under(outside) == []
    assert (inside(root, outside) / "state.json").read_bytes() == b"{}"


def test_a_file_under_var_run_goes_to_the_roots_run(root, tmp_path):
    """Debian links /var/run to /run: the root's /run, never this machine's."""
    (root / "var").mkdir()
    (root / "var/run").symlink_to("/run")
    name = f"wincloud-test-{tmp_path.name}"
    posix_platform(root).files.write(f"/var/run/{name}/pid", b"1\n")
    assert not Path("/run", name).exists()
    assert (root / "run" / name / "pid").read_bytes() == b"1\n"


def test_authorized_keys_in_a_linked_ssh_folder_stay_in_the_root(root, outside):
    (root / "home/alice").mkdir(parents=True)
    (root / "home/alice/.ssh").symlink_to(outside)
    written = posix_platform(root).users.set_authorized_keys("alice", ["ssh-ed25519 AAAA k"])
    assert everything_under(outside) == []
    target = inside(root, outside) / "authorized_keys"
    assert target.read_text() == "ssh-ed25519 AAAA k\n"
    assert written == "/" + target.relative_to(root).as_posix()


def test_a_linked_file_is_written_inside_the_root(root, outside):
    """/etc/hostname linked to a file of this machine: the root's copy of that path is
    written, the machine's file keeps its content."""
    real = outside / "hostname"
    real.write_text("host-machine\n")
    (root / "etc/hostname").symlink_to(real)
    posix_platform(root).host.set_hostname("guest")
    assert real.read_text() == "host-machine\n"
    assert inside(root, real).read_text() == "guest\n"


def test_network_files_under_a_linked_folder_stay_in_the_root(root, outside):
    (root / "etc/systemd").mkdir(parents=True)
    (root / "etc/systemd/network").symlink_to(outside)
    plan = NetworkPlan(interfaces=(InterfacePlan(mac="fa:16:3e:00:00:05"),))
    assert posix_platform(root).network.apply(plan)
    assert everything_under(outside) == []
    assert everything_under(inside(root, outside))


def test_make_dir_through_a_link_does_not_chmod_outside(root, outside):
    outside.chmod(0o755)
    (root / "srv").symlink_to(outside)
    posix_platform(root).files.make_dir("/srv", mode=0o700)
    assert outside.stat().st_mode & 0o777 == 0o755
    assert inside(root, outside).stat().st_mode & 0o777 == 0o700


def test_relative_links_stop_at_the_root(root, outside):
    (root / "opt").mkdir()
    (root / "opt/app").symlink_to("../../../../../../../../.." + str(outside))
    posix_platform(root).files.write("/opt/app/config", b"x")
    assert everything_under(outside) == []
    assert (inside(root, outside) / "config").read_bytes() == b"x"


def test_reads_follow_links_inside_the_root(root, outside):
    (outside / "secret").write_text("machine's own\n")
    (root / "etc/motd").symlink_to(outside / "secret")
    assert posix_platform(root).files.read("/etc/motd") is None


def test_a_link_loop_is_an_error_not_a_hang(root):
    (root / "a").symlink_to("/b")
    (root / "b").symlink_to("/a")
    with pytest.raises(PlatformError, match="symbolic links"):
        posix_platform(root).files.write("/a/x", b"x")


def test_removing_a_link_removes_the_link_only(root, outside):
    (outside / "keep").write_text("keep\n")
    (root / "etc/keep").symlink_to(outside / "keep")
    assert posix_platform(root).files.remove("/etc/keep")
    assert (outside / "keep").read_text() == "keep\n"
    assert not (root / "etc/keep").is_symlink()
