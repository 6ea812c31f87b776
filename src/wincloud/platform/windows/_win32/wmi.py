"""WMI through COM (SWbemServices via pywin32's win32com.client): query instances of a class,
call a method (instance or static), write properties back (Put_), create an instance (Put_ of
a spawned instance, with the provider's custom options as the call's context), delete one.

Values come back as the scripting API gives them: arrays as tuples, and 64-bit integers
(uint64, e.g. MSFT_Partition.Size) as *strings* — the decisions convert them.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, Final, Protocol

from msgspec import Struct, field

from wincloud.errors import NotSupported, PlatformError

CIMV2: Final = r"root\cimv2"
STANDARD_CIMV2: Final = r"root\StandardCimv2"
STORAGE: Final = r"root\Microsoft\Windows\Storage"
WBEM_FLAG_CREATE_ONLY: Final = 2
"""WbemChangeFlagEnum.wbemChangeFlagCreateOnly: Put_ fails instead of updating."""

Scalar = str | int | bool | None
Value = Scalar | tuple[Scalar, ...]


class WmiObject(Struct, frozen=True):
    cls: str
    path: str
    """The object's relative path (``__RELPATH``): what methods, put and delete take."""
    props: Mapping[str, Any] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        return self.props.get(name, default)


class Wmi(Protocol):
    def query(
        self, namespace: str, cls: str, where: Mapping[str, Scalar] | None = None
    ) -> list[WmiObject]:
        """``SELECT * FROM cls WHERE k1 = v1 AND ...`` (values quoted here, never by callers)."""
        ...

    def call(
        self, namespace: str, target: str, method: str, params: Mapping[str, Value] | None = None
    ) -> dict[str, Any]:
        """ExecMethod_ on an object path (instance method) or a class name (static method):
        the out-parameters, ``ReturnValue`` included."""
        ...

    def put(self, namespace: str, path: str, props: Mapping[str, Value]) -> None:
        """Set properties of an instance and write it back (Put_)."""
        ...

    def create(
        self,
        namespace: str,
        cls: str,
        props: Mapping[str, Value],
        options: Mapping[str, Value] | None = None,
    ) -> str:
        """Create an instance (PutInstance, create only) with ``props`` set; ``options`` go
        as the call's context, which is how the MSFT_* providers take their custom options
        (New-NetLbfoTeam's TeamMembers and TeamNicName). Returns the new relative path."""
        ...

    def delete(self, namespace: str, path: str) -> None: ...


def wql_literal(value: Scalar) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def render_wql(cls: str, where: Mapping[str, Scalar] | None) -> str:
    if not cls.replace("_", "").isalnum():
        raise PlatformError("invalid WMI class name", operation="wmi", subject=cls)
    text = f"SELECT * FROM {cls}"  # noqa: S608 - names checked above, values quoted
    if where:
        for name in where:
            if not name.replace("_", "").isalnum():
                raise PlatformError("invalid WMI property name", operation="wmi", subject=name)
        clauses = []
        for name, value in where.items():
            clauses.append(f"{name} IS NULL" if value is None else f"{name} = {wql_literal(value)}")
        text += " WHERE " + " AND ".join(clauses)
    return text


def check_return(result: Mapping[str, Any], operation: str, subject: str) -> None:
    """A WMI method's non-zero ReturnValue as a PlatformError."""
    code = int(result.get("ReturnValue") or 0)
    if code != 0:
        raise PlatformError(
            f"{operation} failed with WMI return value {code}",
            operation=operation,
            os_code=code,
            subject=subject,
        )


def _windows_only(operation: str) -> None:
    if sys.platform != "win32":
        raise NotSupported("WMI exists on Windows only", operation=operation)


class ComWmi:
    """The real binding. One SWbemServices per namespace, connected on first use."""

    def __init__(self) -> None:
        self._services: dict[str, Any] = {}

    def _service(self, namespace: str) -> Any:
        _windows_only("wmi")
        if namespace not in self._services:
            import win32com.client

            moniker = "winmgmts:{impersonationLevel=impersonate}!\\\\.\\" + namespace
            self._services[namespace] = self._guard(
                "connect", namespace, lambda: win32com.client.GetObject(moniker)
            )
        return self._services[namespace]

    @staticmethod
    def _guard(operation: str, subject: str, call: Any) -> Any:
        import pywintypes

        try:
            return call()
        except pywintypes.com_error as exc:
            hresult, text, excepinfo, _arg = exc.args
            scode = excepinfo[5] if excepinfo and len(excepinfo) > 5 else None
            code = (scode if scode is not None else hresult) & 0xFFFFFFFF
            raise PlatformError(
                f"WMI {operation} failed ({code:#x})",
                operation=f"wmi.{operation}",
                os_code=code,
                detail=str(text),
                subject=subject,
            ) from None

    @staticmethod
    def _snapshot(class_name: str, item: Any) -> WmiObject:
        props = {prop.Name: _plain(prop.Value) for prop in item.Properties_}
        return WmiObject(class_name, str(item.Path_.RelPath), props)

    def query(
        self, namespace: str, cls: str, where: Mapping[str, Scalar] | None = None
    ) -> list[WmiObject]:
        service = self._service(namespace)
        wql = render_wql(cls, where)
        rows = self._guard("query", cls, lambda: list(service.ExecQuery(wql)))
        return [self._snapshot(cls, row) for row in rows]

    def call(
        self, namespace: str, target: str, method: str, params: Mapping[str, Value] | None = None
    ) -> dict[str, Any]:
        service = self._service(namespace)

        def run() -> dict[str, Any]:
            holder = service.Get(target)
            definition = holder.Methods_(method)
            inputs = None
            if definition.InParameters is not None:
                inputs = definition.InParameters.SpawnInstance_()
                for name, value in (params or {}).items():
                    inputs.Properties_.Item(name).Value = (
                        list(value) if isinstance(value, tuple) else value
                    )
            out = service.ExecMethod_(target, method, inputs)
            return {prop.Name: _plain(prop.Value) for prop in out.Properties_}

        result: dict[str, Any] = self._guard(method, target, run)
        return result

    def put(self, namespace: str, path: str, props: Mapping[str, Value]) -> None:
        service = self._service(namespace)

        def run() -> None:
            item = service.Get(path)
            for name, value in props.items():
                item.Properties_.Item(name).Value = (
                    list(value) if isinstance(value, tuple) else value
                )
            item.Put_()

        self._guard("put", path, run)

    def create(
        self,
        namespace: str,
        cls: str,
        props: Mapping[str, Value],
        options: Mapping[str, Value] | None = None,
    ) -> str:
        service = self._service(namespace)

        def run() -> str:
            import win32com.client

            item = service.Get(cls).SpawnInstance_()
            for name, value in props.items():
                item.Properties_.Item(name).Value = (
                    list(value) if isinstance(value, tuple) else value
                )
            context = None
            if options:
                context = win32com.client.Dispatch("WbemScripting.SWbemNamedValueSet")
                for name, value in options.items():
                    context.Add(name, list(value) if isinstance(value, tuple) else value)
            return str(item.Put_(WBEM_FLAG_CREATE_ONLY, context).RelPath)

        path: str = self._guard("create", cls, run)
        return path

    def delete(self, namespace: str, path: str) -> None:
        service = self._service(namespace)
        self._guard("delete", path, lambda: service.Delete(path))


def _plain(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_plain(v) for v in value)
    return value
