"""Run the user-data scripts (``#!``, ``#ps1``, ``rem cmd``, MIME parts), each with a timeout.

Exit statuses 1001, 1002 and 1003 (cloudbase-init's convention; 233, 234, 235 where exit
statuses are 8 bits) ask for: a reboot; a reboot and this script again; this script again on
the next boot. Each finished script is remembered, so after a reboot the next one runs.
A script that fails otherwise is logged (its exit status, never its output) and not re-run.
"""

from __future__ import annotations

import hashlib
import logging
from typing import ClassVar, Final

from wincloud.agent.plugins.base import Frequency, Outcome, RunContext, Stage
from wincloud.agent.userdata.scripts import parse_scripts
from wincloud.errors import PlatformError

log = logging.getLogger(__name__)

REQUESTS: Final = {
    1001: Outcome.REBOOT,
    1002: Outcome.REBOOT_AND_RETRY,
    1003: Outcome.RETRY_NEXT_BOOT,
}
REQUESTS_8BIT: Final = {code % 256: outcome for code, outcome in REQUESTS.items()}


class UserDataPlugin:
    name: ClassVar[str] = "userdata"
    stage: ClassVar[Stage] = Stage.MAIN
    frequency: ClassVar[Frequency] = Frequency.PER_INSTANCE

    def run(self, ctx: RunContext) -> Outcome:
        data = ctx.metadata.user_data
        if not data:
            return Outcome.SKIPPED
        scripts = parse_scripts(data)
        if not scripts:
            log.info("user-data holds no script bytes=%d", len(data))
            return Outcome.SKIPPED
        timeout = ctx.config.userdata.timeout
        for index, script in enumerate(scripts):
            key = f"{index}:{hashlib.sha256(script.body).hexdigest()[:16]}"
            if ctx.memo.get(key) == "done":
                log.info("user-data script already ran name=%s", script.name)
                continue
            try:
                done = ctx.platform.processes.run_script(
                    script.body, name=script.name, timeout=timeout
                )
            except PlatformError as exc:
                log.error("user-data script did not run name=%s error=%s", script.name, exc)
                ctx.memo[key] = "done"
                continue
            requested = REQUESTS.get(done.exit_code) or REQUESTS_8BIT.get(done.exit_code)
            log.info(
                "user-data script finished name=%s exit=%d stdout_bytes=%d stderr_bytes=%d",
                script.name,
                done.exit_code,
                len(done.stdout),
                len(done.stderr),
            )
            if requested is None and done.exit_code != 0:
                log.warning("user-data script failed name=%s exit=%d", script.name, done.exit_code)
            if requested in (None, Outcome.REBOOT):
                ctx.memo[key] = "done"
            if requested is Outcome.REBOOT and index < len(scripts) - 1:
                return Outcome.REBOOT_AND_RETRY  # the scripts after it run after the reboot
            if requested is not None:
                return requested
        return Outcome.DONE
