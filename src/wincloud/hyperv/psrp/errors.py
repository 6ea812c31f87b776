"""PowerShell error records from a Hyper-V host -> wincloud's error tree.

Our scripts raise their own refusals with ``Write-Error -ErrorId Wincloud<Kind>`` (the kind
picks the class); errors from Hyper-V cmdlets are classified by their ``ErrorCategory`` (the
``System.Management.Automation.ErrorCategory`` numbers). The message names the cmdlet (the
record's ``ErrorCategory_Activity`` when it is a real cmdlet, else the script's main cmdlet)
and the host.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from wincloud.errors import (
    ConfigError,
    HostObjectExists,
    HostObjectNotFound,
    HostOperationFailed,
    HostTimeout,
    HyperVError,
    InsufficientHostResources,
    InvalidVmState,
    PathInUse,
    VmNotFound,
    WincloudError,
)

# Write-Error -ErrorId values our scripts use.
_BY_ID: dict[str, type[HyperVError]] = {
    "WincloudVmNotFound": VmNotFound,
    "WincloudNotFound": HostObjectNotFound,
    "WincloudExists": HostObjectExists,
    "WincloudVmState": InvalidVmState,
    "WincloudInUse": PathInUse,
    "WincloudNoResources": InsufficientHostResources,
    "WincloudFailed": HostOperationFailed,
    "WincloudTimeout": HostTimeout,
}
# System.Management.Automation.ErrorCategory
_BY_CATEGORY: dict[int, type[HyperVError]] = {
    13: HostObjectNotFound,  # ObjectNotFound
    19: PathInUse,  # ResourceBusy
    20: HostObjectExists,  # ResourceExists
    29: InsufficientHostResources,  # LimitsExceeded
    30: InsufficientHostResources,  # QuotaExceeded
}
_TAGGED = re.compile(r"^(Wincloud[A-Za-z]+): (.*)$")
_CMDLET = re.compile(r"^[A-Z][a-z]+-[A-Za-z]+$")
_HINTS: dict[type[HyperVError], str] = {
    InvalidVmState: "change the VM's state first (wincloud hyperv vms shows it)",
    PathInUse: "stop the VM that holds the file, or detach the disk",
    InsufficientHostResources: "free memory or disk on the host, or pick another host",
}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _exception_message(record: Any) -> str:
    exc = getattr(record, "exception", None)
    if exc is None:
        return ""
    for props in (getattr(exc, "adapted_properties", {}), getattr(exc, "extended_properties", {})):
        if isinstance(props, dict) and props.get("Message"):
            return _text(props["Message"])
    return _text(exc)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0].strip() if text.strip() else ""


def error_from_records(records: Sequence[Any], *, host: str, cmdlet: str) -> WincloudError:
    """The first record decides the class; later records go into ``detail``."""
    if not records:
        return HostOperationFailed(
            f"{cmdlet} failed on {host} without an error record", host=host, cmdlet=cmdlet
        )
    rec = records[0]
    fq = _text(getattr(rec, "fq_error", "")).split(",")[0]
    category = getattr(rec, "category", None)
    message = _first_line(_exception_message(rec)) or _first_line(_text(rec)) or fq
    tagged = _TAGGED.match(message)
    if tagged:  # our scripts prefix their refusals with the id: trust it over the record's
        fq, message = tagged[1], tagged[2]
    activity = _text(getattr(rec, "activity", ""))
    named = activity if _CMDLET.match(activity) and activity != "Write-Error" else cmdlet
    target = _text(getattr(rec, "target_name", "")) or None
    cls = _BY_ID.get(fq) or _BY_CATEGORY.get(category if isinstance(category, int) else -1)
    if cls is None and fq == "WincloudBadArgument":
        return ConfigError(f"{named} on {host}: {message}", subject=target)
    cls = cls or HostOperationFailed
    others = {_first_line(_exception_message(r) or _text(r)) for r in records[1:4]}
    extra = "; ".join(sorted(o for o in others if o and o != message))
    return cls(
        f"{named} failed on {host}: {message}",
        host=host,
        cmdlet=named,
        subject=target,
        detail=f"{fq} category={category}" + (f"; also: {extra}" if extra else ""),
        hint=_HINTS.get(cls),
    )
