"""Neutron's agent RPC for ``NetworkAgent`` (imports Neutron: runs where Neutron is installed).

Client side (``NeutronPluginRpc``, the ``PluginRpc`` the agent asks): Neutron's own RPC APIs on
``q-plugin`` / ``q-reports-plugin`` (``PluginApi``, ``PluginReportStateAPI``,
``SecurityGroupServerRpcApi``, the resources pull for QoS policies and trunks).
Server side (``AgentEndpoints``): the fanout casts the ML2 plugin sends on
``q-agent-notifier-{port-update, port-delete, network-delete, security_group-update}``; they only
mark work for the next poll. ``start_consumers`` starts one oslo.messaging server per topic on the
transport ``neutron_lib.rpc.init`` set up (rabbit in production, ``fake:`` in the tests).
"""

from __future__ import annotations

import logging
from typing import Any

import oslo_messaging
from neutron.agent import rpc as agent_rpc
from neutron.api.rpc.callbacks import exceptions as callback_exc
from neutron.api.rpc.callbacks import resources
from neutron.api.rpc.callbacks.consumer import registry as consumer_registry
from neutron.api.rpc.handlers import resources_rpc
from neutron.api.rpc.handlers import securitygroups_rpc as sg_rpc
from neutron.conf.agent import common as agent_conf
from neutron.services.trunk.rpc import agent as trunk_rpc
from neutron_lib import context as n_context
from neutron_lib import rpc as n_rpc
from neutron_lib.agent import topics
from neutron_lib.services.trunk import constants as trunk_consts
from oslo_config import cfg

from wincloud.hyperv.neutron.agent import NetworkAgent, TrunkInfo

log = logging.getLogger(__name__)

# a pull for a resource the server has no producer for (no QoS or trunk plugin) comes back as
# CallbackNotFound, an absent one as ResourceNotFound; the transport raises MessagingException
_PULL_ERRORS = (
    oslo_messaging.MessagingException,
    callback_exc.CallbackNotFound,
    resources_rpc.ResourceNotFound,
)

CONSUMED = (
    (topics.PORT, topics.UPDATE),
    (topics.PORT, topics.DELETE),
    (topics.NETWORK, topics.DELETE),
    (topics.NETWORK, topics.UPDATE),
    (topics.SECURITY_GROUP, topics.UPDATE),
)


class NeutronPluginRpc:
    def __init__(self, agent_id: str = "hyperv-agent") -> None:
        agent_conf.register_agent_state_opts_helper(cfg.CONF)  # [AGENT] report_interval
        self.agent_id = agent_id
        self.context = n_context.get_admin_context_without_session()
        self.plugin = agent_rpc.PluginApi(topics.PLUGIN)
        self.reports = agent_rpc.PluginReportStateAPI(topics.REPORTS)
        self.sg = sg_rpc.SecurityGroupServerRpcApi(topics.PLUGIN)
        self.pull = resources_rpc.ResourcesPullRpcApi()
        self.trunks = trunk_rpc.TrunkStub()

    def report_state(self, state: dict[str, Any]) -> None:
        self.reports.report_state(self.context, state, use_call=bool(state.get("start_flag")))

    def get_devices_details_list(self, devices: list[str], host: str) -> list[dict[str, Any]]:
        result = self.plugin.get_devices_details_list(
            self.context, devices, f"{self.agent_id}-{host}", host
        )
        return list(result)

    def update_device_up(self, device: str, host: str) -> None:
        self.plugin.update_device_up(self.context, device, f"{self.agent_id}-{host}", host)

    def update_device_down(self, device: str, host: str) -> None:
        self.plugin.update_device_down(self.context, device, f"{self.agent_id}-{host}", host)

    def security_group_info(self, devices: list[str]) -> dict[str, Any]:
        return dict(self.sg.security_group_info_for_devices(self.context, devices))

    def qos_rules(self, policy_id: str) -> list[dict[str, Any]]:
        try:
            policy = self.pull.pull(self.context, resources.QOS_POLICY, policy_id)
        except _PULL_ERRORS as exc:
            log.warning("qos policy not available policy=%s error=%s", policy_id, exc)
            return []
        out = []
        for rule in getattr(policy, "rules", None) or []:
            out.append(
                {
                    "type": getattr(rule, "rule_type", None),
                    "max_kbps": getattr(rule, "max_kbps", None),
                    "min_kbps": getattr(rule, "min_kbps", None),
                    "direction": getattr(rule, "direction", "egress"),
                }
            )
        return out

    def trunk_details(self, port_id: str) -> TrunkInfo | None:
        try:
            trunk = self.trunks.get_trunk_details(self.context, port_id)
        except _PULL_ERRORS:
            return None  # no trunk plugin, or not a trunk parent
        subports = tuple(
            (str(sp.port_id), int(sp.segmentation_id))
            for sp in getattr(trunk, "sub_ports", None) or []
        )
        return TrunkInfo(str(trunk.id), port_id, subports)

    def trunk_wired(self, trunk: TrunkInfo, host: str) -> None:
        """Bind the sub-ports to the parent's host, report them up, mark the trunk ACTIVE."""
        subports = [{"trunk_id": trunk.trunk_id, "port_id": p} for p, _ in trunk.subports]
        if subports:
            self.trunks.update_subport_bindings(self.context, subports)
            for port_id, _ in trunk.subports:
                self.update_device_up(port_id, host)
        self.trunks.update_trunk_status(
            self.context, trunk.trunk_id, trunk_consts.TRUNK_ACTIVE_STATUS
        )


class AgentEndpoints:
    """The casts Neutron sends to L2 agents; each one marks work for ``poll_once``."""

    target = oslo_messaging.Target(version="1.9")

    def __init__(self, agent: NetworkAgent) -> None:
        self.agent = agent

    def port_update(self, context: Any, **kwargs: Any) -> None:
        port = kwargs.get("port") or {}
        self.agent.port_update(port)

    def port_delete(self, context: Any, **kwargs: Any) -> None:
        self.agent.port_delete(str(kwargs.get("port_id")))

    def network_delete(self, context: Any, **kwargs: Any) -> None:
        self.agent.network_delete(str(kwargs.get("network_id")))

    def network_update(self, context: Any, **kwargs: Any) -> None:
        network = kwargs.get("network") or {}
        self.agent.network_delete(str(network.get("id")))  # re-check its ports

    def binding_activate(self, context: Any, **kwargs: Any) -> None:
        self.agent.port_update({"id": kwargs.get("port_id")})

    def binding_deactivate(self, context: Any, **kwargs: Any) -> None:
        self.agent.port_update({"id": kwargs.get("port_id")})

    def security_groups_rule_updated(self, context: Any, **kwargs: Any) -> None:
        self.agent.security_groups_changed(list(kwargs.get("security_groups") or []))

    def security_groups_member_updated(self, context: Any, **kwargs: Any) -> None:
        self.agent.security_groups_changed(list(kwargs.get("security_groups") or []))

    def security_groups_provider_updated(self, context: Any, **kwargs: Any) -> None:
        self.agent.security_groups_changed(None)


def _trunk_pushed(agent: NetworkAgent) -> Any:
    """Trunk and sub-port pushes (created/updated/deleted) -> re-wire the parent port."""

    def receive(
        context: Any, resource_type: str, resource_list: list[Any], event_type: str
    ) -> None:
        for item in resource_list:
            if resource_type == resources.TRUNK:
                agent.trunk_changed(str(item.id), str(item.port_id))
            else:  # a SubPort: its trunk's parent, if that trunk is ours
                agent.trunk_changed(str(item.trunk_id))

    return receive


def start_consumers(agent: NetworkAgent, server_name: str) -> list[Any]:
    """One RPC server per consumed topic (fanout: every agent gets every cast); started. Trunk
    and sub-port changes arrive as versioned-object pushes on their own topics."""
    endpoints = [AgentEndpoints(agent)]
    servers = []
    receive = _trunk_pushed(agent)
    push_endpoints = [resources_rpc.ResourcesPushRpcCallback()]
    for resource_type in (resources.TRUNK, resources.SUBPORT):
        consumer_registry.register(receive, resource_type)
        topic = resources_rpc.resource_type_versioned_topic(resource_type)
        target = oslo_messaging.Target(topic=topic, server=server_name, fanout=True)
        server = n_rpc.get_server(target, push_endpoints)
        server.start()
        servers.append(server)
    for resource, operation in CONSUMED:
        topic = topics.get_topic_name(topics.AGENT, resource, operation)
        target = oslo_messaging.Target(topic=topic, server=server_name, fanout=True)
        server = n_rpc.get_server(target, endpoints)
        server.start()
        servers.append(server)
    return servers


def stop_consumers(servers: list[Any]) -> None:
    for server in servers:
        server.stop()
    for server in servers:
        server.wait()
