"""``wincloud hyperv network-agent --config FILE``: the Neutron L2 agent for Hyper-V hosts.

``--check`` reads the file, reaches every host and checks its vSwitches (present, no Open vSwitch
extension enabled) without talking to Neutron: one line per host and vSwitch, exit 1 when one
fails. Without it the agent runs (needs Neutron installed: ``pip install wincloud[neutron]``
with Neutron from OpenStack's constraints); ``--polls N`` stops it after N polls.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click

from wincloud.errors import ConfigError, HyperVError


@click.command("network-agent")
@click.option(
    "--config",
    "config_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The agent's INI file (docs/hyperv-network.md).",
)
@click.option("--check", is_flag=True, help="Check the hosts' vSwitches and exit.")
@click.option("--polls", type=click.IntRange(min=1), default=None, help="Stop after N polls.")
def network_agent(config_file: Path, check: bool, polls: int | None) -> None:
    """Wire Neutron ports on Hyper-V vSwitches (VLAN, port security, ACLs, QoS)."""
    from wincloud.hyperv.neutron.config import load_config, open_host

    config = load_config(config_file)
    if check:
        failed = False
        for entry in config.hosts:
            host = open_host(entry)
            try:
                switches = {s.name.casefold() for s in host.list_switches()}
                for vswitch in config.mappings.vswitches():
                    problem = ""
                    if vswitch.casefold() not in switches:
                        problem = "not found"
                    else:
                        ovs = [
                            e.name
                            for e in host.list_switch_extensions(vswitch)
                            if e.enabled and e.is_ovs
                        ]
                        if ovs:
                            problem = f"Open vSwitch extension enabled ({ovs[0]})"
                    failed = failed or bool(problem)
                    status = "FAIL" if problem else "ok"
                    click.echo(f"{status:<4} {entry.neutron_host:<20} {vswitch} {problem}".rstrip())
            except HyperVError as exc:
                failed = True
                click.echo(f"FAIL {entry.neutron_host:<20} {exc}")
            finally:
                host.close()
        raise SystemExit(1 if failed else 0)
    if importlib.util.find_spec("neutron") is None:
        raise ConfigError(
            "Neutron is not installed in this environment",
            subject="network-agent",
            hint="install wincloud[neutron] into Neutron's environment",
        )
    from wincloud.hyperv.neutron import service

    service.main(config_file, max_polls=polls)
