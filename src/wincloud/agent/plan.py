"""What a run would do, without doing it: ``wincloud agent schema FILE`` (a user-data file) and
``wincloud agent run --dry-run`` (this machine's metadata and state). Nothing is written."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from wincloud.agent.plugins import Frequency, RunContext, Stage, create_plugin
from wincloud.agent.plugins.cloudconfig import precheck
from wincloud.agent.userdata.cloudconfig import CloudConfig, build_cloudconfig, merge_parts
from wincloud.agent.userdata.parts import parse_userdata

if TYPE_CHECKING:
    from wincloud.agent.config import AgentConfig
    from wincloud.agent.run import Agent


def describe_userdata(
    data: bytes, *, family: Literal["posix", "windows"], config: AgentConfig
) -> list[str]:
    """One line per part (what would run or be applied, or why it is skipped). Every
    cloud-config document goes through the checks the run makes before applying anything, on
    a fresh machine of ``family``: InvalidMetadata for the first problem. Whether the accounts
    ``chpasswd`` names exist is left to the run (it depends on the machine)."""
    from wincloud.platform.fake import fake_platform

    parsed = parse_userdata(data)
    lines: list[str] = []
    configs = parsed.cloud_configs()
    for part in parsed.parts:
        if part.script is not None:
            lines.append(f"script {part.script.name} ({part.script.kind}): would run")
        elif part.kind == "cloud-config" and len(configs) > 1:
            lines.append(f"cloud-config {part.name}: merged with the other parts")
        elif part.kind == "certificate":
            lines.append(f"certificate {part.name}: for WinRM certificate authentication")
        elif part.kind != "cloud-config":
            lines.append(f"skipped {part.name}: {part.reason}")
    if configs:
        where = "user-data" + (f" {configs[0].name}" if len(configs) == 1 else "")
        doc = build_cloudconfig(
            merge_parts(configs, where="user-data"), where=where, budget=parsed.budget
        )
        platform = fake_platform(family=family)
        for change in doc.chpasswd:
            platform.users.ensure(change.name)
        precheck(RunContext(platform, config, Stage.MAIN), doc, where)
        label = configs[0].name if len(configs) == 1 else "(merged)"
        lines.append(f"cloud-config {label}: {_summary(doc)}")
    return lines or ["empty: nothing to run"]


def _summary(doc: CloudConfig) -> str:
    bits: list[str] = []
    if doc.timezone:
        bits.append(f"timezone {doc.timezone}")
    if doc.ntp_servers:
        bits.append(f"ntp {','.join(doc.ntp_servers)}")
    wanted = None if doc.preserve_hostname else (doc.fqdn or doc.hostname)
    if wanted:
        bits.append(f"hostname {wanted}")
    if doc.groups:
        bits.append("groups " + ",".join(name for name, _ in doc.groups))
    if doc.users:
        bits.append("users " + ",".join(u.name for u in doc.users))
    if doc.chpasswd:
        bits.append("chpasswd " + ",".join(c.name for c in doc.chpasswd))
    if doc.write_files:
        bits.append("write_files " + ",".join(f.path for f in doc.write_files))
    if doc.runcmd:
        bits.append(f"runcmd {len(doc.runcmd)} commands")
    if doc.unsupported:
        bits.append("ignored keys " + ",".join(doc.unsupported))
    return "; ".join(bits) or "nothing to apply"


def dry_run(agent: Agent) -> list[str]:
    """The metadata source that answers, and each plugin's fate this boot; reads only (the
    sources are read, the state is read, nothing is written or run)."""
    from wincloud.agent.discovery import discover
    from wincloud.agent.sources import SourceDeps, create_source
    from wincloud.agent.state import load_state

    config, platform = agent.config, agent.platform
    state = load_state(platform.state)
    deps = SourceDeps(config=config, platform=platform, http=agent._http)
    found = discover(
        config.sources,
        lambda name: create_source(name, deps, registry=agent.sources),
        config.retry.to_backoff(),
        sleep=agent.sleep,
    )
    md = found.metadata
    is_new = state.instance_id != md.instance_id
    lines = [
        f"source {found.source.name} where={md.where} instance_id={md.instance_id}"
        + (" (new instance: per-instance plugins run again)" if is_new else "")
    ]
    names = [agent.only] if agent.only else config.plugins
    for name in names:
        plugin = create_plugin(name, registry=agent.plugins)
        done = not is_new and plugin.frequency is Frequency.PER_INSTANCE and name in state.plugins
        if plugin.frequency is Frequency.ONCE and name in state.once:
            done = True
        fate = "already done" if done and agent.only is None else "would run"
        lines.append(f"plugin {name} ({plugin.stage}, {plugin.frequency}): {fate}")
    if md.user_data:
        family = platform.family
        for line in describe_userdata(md.user_data, family=family, config=config):
            lines.append(f"  user-data {line}")
    return lines
