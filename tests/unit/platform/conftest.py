"""Contract suites: every test here runs on the fake and on the POSIX backend (a tmp root).

A ``Rig`` holds the platform under test plus the backend-specific set-up a test needs (a
labelled volume, an adapter, a time zone) and the backend-specific checks (a password)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from wincloud.platform import Adapter, Platform
from wincloud.platform.fake import fake_platform
from wincloud.platform.posix import posix_platform
from wincloud.secret import Secret

ZONES = ("UTC", "Europe/Paris")


def can_manage_users() -> bool:
    return os.geteuid() == 0 and all(
        shutil.which(tool) for tool in ("useradd", "usermod", "groupadd", "chpasswd")
    )


def make_root(path: Path) -> Path:
    """A minimal root: account files, an empty /etc/hosts, two time zones."""
    etc = path / "etc"
    etc.mkdir(parents=True)
    (etc / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (etc / "group").write_text("root:x:0:\nsudo:x:27:\n")
    (etc / "shadow").write_text("root:*:19000:0:99999:7:::\n")
    (etc / "gshadow").write_text("root:*::\nsudo:*::\n")
    for mode_file in ("shadow", "gshadow"):
        (etc / mode_file).chmod(0o640)
    for zone in ZONES:
        target = path / "usr/share/zoneinfo" / zone
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"TZif2 fake zone data")
    return path


class Rig:
    def __init__(self, kind: str, platform: Platform, root: Path | None) -> None:
        self.kind = kind
        self.platform = platform
        self.root = root

    def add_volume(self, label: str, target: Path) -> None:
        if self.root is None:
            self.platform.volumes.labelled[label] = target  # type: ignore[attr-defined]
            return
        by_label = self.root / "dev/disk/by-label"
        by_label.mkdir(parents=True, exist_ok=True)
        device = self.root / "dev" / target.name
        shutil.copyfile(target, device)
        (by_label / label).symlink_to(f"../../{target.name}")

    def volume_bytes(self, path: Path) -> bytes:
        return path.read_bytes()

    def add_adapter(self, name: str, mac: str) -> None:
        if self.root is None:
            self.platform.network._adapters.append(Adapter(name, mac))  # type: ignore[attr-defined]
            return
        folder = self.root / "sys/class/net" / name
        folder.mkdir(parents=True)
        (folder / "address").write_text(mac + "\n")

    def _shadow(self, user: str) -> list[str]:
        assert self.root is not None
        for line in (self.root / "etc/shadow").read_text().splitlines():
            if line.split(":")[0] == user:
                return line.split(":")
        raise AssertionError(f"no shadow line for {user}")

    def password_expired(self, user: str) -> bool:
        if self.root is None:
            return self.platform.users.users[user].password_expired  # type: ignore[attr-defined]
        return self._shadow(user)[2] == "0"

    def stored_hash(self, user: str) -> str:
        if self.root is None:
            return self.platform.users.users[user].password_hash.reveal()  # type: ignore[attr-defined]
        return self._shadow(user)[1]

    def password_is(self, user: str, password: str) -> bool:
        if self.root is None:
            stored = self.platform.users.users[user].password  # type: ignore[attr-defined]
            return stored == Secret(password)
        for line in (self.root / "etc/shadow").read_text().splitlines():
            name, hashed = line.split(":")[:2]
            if name == user:
                salt = hashed.split("$")[2]
                out = subprocess.run(
                    ["openssl", "passwd", "-6", "-salt", salt, "-stdin"],
                    input=password.encode(),
                    capture_output=True,
                    check=True,
                )
                return out.stdout.decode().strip() == hashed
        return False


@pytest.fixture(params=["fake", "posix"])
def rig(request, tmp_path) -> Rig:
    if request.param == "fake":
        platform = fake_platform()
        platform.clock.zones = set(ZONES)  # type: ignore[attr-defined]
        return Rig("fake", platform, None)
    root = make_root(tmp_path / "root")
    return Rig("posix", posix_platform(root), root)


@pytest.fixture
def users_rig(rig) -> Rig:
    if rig.kind == "posix" and not can_manage_users():
        pytest.skip("the POSIX users leg needs root and useradd/usermod/groupadd/chpasswd")
    return rig
