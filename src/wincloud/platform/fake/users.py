"""FakeUsers: a user and group table; authorized keys land in a FakeFiles tree. A Windows-like
fake keeps homes under ``C:\\Users``, has administrators_authorized_keys and refuses hashes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from wincloud.errors import NotSupported, PlatformError
from wincloud.platform.fake.files import FakeFiles
from wincloud.platform.validate import check_group, check_password, check_username
from wincloud.secret import Secret

ADMIN_KEYS: Final = "C:\\ProgramData\\ssh\\administrators_authorized_keys"


@dataclass
class FakeUser:
    name: str
    home: str
    password: Secret | None = None
    password_hash: Secret | None = None
    password_expired: bool = False
    groups: set[str] = field(default_factory=set)


class FakeUsers:
    def __init__(
        self,
        files: FakeFiles,
        *,
        admin_groups: Sequence[str] = ("sudo",),
        windows: bool = False,
    ) -> None:
        self.files = files
        self.windows = windows
        root = FakeUser("Administrator", "C:\\Users\\Administrator") if windows else None
        self.users: dict[str, FakeUser] = (
            {"Administrator": root} if root else {"root": FakeUser("root", "/root")}
        )
        self.groups: set[str] = set(admin_groups)
        self._admin_groups = list(admin_groups)
        files.user_exists = self.exists

    def _get(self, name: str) -> FakeUser:
        user = self.users.get(name)
        if user is None:
            raise PlatformError("no such user", operation="user", subject=name)
        return user

    def _home(self, name: str) -> str:
        return f"C:\\Users\\{name}" if self.windows else f"/home/{name}"

    def exists(self, name: str) -> bool:
        return name in self.users

    def ensure(self, name: str, *, groups: Sequence[str] = ()) -> bool:
        check_username(name)
        for group in groups:
            check_group(group, windows=self.windows)
        created = name not in self.users
        if created:
            home = self._home(name)
            self.users[name] = FakeUser(name, home)
            self.files.make_dir(home, mode=0o755, owner=name)
        self.groups.update(groups)
        self.users[name].groups.update(groups)
        return created

    def ensure_group(self, name: str) -> bool:
        check_group(name, windows=self.windows)
        created = name not in self.groups
        self.groups.add(name)
        return created

    def groups_of(self, name: str) -> list[str]:
        return sorted(self._get(name).groups)

    def admin_groups(self) -> list[str]:
        return list(self._admin_groups)

    def set_password(self, name: str, password: Secret) -> None:
        check_password(name, password)
        user = self._get(name)
        user.password, user.password_hash, user.password_expired = password, None, False

    def set_password_hash(self, name: str, hashed: Secret) -> None:
        if self.windows:
            raise NotSupported("Windows takes no password hashes", operation="set_password_hash")
        if ":" in check_password(name, hashed):  # as the POSIX backend: shadow's separator
            raise PlatformError(
                "a password hash holds no colon", operation="set_password_hash", subject=name
            )
        user = self._get(name)
        user.password, user.password_hash = None, hashed

    def expire_password(self, name: str) -> None:
        self._get(name).password_expired = True

    def has_password(self, name: str) -> bool:
        user = self._get(name)
        return user.password is not None or user.password_hash is not None

    def set_authorized_keys(self, name: str, keys: Sequence[str]) -> str:
        user = self._get(name)
        sep = "\\" if self.windows else "/"
        self.files.make_dir(f"{user.home}{sep}.ssh", mode=0o700, owner=name)
        path = f"{user.home}{sep}.ssh{sep}authorized_keys"
        text = "".join(key.strip() + "\n" for key in keys)
        self.files.write(path, text.encode(), mode=0o600, owner=name)
        return path

    def set_admin_authorized_keys(self, keys: Sequence[str]) -> str:
        if not self.windows:
            raise NotSupported(
                "administrators_authorized_keys is Windows OpenSSH's",
                operation="set_admin_authorized_keys",
            )
        text = "".join(key.strip() + "\n" for key in keys)
        self.files.write(ADMIN_KEYS, text.encode(), mode=0o600)
        return ADMIN_KEYS
