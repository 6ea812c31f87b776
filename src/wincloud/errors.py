"""The whole wincloud error hierarchy.

Every error carries a stable ``code`` (kebab-case, listed in docs/errors.md), an ``exit_status``
for the CLI, a one-line message, an optional ``subject`` (the file, URL, field or device the
error is about) and an optional ``hint`` that tells the user what to do. This module imports
nothing from wincloud. No secret ever goes into a message, a subject or a hint.
"""

from __future__ import annotations

from typing import ClassVar


class WincloudError(Exception):
    """Base of every error wincloud raises on purpose."""

    code: ClassVar[str] = "error"
    exit_status: ClassVar[int] = 1

    def __init__(self, message: str, *, subject: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.subject = subject
        self.hint = hint

    def __str__(self) -> str:
        if self.subject:
            return f"{self.message}: {self.subject}"
        return self.message


class ConfigError(WincloudError):
    """A config file, a CLI argument or an input record is wrong."""

    code = "config-error"
    exit_status = 2


class SourceError(WincloudError):
    """A metadata source failed."""

    code = "source-error"
    exit_status = 3


class SourceUnavailable(SourceError):
    """Timeout, refused connection, 5xx, unreadable medium: worth retrying."""

    code = "source-unavailable"
    exit_status = 3


class InvalidMetadata(SourceError):
    """The source answered, but what it said cannot be used. Not retried."""

    code = "invalid-metadata"
    exit_status = 4


class MetadataNotFound(WincloudError):
    """No source answered; ``attempts`` says what each one did."""

    code = "metadata-not-found"
    exit_status = 3

    def __init__(
        self,
        message: str,
        *,
        attempts: list[tuple[str, str]] | None = None,
        subject: str | None = None,
        hint: str | None = None,
    ):
        super().__init__(message, subject=subject, hint=hint)
        self.attempts = list(attempts or [])


class PasswordAlreadySet(WincloudError):
    """The instance's password may be posted once only."""

    code = "password-already-set"
    exit_status = 1


class PluginFailed(WincloudError):
    code = "plugin-failed"
    exit_status = 1


class PlatformError(WincloudError):
    """An OS call failed; ``operation``, ``os_code`` and ``detail`` say which and why."""

    code = "platform-error"
    exit_status = 1

    def __init__(
        self,
        message: str,
        *,
        operation: str = "",
        os_code: int | None = None,
        detail: str = "",
        subject: str | None = None,
        hint: str | None = None,
    ):
        super().__init__(message, subject=subject, hint=hint)
        self.operation = operation
        self.os_code = os_code
        self.detail = detail


class NotSupported(PlatformError):
    code = "not-supported"


class NotFound(WincloudError):
    """A named record (instance, file) does not exist."""

    code = "not-found"
    exit_status = 1


class StoreError(WincloudError):
    """The instance store cannot be opened, migrated, read or written."""

    code = "store-error"
    exit_status = 1


class DriveError(WincloudError):
    """A config drive cannot be built or read."""

    code = "drive-error"
    exit_status = 1


class ImageError(WincloudError):
    code = "image-error"
    exit_status = 1


class HyperVError(WincloudError):
    """A Hyper-V host could not do what was asked; ``host`` and ``cmdlet`` say where and what."""

    code = "hyperv-error"
    exit_status = 1

    def __init__(
        self,
        message: str,
        *,
        host: str = "",
        cmdlet: str = "",
        detail: str = "",
        subject: str | None = None,
        hint: str | None = None,
    ):
        super().__init__(message, subject=subject, hint=hint)
        self.host = host
        self.cmdlet = cmdlet
        self.detail = detail


class HostUnreachable(HyperVError):
    """WinRM did not answer (refused, DNS, TLS, HTTP 5xx): worth retrying."""

    code = "host-unreachable"
    exit_status = 3


class HostAuthFailed(HyperVError):
    """WinRM answered but refused the credentials (HTTP 401/403). Not retried."""

    code = "host-auth-failed"
    exit_status = 3


class HostTimeout(HyperVError):
    """The host did not finish in time; the operation may still complete on the host."""

    code = "host-timeout"
    exit_status = 3


class HostOperationFailed(HyperVError):
    """The cmdlet ran and failed (PowerShell error record)."""

    code = "host-operation-failed"


class HostObjectNotFound(HostOperationFailed):
    """A named path, switch, NIC, disk or checkpoint does not exist on the host."""

    code = "host-object-not-found"


class VmNotFound(HostObjectNotFound):
    code = "vm-not-found"


class HostObjectExists(HostOperationFailed):
    """A VM, NIC, checkpoint or file of that name already exists."""

    code = "host-object-exists"


class InvalidVmState(HostOperationFailed):
    """The VM's state forbids the action (remove a running VM, pause an off one)."""

    code = "invalid-vm-state"


class PathInUse(HostOperationFailed):
    """A file is held by a running VM, or a virtual disk is the parent of another one."""

    code = "path-in-use"


class InsufficientHostResources(HostOperationFailed):
    """Not enough free memory (or disk) on the host."""

    code = "insufficient-host-resources"


ALL_ERRORS: tuple[type[WincloudError], ...] = (
    WincloudError,
    ConfigError,
    SourceError,
    SourceUnavailable,
    InvalidMetadata,
    MetadataNotFound,
    PasswordAlreadySet,
    PluginFailed,
    PlatformError,
    NotSupported,
    NotFound,
    StoreError,
    DriveError,
    ImageError,
    HyperVError,
    HostUnreachable,
    HostAuthFailed,
    HostTimeout,
    HostOperationFailed,
    HostObjectNotFound,
    VmNotFound,
    HostObjectExists,
    InvalidVmState,
    PathInUse,
    InsufficientHostResources,
)
