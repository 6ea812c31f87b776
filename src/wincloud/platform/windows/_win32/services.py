"""Windows services through the Service Control Manager (advapi32: OpenSCManager, CreateService,
ChangeServiceConfig(2), QueryServiceStatus, StartService, ControlService, DeleteService), via
pywin32's win32service. One method per call family, no decisions."""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from typing import Any, Final, Protocol, TypeVar

from msgspec import Struct

from wincloud.errors import NotSupported
from wincloud.platform.windows._win32.errors import ERROR_SERVICE_DOES_NOT_EXIST, win32_error

T = TypeVar("T")


class StartType(StrEnum):
    AUTO = "auto"
    DELAYED = "delayed"
    """Automatic, started shortly after the other automatic services (boot is not slowed)."""
    MANUAL = "manual"
    DISABLED = "disabled"


# "SERVICE_STATUS structure": dwCurrentState
STATES: Final = {
    1: "stopped",
    2: "start-pending",
    3: "stop-pending",
    4: "running",
    5: "continue-pending",
    6: "pause-pending",
    7: "paused",
}
# "CreateServiceW function": dwStartType
_START_CODES: Final = {
    StartType.AUTO: 2,
    StartType.DELAYED: 2,
    StartType.MANUAL: 3,
    StartType.DISABLED: 4,
}


class ServiceInfo(Struct, frozen=True):
    name: str
    state: str
    """``running``, ``stopped``, ``start-pending``..."""
    start: StartType
    command: str


class ServiceManager(Protocol):
    def query(self, name: str) -> ServiceInfo | None: ...

    def create(
        self, name: str, *, display: str, command: str, start: StartType, description: str
    ) -> None:
        """ERROR_SERVICE_EXISTS when it exists. Runs as LocalSystem, own process."""
        ...

    def set_start(self, name: str, start: StartType) -> None: ...

    def start(self, name: str) -> None:
        """ERROR_SERVICE_ALREADY_RUNNING when running."""
        ...

    def stop(self, name: str) -> None:
        """ERROR_SERVICE_NOT_ACTIVE when not running."""
        ...

    def delete(self, name: str) -> None:
        """Marked for deletion; removed when its last handle closes."""
        ...


def _windows_only(operation: str) -> None:
    if sys.platform != "win32":
        raise NotSupported("services exist on Windows only", operation=operation)


class ScmServices:
    def _with_service(self, operation: str, name: str, use: Callable[[Any], T]) -> T:
        _windows_only(operation)
        import pywintypes
        import win32service

        try:
            scm = win32service.OpenSCManager(None, None, win32service.SC_MANAGER_ALL_ACCESS)
            try:
                handle = win32service.OpenService(scm, name, win32service.SERVICE_ALL_ACCESS)
                try:
                    return use(handle)
                finally:
                    win32service.CloseServiceHandle(handle)
            finally:
                win32service.CloseServiceHandle(scm)
        except pywintypes.error as exc:
            raise win32_error(operation, int(exc.winerror), subject=name) from None

    def query(self, name: str) -> ServiceInfo | None:
        _windows_only("QueryServiceStatus")
        import win32service

        from wincloud.errors import PlatformError

        def read(handle: Any) -> ServiceInfo:
            status = win32service.QueryServiceStatus(handle)
            config = win32service.QueryServiceConfig(handle)
            start = {2: StartType.AUTO, 3: StartType.MANUAL, 4: StartType.DISABLED}.get(
                int(config[1]), StartType.MANUAL
            )
            if start is StartType.AUTO:
                delayed = win32service.QueryServiceConfig2(
                    handle, win32service.SERVICE_CONFIG_DELAYED_AUTO_START_INFO
                )
                start = StartType.DELAYED if delayed else StartType.AUTO
            return ServiceInfo(name, STATES.get(status[1], "unknown"), start, str(config[3]))

        try:
            return self._with_service("QueryServiceStatus", name, read)
        except PlatformError as exc:
            if exc.os_code == ERROR_SERVICE_DOES_NOT_EXIST:
                return None
            raise

    def create(
        self, name: str, *, display: str, command: str, start: StartType, description: str
    ) -> None:
        _windows_only("CreateService")
        import pywintypes
        import win32service

        try:
            scm = win32service.OpenSCManager(None, None, win32service.SC_MANAGER_ALL_ACCESS)
            try:
                handle = win32service.CreateService(
                    scm,
                    name,
                    display,
                    win32service.SERVICE_ALL_ACCESS,
                    win32service.SERVICE_WIN32_OWN_PROCESS,
                    _START_CODES[start],
                    win32service.SERVICE_ERROR_NORMAL,
                    command,
                    None,
                    False,
                    None,
                    None,
                    None,
                )
                try:
                    win32service.ChangeServiceConfig2(
                        handle, win32service.SERVICE_CONFIG_DESCRIPTION, description
                    )
                    if start is StartType.DELAYED:
                        win32service.ChangeServiceConfig2(
                            handle, win32service.SERVICE_CONFIG_DELAYED_AUTO_START_INFO, True
                        )
                finally:
                    win32service.CloseServiceHandle(handle)
            finally:
                win32service.CloseServiceHandle(scm)
        except pywintypes.error as exc:
            raise win32_error("CreateService", int(exc.winerror), subject=name) from None

    def set_start(self, name: str, start: StartType) -> None:
        _windows_only("ChangeServiceConfig")
        import win32service

        def change(handle: Any) -> None:
            keep = win32service.SERVICE_NO_CHANGE
            win32service.ChangeServiceConfig(
                handle, keep, _START_CODES[start], keep, None, None, False, None, None, None, None
            )
            win32service.ChangeServiceConfig2(
                handle,
                win32service.SERVICE_CONFIG_DELAYED_AUTO_START_INFO,
                start is StartType.DELAYED,
            )

        self._with_service("ChangeServiceConfig", name, change)

    def start(self, name: str) -> None:
        _windows_only("StartService")
        import win32service

        self._with_service("StartService", name, lambda h: win32service.StartService(h, None))

    def stop(self, name: str) -> None:
        _windows_only("ControlService")
        import win32service

        self._with_service(
            "ControlService",
            name,
            lambda h: win32service.ControlService(h, win32service.SERVICE_CONTROL_STOP),
        )

    def delete(self, name: str) -> None:
        _windows_only("DeleteService")
        import win32service

        self._with_service("DeleteService", name, win32service.DeleteService)
