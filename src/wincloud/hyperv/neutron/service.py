"""``wincloud hyperv network-agent --config FILE``: the agent process (imports Neutron).

Reads the file twice: our parser for the hosts and mappings (``config.py``), oslo.config for
``[DEFAULT] transport_url`` and the rest of Neutron's RPC options. Then: open the hosts, check
their vSwitches (refusing one with the Open vSwitch extension), report state, start the
notification consumers, and poll every ``polling_interval`` seconds, reporting every
``report_interval``. ``max_polls`` bounds the loop (tests, ``--once``); SIGTERM/SIGINT stop it.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from wincloud.hyperv.neutron.agent import NetworkAgent, PortHost
from wincloud.hyperv.neutron.config import AgentConfig, load_config, open_host

log = logging.getLogger(__name__)


def init_rpc(config_file: Path) -> None:
    """oslo.config from the same file, then neutron_lib.rpc on its transport_url."""
    from neutron.common import config as n_config
    from neutron_lib import rpc as n_rpc
    from oslo_config import cfg

    n_config.register_common_config_options()
    cfg.CONF(["--config-file", str(config_file)], project="neutron")
    n_rpc.init(cfg.CONF)


def run(
    config: AgentConfig,
    *,
    hosts: dict[str, PortHost] | None = None,
    rpc: Any = None,
    stop: threading.Event | None = None,
    max_polls: int | None = None,
    server_name: str = "wincloud-hyperv-agent",
) -> NetworkAgent:
    from wincloud.hyperv.neutron.rpc import NeutronPluginRpc, start_consumers, stop_consumers

    stop = stop or threading.Event()
    if hosts is None:
        hosts = {e.neutron_host: open_host(e) for e in config.hosts}
    agent = NetworkAgent(config, hosts, rpc or NeutronPluginRpc())
    agent.validate_vswitches()
    agent.report_state()
    servers = start_consumers(agent, server_name)
    polls = 0
    last_report = time.monotonic()
    try:
        while not stop.is_set() and (max_polls is None or polls < max_polls):
            polls += 1
            try:
                agent.poll_once()
                if time.monotonic() - last_report >= config.report_interval_s:
                    last_report = time.monotonic()
                    agent.report_state()
            except Exception:  # the loop's top: a lost server or host is retried next poll
                log.exception("poll failed poll=%d", polls)
            if max_polls is None or polls < max_polls:
                stop.wait(config.polling_interval_s)
    finally:
        stop_consumers(servers)
        for host in hosts.values():
            host.close()
    return agent


def main(config_file: Path, *, max_polls: int | None = None) -> None:
    import signal

    config = load_config(config_file)
    init_rpc(config_file)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    log.info("network agent starting hosts=%d", len(config.hosts))
    run(config, stop=stop, max_polls=max_polls)
