"""WindowsFiles: guest paths (``C:\\ProgramData\\x``; ``/x`` means ``C:\\x``), atomic writes
(``platform.atomic``: a staging file beside the target, then MoveFileEx-replace through
``os.replace``).

Windows has no mode bits: a private mode (no group/other bits, e.g. 0o600) or an ``owner``
becomes a protected ACL (the owner, SYSTEM and Administrators only) with that owner;
``stat`` reports 0o600/0o700 for such files and 0o644/0o755 otherwise. With ``root`` (tests),
``C:\\x`` lives at ``<root>/C/x``.
"""

from __future__ import annotations

from pathlib import Path, PureWindowsPath

from wincloud.errors import PlatformError
from wincloud.platform.atomic import write_file
from wincloud.platform.base import FileInfo
from wincloud.platform.windows._win32.advapi import SID_ADMINISTRATORS, SID_SYSTEM, Advapi


def guest_path(path: str) -> PureWindowsPath:
    """``/x/y`` -> ``C:\\x\\y``; ``C:/x`` -> ``C:\\x``; relative paths and '..' are refused."""
    text = path.replace("/", "\\")
    if text.startswith("\\") and not text.startswith("\\\\"):
        text = "C:" + text
    pure = PureWindowsPath(text)
    if not pure.drive or not pure.root or ".." in pure.parts:
        raise PlatformError("guest paths must be absolute, without '..'", subject=path)
    return pure


def is_private(mode: int) -> bool:
    return mode & 0o077 == 0


class WindowsFiles:
    def __init__(self, advapi: Advapi, *, root: Path | None = None) -> None:
        self.advapi = advapi
        self.root = root

    def host(self, path: str) -> Path:
        pure = guest_path(path)
        if self.root is None:
            return Path(str(pure))
        drive = pure.drive.rstrip(":").upper() or "UNC"
        return self.root.joinpath(drive, *pure.parts[1:])

    def _secure(self, path: str, host: Path, mode: int, owner: str | None) -> None:
        if owner is None and not is_private(mode):
            return
        owner_sid = SID_ADMINISTRATORS
        if owner is not None:
            found = self.advapi.account_sid(owner)
            if found is None:
                raise PlatformError("no such user to own a file", operation="chown", subject=owner)
            owner_sid = found
        allowed = [owner_sid, SID_SYSTEM, SID_ADMINISTRATORS]
        self.advapi.restrict_file(str(host), owner_sid=owner_sid, allowed_sids=allowed)

    def read(self, path: str) -> bytes | None:
        host = self.host(path)
        try:
            return host.read_bytes()
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise PlatformError("is a directory", operation="read", subject=path) from None
        except OSError as exc:
            raise _os_error("read", exc, path) from None

    def list_dir(self, path: str) -> list[str] | None:
        host = self.host(path)
        try:
            entries = list(host.iterdir())
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise _os_error("list", exc, path) from None
        return sorted(e.name + "/" if e.is_dir() else e.name for e in entries)

    def write(self, path: str, data: bytes, *, mode: int = 0o644, owner: str | None = None) -> None:
        host = self.host(path)
        if host.is_dir():
            raise PlatformError("is a directory", operation="write", subject=path)
        # No mode bits to set (mode=None): a private file gets its ACL on the staging file
        # before the rename, so the new content is never readable by others at the target.
        try:
            host.parent.mkdir(parents=True, exist_ok=True)
            write_file(
                host,
                data,
                mode=None,
                before_replace=lambda staged: self._secure(path, staged, mode, owner),
            )
        except OSError as exc:
            raise _os_error("write", exc, path) from None
        if owner is not None or is_private(mode):
            self._secure(path, host, mode, owner)

    def make_dir(self, path: str, *, mode: int = 0o755, owner: str | None = None) -> None:
        host = self.host(path)
        try:
            host.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise PlatformError("a file is in the way", operation="mkdir", subject=path) from None
        except OSError as exc:
            raise _os_error("mkdir", exc, path) from None
        self._secure(path, host, mode, owner)

    def stat(self, path: str) -> FileInfo | None:
        host = self.host(path)
        try:
            st = host.stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise _os_error("stat", exc, path) from None
        is_dir = host.is_dir()
        owner = self.advapi.file_owner(str(host))
        private = owner is not None
        mode = (0o700 if is_dir else 0o600) if private else (0o755 if is_dir else 0o644)
        return FileInfo(mode=mode, owner=owner, size=0 if is_dir else st.st_size, is_dir=is_dir)

    def remove(self, path: str) -> bool:
        host = self.host(path)
        if host.is_dir():
            raise PlatformError("is a directory", operation="remove", subject=path)
        try:
            host.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise _os_error("remove", exc, path) from None
        return True


def _os_error(operation: str, exc: OSError, subject: str) -> PlatformError:
    code = getattr(exc, "winerror", None) or exc.errno
    return PlatformError(
        f"{operation} failed ({exc.strerror})",
        operation=operation,
        os_code=code,
        detail=str(exc.strerror),
        subject=subject,
    )
