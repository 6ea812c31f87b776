"""FakeUsers: a user and group table; authorized keys land in a FakeFiles tree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from wincloud.errors import PlatformError
from wincloud.platform.fake.files import FakeFiles
from wincloud.platform.validate import check_password, check_username
from wincloud.secret import Secret


@dataclass
class FakeUser:
    name: str
    home: str
    password: Secret | None = None
    groups: set[str] = field(default_factory=set)


class FakeUsers:
    def __init__(self, files: FakeFiles, *, admin_groups: Sequence[str] = ("sudo",)) -> None:
        self.files = files
        self.users: dict[str, FakeUser] = {"root": FakeUser("root", "/root")}
        self.groups: set[str] = set(admin_groups)
        self._admin_groups = list(admin_groups)
        files.user_exists = self.exists

    def _get(self, name: str) -> FakeUser:
        user = self.users.get(name)
        if user is None:
            raise PlatformError("no such user", operation="user", subject=name)
        return user

    def exists(self, name: str) -> bool:
        return name in self.users

    def ensure(self, name: str, *, groups: Sequence[str] = ()) -> bool:
        check_username(name)
        for group in groups:
            check_username(group)
        created = name not in self.users
        if created:
            home = f"/home/{name}"
            self.users[name] = FakeUser(name, home)
            self.files.make_dir(home, mode=0o755, owner=name)
        self.groups.update(groups)
        self.users[name].groups.update(groups)
        return created

    def groups_of(self, name: str) -> list[str]:
        return sorted(self._get(name).groups)

    def admin_groups(self) -> list[str]:
        return list(self._admin_groups)

    def set_password(self, name: str, password: Secret) -> None:
        check_password(name, password)
        self._get(name).password = password

    def has_password(self, name: str) -> bool:
        return self._get(name).password is not None

    def set_authorized_keys(self, name: str, keys: Sequence[str]) -> str:
        user = self._get(name)
        self.files.make_dir(f"{user.home}/.ssh", mode=0o700, owner=name)
        path = f"{user.home}/.ssh/authorized_keys"
        text = "".join(key.strip() + "\n" for key in keys)
        self.files.write(path, text.encode(), mode=0o600, owner=name)
        return path
