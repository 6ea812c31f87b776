"""Run the user-data scripts: ``#!``, ``#ps1``, ``#ps1_sysnative``, ``#ps1_x86``, ``rem cmd``,
the EC2 ``<script>``/``<powershell>`` format, MIME parts of those, gzip. Each script runs
with ``userdata.timeout``; the exit codes 1001-1003 ask for reboots and re-runs (see
``_scripts.py`` and docs/userdata.md). Each finished script is remembered, so after a reboot
the next one runs. Cloud-config parts are the cloudconfig plugin's; parts of other types
(include-url, part-handler, boothook, ...) are skipped with a log line (their type, never
their content)."""

from __future__ import annotations

import logging
from typing import ClassVar

from wincloud.agent.plugins._scripts import run_scripts
from wincloud.agent.plugins.base import Frequency, Outcome, RunContext, Stage
from wincloud.agent.userdata.parts import parse_userdata
from wincloud.agent.userdata.scripts import is_ec2_persist

log = logging.getLogger(__name__)


class UserDataPlugin:
    name: ClassVar[str] = "userdata"
    stage: ClassVar[Stage] = Stage.MAIN
    frequency: ClassVar[Frequency] = Frequency.PER_INSTANCE

    def run(self, ctx: RunContext) -> Outcome:
        data = ctx.metadata.user_data
        if not data:
            return Outcome.SKIPPED
        parsed = parse_userdata(data)
        for part in parsed.skipped():
            log.info("user-data part skipped name=%s reason=%s", part.name, part.reason)
        scripts = parsed.scripts()
        if not scripts:
            log.info("user-data holds no script bytes=%d", len(data))
            return Outcome.SKIPPED
        if is_ec2_persist(data):
            log.info("user-data asks to persist; wincloud runs it once per instance")
        return run_scripts(
            ctx, scripts, timeout=ctx.config.userdata.timeout, what="user-data", memo=ctx.memo
        )
