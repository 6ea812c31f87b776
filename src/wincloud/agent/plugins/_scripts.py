"""Running scripts for the userdata, cloudconfig and local_scripts plugins, and the exit
codes Windows images rely on (cloudbase-init's convention):

| exit code | 8-bit (POSIX) | meaning |
|---|---|---|
| 1001 | 233 | reboot; this script is done |
| 1002 | 234 | no reboot; run this script again at the next boot |
| 1003 | 235 | reboot, then run this script again |

Any other exit code is the script's own business: logged (never the output), the script is
done. A script that cannot run (a timeout, a missing interpreter, a PowerShell script on
POSIX) is logged and done, so a broken script never loops the machine.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import MutableMapping, Sequence
from typing import TYPE_CHECKING, Final

from msgspec import Struct

from wincloud.agent.plugins.base import Outcome
from wincloud.agent.userdata.scripts import Script
from wincloud.errors import NotSupported, PlatformError

if TYPE_CHECKING:
    from wincloud.agent.plugins.base import RunContext

log = logging.getLogger(__name__)


class Request(Struct, frozen=True):
    reboot: bool
    again: bool


REQUESTS: Final = {
    1001: Request(reboot=True, again=False),
    1002: Request(reboot=False, again=True),
    1003: Request(reboot=True, again=True),
}


def requested(exit_code: int) -> Request | None:
    """What an exit code asks for (1001-1003, or 233-235 where statuses have 8 bits)."""
    found = REQUESTS.get(exit_code)
    if found is None and 0 <= exit_code <= 255:
        found = next((r for code, r in REQUESTS.items() if code % 256 == exit_code), None)
    return found


def run_one(ctx: RunContext, script: Script, *, timeout: float, what: str) -> Request | None:
    try:
        done = ctx.platform.processes.run_script(
            script.body, name=script.name, timeout=timeout, kind=script.kind
        )
    except NotSupported as exc:
        log.warning(
            "%s script skipped name=%s kind=%s reason=%s", what, script.name, script.kind, exc
        )
        return None
    except PlatformError as exc:
        log.error("%s script did not run name=%s error=%s", what, script.name, exc)
        return None
    request = requested(done.exit_code)
    log.info(
        "%s script finished name=%s exit=%d stdout_bytes=%d stderr_bytes=%d",
        what,
        script.name,
        done.exit_code,
        len(done.stdout),
        len(done.stderr),
    )
    if request is None and done.exit_code != 0:
        log.warning("%s script failed name=%s exit=%d", what, script.name, done.exit_code)
    return request


def script_key(index: int, script: Script, prefix: str = "") -> str:
    return f"{prefix}{index}:{hashlib.sha256(script.body).hexdigest()[:16]}"


def run_scripts(
    ctx: RunContext,
    scripts: Sequence[Script],
    *,
    timeout: float,
    what: str,
    memo: MutableMapping[str, str],
    prefix: str = "",
) -> Outcome:
    """Run the scripts not yet done (``memo`` remembers them across boots), in order.

    A reboot request stops the run there: REBOOT when nothing is left to run, else
    REBOOT_AND_RETRY (the plugin runs again after the reboot and goes on with what is left).
    A 1002 lets the others run, then RETRY_NEXT_BOOT."""
    again = False
    for index, script in enumerate(scripts):
        key = script_key(index, script, prefix)
        if memo.get(key) == "done":
            log.info("%s script already ran name=%s", what, script.name)
            continue
        request = run_one(ctx, script, timeout=timeout, what=what)
        if request is None or not request.again:
            memo[key] = "done"
        if request is None:
            continue
        if request.reboot:
            left = request.again or again or index < len(scripts) - 1
            return Outcome.REBOOT_AND_RETRY if left else Outcome.REBOOT
        again = True
    return Outcome.RETRY_NEXT_BOOT if again else Outcome.DONE
