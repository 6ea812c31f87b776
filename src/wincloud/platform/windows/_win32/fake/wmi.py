"""A stateful fake of the WMI binding: object sets per namespace, keyed by relative path, with
methods as Python handlers that change the objects, as the providers do (``__put`` and
``__delete`` hooks run before a write or a delete; a class's creator handles ``create``).
Errors carry the WBEM_E_* codes of "WMI Error Constants"."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from wincloud.errors import PlatformError
from wincloud.platform.windows._win32.errors import (
    WBEM_E_INVALID_CLASS,
    WBEM_E_INVALID_METHOD,
    WBEM_E_INVALID_NAMESPACE,
    WBEM_E_NOT_FOUND,
    describe,
)
from wincloud.platform.windows._win32.wmi import Scalar, Value, WmiObject, render_wql


@dataclass
class FakeInstance:
    cls: str
    path: str
    props: dict[str, Any]


Handler = Callable[["FakeWmi", str, FakeInstance | None, dict[str, Any]], dict[str, Any]]
"""(wmi, namespace, instance or None for a static method, in-params) -> out-params."""
Creator = Callable[["FakeWmi", str, dict[str, Any], dict[str, Any]], FakeInstance]
"""(wmi, namespace, properties, custom options) -> the instance created."""

# "WMI Error Constants"
WBEM_E_INVALID_OPERATION: Final = 0x80041016
WBEM_E_PROVIDER_NOT_CAPABLE: Final = 0x80041024


def wmi_error(operation: str, code: int, subject: str) -> PlatformError:
    return PlatformError(
        f"WMI {operation} failed ({code:#x})",
        operation=f"wmi.{operation}",
        os_code=code,
        detail=describe(code),
        subject=subject,
    )


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()  # WQL compares strings without case
    return bool(a == b)


class FakeWmi:
    def __init__(self) -> None:
        self.objects: dict[str, dict[str, FakeInstance]] = {}
        self.classes: dict[str, set[str]] = {}
        self.methods: dict[tuple[str, str, str], Handler] = {}
        self.creators: dict[tuple[str, str], Creator] = {}
        self.queries: list[str] = []

    # -- building state ------------------------------------------------------------------

    def define(
        self,
        namespace: str,
        cls: str,
        methods: Mapping[str, Handler] | None = None,
        *,
        creator: Creator | None = None,
    ) -> None:
        ns = namespace.lower()
        self.objects.setdefault(ns, {})
        self.classes.setdefault(ns, set()).add(cls.lower())
        for name, handler in (methods or {}).items():
            self.methods[(ns, cls.lower(), name.lower())] = handler
        if creator is not None:
            self.creators[(ns, cls.lower())] = creator

    def add(
        self, namespace: str, cls: str, props: Mapping[str, Any], keys: Sequence[str]
    ) -> FakeInstance:
        self.define(namespace, cls)
        key = ",".join(
            f'{k}="{props[k]}"' if isinstance(props[k], str) else f"{k}={props[k]}" for k in keys
        )
        instance = FakeInstance(cls, f"{cls}.{key}", dict(props))
        self.objects[namespace.lower()][instance.path.lower()] = instance
        return instance

    def instances(self, namespace: str, cls: str) -> list[FakeInstance]:
        return [
            i
            for i in self.objects.get(namespace.lower(), {}).values()
            if i.cls.lower() == cls.lower()
        ]

    def remove(self, namespace: str, instance: FakeInstance) -> None:
        self.objects[namespace.lower()].pop(instance.path.lower(), None)

    # -- the binding ---------------------------------------------------------------------

    def _namespace(self, namespace: str) -> dict[str, FakeInstance]:
        found = self.objects.get(namespace.lower())
        if found is None:
            raise wmi_error("connect", WBEM_E_INVALID_NAMESPACE, namespace)
        return found

    def query(
        self, namespace: str, cls: str, where: Mapping[str, Scalar] | None = None
    ) -> list[WmiObject]:
        self._namespace(namespace)
        self.queries.append(render_wql(cls, where))
        if cls.lower() not in self.classes.get(namespace.lower(), set()):
            raise wmi_error("query", WBEM_E_INVALID_CLASS, cls)
        out = []
        for instance in self.instances(namespace, cls):
            if all(_same(instance.props.get(k), v) for k, v in (where or {}).items()):
                out.append(WmiObject(instance.cls, instance.path, _frozen(instance.props)))
        return out

    def call(
        self, namespace: str, target: str, method: str, params: Mapping[str, Value] | None = None
    ) -> dict[str, Any]:
        objects = self._namespace(namespace)
        instance = objects.get(target.lower())
        if instance is None and "." in target:
            raise wmi_error(method, WBEM_E_NOT_FOUND, target)
        cls = instance.cls if instance is not None else target
        handler = self.methods.get((namespace.lower(), cls.lower(), method.lower()))
        if handler is None:
            raise wmi_error(method, WBEM_E_INVALID_METHOD, f"{cls}.{method}")
        return handler(self, namespace, instance, dict(params or {}))

    def put(self, namespace: str, path: str, props: Mapping[str, Value]) -> None:
        instance = self._namespace(namespace).get(path.lower())
        if instance is None:
            raise wmi_error("put", WBEM_E_NOT_FOUND, path)
        for name in props:
            if name not in instance.props:
                raise wmi_error("put", WBEM_E_NOT_FOUND, f"{path}.{name}")
        hook = self.methods.get((namespace.lower(), instance.cls.lower(), "__put"))
        if hook is not None:
            hook(self, namespace, instance, dict(props))
        instance.props.update(props)

    def create(
        self,
        namespace: str,
        cls: str,
        props: Mapping[str, Value],
        options: Mapping[str, Value] | None = None,
    ) -> str:
        self._namespace(namespace)
        if cls.lower() not in self.classes.get(namespace.lower(), set()):
            raise wmi_error("create", WBEM_E_INVALID_CLASS, cls)
        creator = self.creators.get((namespace.lower(), cls.lower()))
        if creator is None:
            raise wmi_error("create", WBEM_E_PROVIDER_NOT_CAPABLE, cls)
        return creator(self, namespace, dict(props), dict(options or {})).path

    def delete(self, namespace: str, path: str) -> None:
        objects = self._namespace(namespace)
        instance = objects.get(path.lower())
        if instance is None:
            raise wmi_error("delete", WBEM_E_NOT_FOUND, path)
        hook = self.methods.get((namespace.lower(), instance.cls.lower(), "__delete"))
        if hook is not None:
            hook(self, namespace, instance, {})
        objects.pop(path.lower(), None)


def _frozen(props: Mapping[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in props.items()}
