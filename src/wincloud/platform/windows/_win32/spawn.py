"""Start a program and wait for it, bounded: the process runs in a job object, so a timeout
kills it and every process it started (CreateProcess + AssignProcessToJobObject +
TerminateJobObject, through subprocess and pywin32's win32job)."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from wincloud.errors import NotSupported, PlatformError
from wincloud.platform.base import Completed


class Spawner(Protocol):
    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Completed:
        """Exit code and output; a missing program (ERROR_FILE_NOT_FOUND) or a timeout raises
        PlatformError."""
        ...


class JobSpawner:
    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Completed:
        if sys.platform != "win32":
            raise NotSupported("job objects exist on Windows only", operation="CreateProcess")
        import os
        import subprocess

        import win32api
        import win32con
        import win32job

        args = tuple(argv)
        full_env = dict(os.environ)
        full_env.update(env or {})
        create_job: Any = (
            win32job.CreateJobObject
        )  # the stubs say it returns None; it returns a handle
        job: int = create_job(None, "")
        limits = win32job.QueryInformationJobObject(job, win32job.JobObjectExtendedLimitInformation)
        limits["BasicLimitInformation"]["LimitFlags"] |= win32job.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
        win32job.SetInformationJobObject(job, win32job.JobObjectExtendedLimitInformation, limits)
        try:
            proc = subprocess.Popen(
                args,
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=full_env,
                creationflags=subprocess.CREATE_NO_WINDOW,
            )
        except OSError as exc:
            code = getattr(exc, "winerror", None) or exc.errno
            raise PlatformError(
                "program not found" if code == 2 else f"cannot start ({exc.strerror})",
                operation="run",
                os_code=code,
                subject=args[0],
            ) from None
        handle = win32api.OpenProcess(
            win32con.PROCESS_TERMINATE | win32con.PROCESS_SET_QUOTA, False, proc.pid
        )
        try:
            win32job.AssignProcessToJobObject(job, handle)
            try:
                out, err = proc.communicate(stdin, timeout=timeout)
            except subprocess.TimeoutExpired:
                win32job.TerminateJobObject(job, 1)
                proc.communicate()
                raise PlatformError(
                    f"timed out after {timeout:g} s", operation="run", subject=args[0]
                ) from None
        finally:
            win32api.CloseHandle(handle)
            win32api.CloseHandle(job)
        return Completed(args, proc.returncode, out, err)
