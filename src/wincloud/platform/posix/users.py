"""PosixUsers: the shadow suite's tools (useradd, groupadd, usermod, chpasswd), with ``--root``
when working on an alternate root. Reads come from <root>/etc/{passwd,group,shadow} directly."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Final

from wincloud.errors import NotSupported, PlatformError
from wincloud.platform.base import Completed, Processes
from wincloud.platform.posix._root import Root, os_error
from wincloud.platform.validate import check_password, check_username
from wincloud.secret import Secret

log = logging.getLogger(__name__)

TIMEOUT: Final = 60.0
ADMIN_GROUP_CANDIDATES: Final = ("sudo", "wheel", "admin")
SHADOW: Final = "/etc/shadow"
HASH_METHOD: Final = "SHA512"  # chpasswd -c: every libcrypt has it, and it bypasses PAM


class PosixUsers:
    def __init__(self, root: Root, processes: Processes) -> None:
        self.root = root
        self.processes = processes

    def _tool(self, argv: Sequence[str], *, stdin: bytes | None = None) -> Completed:
        tool = argv[0]
        full = [tool] if self.root.is_live else [tool, "--root", str(self.root.path)]
        done = self.processes.run([*full, *argv[1:]], timeout=TIMEOUT, stdin=stdin)
        if done.exit_code != 0:
            detail = done.stderr.decode("utf-8", "replace").strip()[:300]
            raise PlatformError(
                f"{tool} failed with exit status {done.exit_code}",
                operation=tool,
                os_code=done.exit_code,
                detail=detail,
                subject=argv[-1] if stdin is None else tool,
            )
        return done

    def exists(self, name: str) -> bool:
        return name in self.root.accounts()

    def _ensure_group(self, group: str) -> None:
        self.ensure_group(group)

    def ensure_group(self, name: str) -> bool:
        check_username(name)
        if name in self.root.groups():
            return False
        self._tool(["groupadd", name])
        log.info("group created name=%s", name)
        return True

    def ensure(self, name: str, *, groups: Sequence[str] = ()) -> bool:
        check_username(name)
        created = not self.exists(name)
        if created:
            shell = "/bin/bash" if self.root.host("/bin/bash").exists() else "/bin/sh"
            self._tool(["useradd", "--create-home", "--shell", shell, name])
            log.info("user created name=%s", name)
        missing = [g for g in groups if name not in self.root.groups().get(g, [])]
        for group in missing:
            self._ensure_group(group)
        if missing:
            self._tool(["usermod", "--append", "--groups", ",".join(missing), name])
            log.info("user added to groups name=%s groups=%s", name, ",".join(missing))
        return created

    def groups_of(self, name: str) -> list[str]:
        if not self.exists(name):
            raise PlatformError("no such user", operation="user", subject=name)
        return sorted(g for g, members in self.root.groups().items() if name in members)

    def admin_groups(self) -> list[str]:
        present = self.root.groups()
        return [next((g for g in ADMIN_GROUP_CANDIDATES if g in present), "sudo")]

    def set_password(self, name: str, password: Secret) -> None:
        value = check_password(name, password)
        if not self.exists(name):
            raise PlatformError("no such user", operation="set_password", subject=name)
        self._check_shadow(name, "set_password")
        line = f"{name}:{value}\n".encode()
        self._tool(["chpasswd", "--crypt-method", HASH_METHOD], stdin=line)

    def set_password_hash(self, name: str, hashed: Secret) -> None:
        value = check_password(name, hashed)
        if ":" in value:  # the shadow file's field separator: it would add fields to the line
            raise PlatformError(
                "a password hash holds no colon", operation="set_password_hash", subject=name
            )
        if not self.exists(name):
            raise PlatformError("no such user", operation="set_password_hash", subject=name)
        self._check_shadow(name, "set_password_hash")
        self._tool(["chpasswd", "--encrypted"], stdin=f"{name}:{value}\n".encode())

    def _check_shadow(self, name: str, operation: str) -> None:
        """chpasswd puts the hash in /etc/passwd, which everyone may read, when there is no
        shadow file or the user has no line in it: refuse before it runs. A shadow file that
        everyone may read is refused too."""
        host = self.root.host(SHADOW)
        try:
            mode = host.stat().st_mode
        except FileNotFoundError:
            raise PlatformError(
                "no /etc/shadow: the password hash would go to the world-readable /etc/passwd",
                operation=operation,
                subject=SHADOW,
                hint="create it first with pwconv (pwconv --root ROOT for an image)",
            ) from None
        except OSError as exc:
            raise os_error(operation, exc, SHADOW) from None
        if mode & 0o007:
            raise PlatformError(
                "/etc/shadow is readable by everyone: no password hash goes there",
                operation=operation,
                subject=SHADOW,
                hint="chmod 0640 /etc/shadow (owner root, group shadow)",
            )
        if self.root.shadow_hash(name) is None:
            raise PlatformError(
                "the user has no line in /etc/shadow: the password hash would go to the "
                "world-readable /etc/passwd",
                operation=operation,
                subject=name,
                hint="add one with pwconv (pwconv --root ROOT for an image)",
            )

    def expire_password(self, name: str) -> None:
        if not self.exists(name):
            raise PlatformError("no such user", operation="expire_password", subject=name)
        self._tool(["chage", "--lastday", "0", name])

    def set_admin_authorized_keys(self, keys: Sequence[str]) -> str:
        raise NotSupported(
            "administrators_authorized_keys is Windows OpenSSH's; POSIX uses each user's file",
            operation="set_admin_authorized_keys",
        )

    def has_password(self, name: str) -> bool:
        if not self.exists(name):
            raise PlatformError("no such user", operation="user", subject=name)
        hashed = self.root.shadow_hash(name)
        return bool(hashed) and hashed is not None and hashed[0] not in "!*"

    def set_authorized_keys(self, name: str, keys: Sequence[str]) -> str:
        account = self.root.accounts().get(name)
        if account is None:
            raise PlatformError("no such user", operation="authorized_keys", subject=name)
        ssh_dir = self.root.host(account.home.rstrip("/") + "/.ssh")
        self.root.make_dirs(ssh_dir, mode=0o700, owner=name)
        path = ssh_dir / "authorized_keys"
        text = "".join(key.strip() + "\n" for key in keys)
        self.root.write_atomic(path, text.encode(), mode=0o600, owner=name)
        return self.root.guest(path)
