"""The root every POSIX capability works under: guest paths -> host paths, atomic writes, and
the account databases (<root>/etc/passwd and group) read directly, never through NSS, so an
alternate root answers for itself."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from pathlib import Path, PurePosixPath
from typing import Final

from msgspec import Struct

from wincloud.errors import PlatformError
from wincloud.platform.atomic import write_file

MAX_LINK_HOPS: Final = 40
"""Links followed while resolving one path (Linux's own limit)."""


class Account(Struct, frozen=True):
    name: str
    uid: int
    gid: int
    home: str


def os_error(operation: str, exc: OSError, subject: str) -> PlatformError:
    """Translate an OSError once, at the boundary."""
    code = exc.errno
    text = os.strerror(code) if code is not None else exc.__class__.__name__
    return PlatformError(
        f"{operation} failed ({text})",
        operation=operation,
        os_code=code,
        detail=text,
        subject=subject,
    )


class Root:
    """A directory that stands for ``/`` (``Path('/')`` on a live system)."""

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self.is_live = self.path == Path("/")

    def host(self, guest: str, *, follow: bool = True) -> Path:
        """``/etc/hostname`` -> ``<root>/etc/hostname``; refuses relative paths and '..'.

        Under an alternate root, symbolic links on the way are resolved inside the root, as
        a chroot would: an absolute target (Debian's ``/var/run -> /run``) starts again at
        the root, and '..' stops there. The last component is followed too unless ``follow``
        is False (to replace or remove a link itself). So no path this returns leads out of
        the root through a link that exists now."""
        pure = PurePosixPath(guest)
        if not pure.is_absolute() or ".." in pure.parts:
            raise PlatformError("guest paths must be absolute, without '..'", subject=guest)
        if self.is_live:
            return self.path.joinpath(*pure.parts[1:])
        return self._resolve(list(pure.parts[1:]), follow=follow, subject=guest)

    def contain(self, host: Path, *, follow: bool = True) -> Path:
        """A host path under the root, resolved again as ``host()`` does (for paths built by
        joining names onto one ``host()`` returned, which a link may have changed since)."""
        if self.is_live:
            return host
        try:
            relative = host.relative_to(self.path)
        except ValueError:
            raise PlatformError("path outside the root", subject=str(host)) from None
        return self._resolve(list(relative.parts), follow=follow, subject=str(host))

    def _resolve(self, parts: list[str], *, follow: bool, subject: str) -> Path:
        done: list[str] = []
        pending = list(parts)
        hops = 0
        while pending:
            part = pending.pop(0)
            if part in ("", "."):
                continue
            if part == "..":
                if done:
                    done.pop()
                continue
            candidate = self.path.joinpath(*done, part)
            if (pending or follow) and candidate.is_symlink():
                hops += 1
                if hops > MAX_LINK_HOPS:
                    raise PlatformError(
                        "too many levels of symbolic links",
                        operation="resolve",
                        os_code=errno.ELOOP,
                        subject=subject,
                    )
                try:
                    target = PurePosixPath(os.readlink(candidate))
                except OSError as exc:
                    raise os_error("readlink", exc, subject) from None
                if target.is_absolute():
                    done = []
                    pending = list(target.parts[1:]) + pending
                else:
                    pending = list(target.parts) + pending
                continue
            done.append(part)
        return self.path.joinpath(*done)

    def guest(self, host: Path) -> str:
        return "/" + host.relative_to(self.path).as_posix().lstrip("/")

    # -- accounts ---------------------------------------------------------------------------

    def _table(self, name: str) -> list[list[str]]:
        try:
            text = self.host(f"/etc/{name}").read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise os_error("read", exc, f"/etc/{name}") from None
        return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]

    def accounts(self) -> dict[str, Account]:
        out = {}
        for row in self._table("passwd"):
            if len(row) >= 6 and row[2].isdigit() and row[3].isdigit():
                out[row[0]] = Account(row[0], int(row[2]), int(row[3]), row[5])
        return out

    def groups(self) -> dict[str, list[str]]:
        """group name -> member names."""
        rows = [row for row in self._table("group") if len(row) >= 4]
        return {row[0]: [m for m in row[3].split(",") if m] for row in rows}

    def shadow_hash(self, name: str) -> str | None:
        for row in self._table("shadow"):
            if len(row) >= 2 and row[0] == name:
                return row[1]
        return None

    def owner_name(self, uid: int) -> str | None:
        return next((a.name for a in self.accounts().values() if a.uid == uid), None)

    def ids_of(self, owner: str | None) -> tuple[int, int] | None:
        if owner is None:
            return None
        account = self.accounts().get(owner)
        if account is None:
            raise PlatformError("no such user to own a file", operation="chown", subject=owner)
        return account.uid, account.gid

    # -- writes -----------------------------------------------------------------------------

    def make_dirs(self, host: Path, *, mode: int = 0o755, owner: str | None = None) -> None:
        """Create ``host`` and missing parents; the last one gets ``mode`` and ``owner``."""
        ids = self.ids_of(owner)
        host = self.contain(host)
        try:
            host.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                host.mkdir()
            if not host.is_dir():
                raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
            os.chmod(host, mode)
            if ids is not None:
                _chown(host, ids)
        except OSError as exc:
            raise os_error("mkdir", exc, self.guest(host)) from None

    def write_atomic(
        self, host: Path, data: bytes, *, mode: int = 0o644, owner: str | None = None
    ) -> None:
        """Replace ``host`` with ``data`` whole or not at all (``platform.atomic``: staged
        beside it, synced with its mode and owner, renamed over it, the folder synced). Under
        an alternate root the folder is resolved inside it; a link in the last place is
        replaced, not followed."""
        ids = self.ids_of(owner)
        host = self.contain(host.parent) / host.name
        try:
            host.parent.mkdir(parents=True, exist_ok=True)
            write_file(host, data, mode=mode, owner=ids)
        except OSError as exc:
            raise os_error("write", exc, self.guest(host)) from None


def _chown(path: Path, ids: tuple[int, int]) -> None:
    if sys.platform != "win32":
        os.chown(path, *ids, follow_symlinks=False)
