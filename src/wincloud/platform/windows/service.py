"""The ``wincloud`` Windows service: runs the agent once per boot, after Windows setup has
finished, and honours the reboot protocol (agent exit status 10 -> reboot; a reboot left
pending by the SetupComplete stage -> reboot first).

The decisions (``AgentServiceLoop``) are plain Python, tested on Linux; ``serve()`` hosts them
in the Service Control Manager through pywin32 (servicemanager, win32serviceutil), imported
when it runs. The agent runs as a child process (``python -m wincloud agent run``), so its
logging, its crash or its exit status never take the service host down with it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, Final

from msgspec import Struct

from wincloud.errors import PlatformError
from wincloud.platform.base import Platform
from wincloud.platform.windows._win32.registry import Registry

log = logging.getLogger(__name__)

SERVICE_NAME: Final = "wincloud"
DISPLAY_NAME: Final = "wincloud guest agent"
DESCRIPTION: Final = (
    "Applies this instance's cloud metadata (host name, users, network, licensing) at boot."
)
SETUP_STATE: Final = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Setup\State"
IMAGE_STATE_COMPLETE: Final = "IMAGE_STATE_COMPLETE"
REBOOT_PENDING: Final = r"C:\ProgramData\wincloud\reboot-pending"
EXIT_REBOOT: Final = 10
AGENT_TIMEOUT: Final = 3 * 3600.0


def service_command(python: str = sys.executable) -> str:
    """The service's command line (the ServiceInstall row of the MSI writes the same)."""
    return f'"{python}" -m wincloud agent service run'


def agent_command(python: str = sys.executable) -> list[str]:
    return [python, "-m", "wincloud", "agent", "run"]


def is_setup_complete(registry: Registry) -> bool:
    """Windows setup (specialize, OOBE, SetupComplete.cmd) is over: ImageState says
    IMAGE_STATE_COMPLETE, or the value does not exist (a machine never sysprepped)."""
    state = registry.read_text(SETUP_STATE, "ImageState")
    return state is None or state == IMAGE_STATE_COMPLETE


class AgentServiceLoop(Struct):
    platform: Platform
    registry: Registry
    command: list[str]
    poll_seconds: float = 10.0

    def run(self, wait: Callable[[float], bool]) -> int:
        """One boot's work. ``wait(seconds)`` sleeps and returns True when the service was
        asked to stop. Returns the agent's exit status (-1: stopped before it ran)."""
        while not is_setup_complete(self.registry):
            log.info("waiting for windows setup to finish")
            if wait(self.poll_seconds):
                return -1
        if self.platform.files.remove(REBOOT_PENDING):
            log.warning("reboot left pending by the setup stage")
            self.platform.host.reboot("wincloud: reboot requested during setup")
            return EXIT_REBOOT
        try:
            done = self.platform.processes.run(self.command, timeout=AGENT_TIMEOUT)
        except PlatformError as exc:
            log.error("agent did not run error=%s", exc)
            return 1
        log.info("agent finished exit=%d", done.exit_code)
        if done.exit_code == EXIT_REBOOT:
            # the agent asked for the reboot itself unless allow_reboot = false: ask again,
            # a shutdown already in progress is not an error
            self.platform.host.reboot("wincloud: the agent needs a reboot")
        return done.exit_code


def serve() -> None:  # pragma: no cover - runs under the Service Control Manager only
    """Host the service (``wincloud agent service run``, started by the SCM)."""
    if sys.platform != "win32":
        from wincloud.errors import NotSupported

        raise NotSupported("Windows services run on Windows only", operation="service")
    import servicemanager
    import win32event
    import win32service
    import win32serviceutil

    from wincloud.platform.windows import real_bindings, windows_platform

    class AgentService(win32serviceutil.ServiceFramework):
        _svc_name_ = SERVICE_NAME
        _svc_display_name_ = DISPLAY_NAME
        _svc_description_ = DESCRIPTION

        def __init__(self, args: list[str]) -> None:
            super().__init__(args)
            self.stop_event = win32event.CreateEvent(None, True, False, None)

        def SvcStop(self) -> None:
            self.ReportServiceStatus(win32service.SERVICE_STOP_PENDING)
            win32event.SetEvent(self.stop_event)

        def SvcDoRun(self) -> None:
            def wait(seconds: float) -> bool:
                code = win32event.WaitForSingleObject(self.stop_event, int(seconds * 1000))
                return bool(code == win32event.WAIT_OBJECT_0)

            loop = AgentServiceLoop(windows_platform(), real_bindings().registry, agent_command())
            status = loop.run(wait)
            servicemanager.LogInfoMsg(f"wincloud agent finished with exit status {status}")

    servicemanager.Initialize()
    servicemanager.PrepareToHostSingle(AgentService)
    dispatch: Any = servicemanager.StartServiceCtrlDispatcher  # untyped in the stubs
    dispatch()
