"""WinRM configuration through the WS-Management automation object (``WSMan.Automation``:
Session.Get, Enumerate, Create, Put, Delete on ``winrm/config/...`` resource URIs), the calls
``winrm set/create/delete`` makes. XML in, XML out; no decisions."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, Final, Protocol, TypeVar

from wincloud.errors import NotSupported, PlatformError

T = TypeVar("T")
WSMAN_NOT_FOUND: Final = 0x80338000 | 0x5B
"""The resource URI and selectors name nothing ("WinRM error 2150858843")."""


class WsMan(Protocol):
    def get(self, resource: str) -> str | None:
        """The resource's XML; None when it does not exist."""
        ...

    def enumerate(self, resource: str) -> list[str]: ...

    def create(self, resource: str, xml: str) -> None: ...

    def put(self, resource: str, xml: str) -> None: ...

    def delete(self, resource: str) -> None: ...


class ComWsMan:
    def __init__(self) -> None:
        self._session: Any = None

    def _call(self, operation: str, resource: str, call: Callable[[Any], T]) -> T:
        if sys.platform != "win32":
            raise NotSupported("WinRM exists on Windows only", operation=operation)
        import pywintypes
        import win32com.client

        try:
            if self._session is None:
                self._session = win32com.client.Dispatch("WSMan.Automation").CreateSession()
            return call(self._session)
        except pywintypes.com_error as exc:
            hresult, text, excepinfo, _arg = exc.args
            scode = excepinfo[5] if excepinfo and len(excepinfo) > 5 else None
            code = (scode if scode is not None else hresult) & 0xFFFFFFFF
            raise PlatformError(
                f"WinRM {operation} failed ({code:#x})",
                operation=f"wsman.{operation}",
                os_code=code,
                detail=str(text),
                subject=resource,
            ) from None

    def get(self, resource: str) -> str | None:
        try:
            return str(self._call("get", resource, lambda s: s.Get(resource)))
        except PlatformError as exc:
            if exc.os_code == WSMAN_NOT_FOUND:
                return None
            raise

    def enumerate(self, resource: str) -> list[str]:
        def read(session: Any) -> list[str]:
            items = session.Enumerate(resource)
            out = []
            while not items.AtEndOfStream:
                out.append(str(items.ReadItem()))
            return out

        return self._call("enumerate", resource, read)

    def create(self, resource: str, xml: str) -> None:
        self._call("create", resource, lambda s: s.Create(resource, xml))

    def put(self, resource: str, xml: str) -> None:
        self._call("put", resource, lambda s: s.Put(resource, xml))

    def delete(self, resource: str) -> None:
        self._call("delete", resource, lambda s: s.Delete(resource))
