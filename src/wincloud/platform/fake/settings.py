"""FakeSystemSettings: display idle timeout, page files and SAN policy, in memory (starting as
a fresh Windows Server: 10 minutes, automatic page files, offline_shared). A POSIX-like fake
raises NotSupported."""

from __future__ import annotations

from collections.abc import Sequence

from wincloud.errors import NotSupported, PlatformError
from wincloud.platform.base import PageFile, SanPolicy
from wincloud.platform.validate import check_page_files


class FakeSystemSettings:
    def __init__(self, *, windows: bool = False) -> None:
        self.windows = windows
        self.display_idle_timeout = 600
        self._page_files: list[PageFile] | None = None
        self._san_policy: SanPolicy = "offline_shared"

    def _check(self, operation: str) -> None:
        if not self.windows:
            raise NotSupported("this setting is Windows'", operation=operation)

    def set_display_idle_timeout(self, seconds: int) -> bool:
        self._check("display_idle_timeout")
        if seconds < 0:
            raise PlatformError("a timeout cannot be negative", operation="display_idle_timeout")
        changed = seconds != self.display_idle_timeout
        self.display_idle_timeout = seconds
        return changed

    def page_files(self) -> list[PageFile] | None:
        self._check("page_file")
        return None if self._page_files is None else list(self._page_files)

    def set_page_files(self, files: Sequence[PageFile] | None) -> bool:
        self._check("page_file")
        check_page_files(files)
        wanted = None if files is None else list(files)
        changed = wanted != self._page_files
        self._page_files = wanted
        return changed

    def san_policy(self) -> SanPolicy:
        self._check("san_policy")
        return self._san_policy

    def set_san_policy(self, policy: SanPolicy) -> bool:
        self._check("san_policy")
        changed = policy != self._san_policy
        self._san_policy = policy
        return changed
