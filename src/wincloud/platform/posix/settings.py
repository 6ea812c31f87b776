"""PosixSystemSettings: display idle timeout, page files and SAN policy are Windows settings;
every call is NotSupported."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from wincloud.errors import NotSupported
from wincloud.platform.base import PageFile, SanPolicy


def _no(operation: str) -> NoReturn:
    raise NotSupported("this setting is Windows'", operation=operation)


class PosixSystemSettings:
    def set_display_idle_timeout(self, seconds: int) -> bool:
        _no("display_idle_timeout")

    def page_files(self) -> list[PageFile] | None:
        _no("page_file")

    def set_page_files(self, files: Sequence[PageFile] | None) -> bool:
        _no("page_file")

    def san_policy(self) -> SanPolicy:
        _no("san_policy")

    def set_san_policy(self, policy: SanPolicy) -> bool:
        _no("san_policy")
