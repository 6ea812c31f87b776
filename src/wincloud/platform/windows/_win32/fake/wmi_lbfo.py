"""Fake NIC teaming (LBFO) in root/StandardCimv2: MSFT_NetLbfoTeam, MSFT_NetLbfoTeamMember and
MSFT_NetLbfoTeamNic, created by CreateInstance with the custom options the NetLbfo cmdlets pass
(New-NetLbfoTeam: TeamMembers, TeamNicName; Add-NetLbfoTeamMember: Name), changed by Put_
(Set-NetLbfoTeam, Set-NetLbfoTeamMember) and removed by DeleteInstance (Remove-NetLbfo*).

As Windows does: a member loses its TCP/IP binding (IP interfaces, addresses, routes, DNS
servers) while in a team and gets it back, with DHCP, when it leaves; every team interface is
a new MSFT_NetAdapter ("Microsoft Network Adapter Multiplexor Driver") with its own
InterfaceIndex and the MAC address of the team's first member, bound to TCP/IP with DHCP.
Refusals cite the Microsoft page that states the rule; codes are "WMI Error Constants".
Unlike Windows, the team interface appears at once (Windows shows it a few seconds later)."""

from __future__ import annotations

from typing import Any, Final

from wincloud.platform.windows._win32.errors import (
    WBEM_E_ALREADY_EXISTS,
    WBEM_E_INVALID_PARAMETER,
    WBEM_E_NOT_FOUND,
)
from wincloud.platform.windows._win32.fake.wmi import (
    WBEM_E_INVALID_OPERATION,
    FakeInstance,
    FakeWmi,
    wmi_error,
)
from wincloud.platform.windows._win32.fake.wmi_network import (
    NS,
    add_adapter,
    bind_ip,
    next_index,
    unbind_ip,
)

STATIC, SWITCH_INDEPENDENT, LACP = 0, 1, 2
"""MSFT_NetLbfoTeam.TeamingMode."""
TRANSPORT_PORTS, IP_ADDRESSES, MAC_ADDRESSES, HYPERV_PORT, DYNAMIC = 0, 2, 3, 4, 5
"""MSFT_NetLbfoTeam.LoadBalancingAlgorithm."""
ACTIVE, STANDBY = 0, 1
"""MSFT_NetLbfoTeamMember.AdministrativeMode."""
MAX_MEMBERS: Final = 32
MAX_TEAM_NICS: Final = 32
MULTIPLEXOR: Final = "Microsoft Network Adapter Multiplexor Driver"


def _one(wmi: FakeWmi, cls: str, name: str) -> FakeInstance | None:
    for item in wmi.instances(NS, cls):
        if str(item.props["Name"]).lower() == name.lower():
            return item
    return None


def _of_team(wmi: FakeWmi, cls: str, team: str) -> list[FakeInstance]:
    return [i for i in wmi.instances(NS, cls) if str(i.props["Team"]).lower() == team.lower()]


def _sync(wmi: FakeWmi, team: FakeInstance, *, leaving: str = "") -> None:
    name = str(team.props["Name"])
    team.props["Members"] = tuple(
        sorted(
            str(m.props["Name"])
            for m in _of_team(wmi, "MSFT_NetLbfoTeamMember", name)
            if m.props["Name"] != leaving
        )
    )
    team.props["TeamNics"] = tuple(
        str(n.props["Name"])
        for n in _of_team(wmi, "MSFT_NetLbfoTeamNic", name)
        if n.props["Name"] != leaving
    )


def _check_member(wmi: FakeWmi, team: str, name: str, mode: int) -> FakeInstance:
    adapter = _one(wmi, "MSFT_NetAdapter", name)
    if adapter is None or _one(wmi, "MSFT_NetLbfoTeamNic", name) is not None:
        raise wmi_error("create", WBEM_E_NOT_FOUND, name)
    if _one(wmi, "MSFT_NetLbfoTeamMember", name) is not None:
        # "NIC Teaming": a network adapter is a member of one team at most
        raise wmi_error("create", WBEM_E_INVALID_PARAMETER, name)
    if len(_of_team(wmi, "MSFT_NetLbfoTeamMember", team)) >= MAX_MEMBERS:
        # "NIC Teaming": a team groups one to 32 network adapters
        raise wmi_error("create", WBEM_E_INVALID_PARAMETER, f"{team}: {MAX_MEMBERS} members")
    if mode not in (ACTIVE, STANDBY):
        raise wmi_error("create", WBEM_E_INVALID_PARAMETER, f"AdministrativeMode={mode}")
    return adapter


def _check_standby(wmi: FakeWmi, team: FakeInstance, name: str, operation: str) -> None:
    # "NIC Teaming settings": a standby adapter only in Switch Independent mode;
    # "Add-NetLbfoTeamMember": at most one member in a team can be in Standby mode
    others = [
        m
        for m in _of_team(wmi, "MSFT_NetLbfoTeamMember", str(team.props["Name"]))
        if m.props["AdministrativeMode"] == STANDBY and m.props["Name"] != name
    ]
    if team.props["TeamingMode"] != SWITCH_INDEPENDENT or others:
        raise wmi_error(operation, WBEM_E_INVALID_PARAMETER, f"{name}: AdministrativeMode=Standby")


def _join(wmi: FakeWmi, team: FakeInstance, name: str, mode: int) -> FakeInstance:
    adapter = _check_member(wmi, str(team.props["Name"]), name, mode)
    if mode == STANDBY:
        _check_standby(wmi, team, name, "create")
    member = wmi.add(
        NS,
        "MSFT_NetLbfoTeamMember",
        {
            "Name": adapter.props["Name"],
            "Team": team.props["Name"],
            "AdministrativeMode": mode,
            "InterfaceDescription": adapter.props["InterfaceDescription"],
            "OperationalStatus": "Active" if mode == ACTIVE else "Standby",
        },
        ("Name",),
    )
    unbind_ip(wmi, int(adapter.props["InterfaceIndex"]))
    _sync(wmi, team)
    return member


def _add_team_nic(
    wmi: FakeWmi, team: FakeInstance, name: str, vlan: int | None, mac: str
) -> FakeInstance:
    if _one(wmi, "MSFT_NetAdapter", name) is not None:
        raise wmi_error("create", WBEM_E_ALREADY_EXISTS, name)
    count = sum(
        1
        for a in wmi.instances(NS, "MSFT_NetAdapter")
        if str(a.props["InterfaceDescription"]).startswith(MULTIPLEXOR)
    )
    description = MULTIPLEXOR + (f" #{count + 1}" if count else "")
    add_adapter(wmi, name, mac, next_index(wmi), vlan=False, description=description)
    nic = wmi.add(
        NS,
        "MSFT_NetLbfoTeamNic",
        {
            "Name": name,
            "Team": team.props["Name"],
            "VlanID": vlan,
            "Primary": vlan is None,
            "Default": vlan is None,
            "InterfaceDescription": description,
        },
        ("Name",),
    )
    _sync(wmi, team)
    return nic


def _drop_adapter(wmi: FakeWmi, name: str) -> None:
    adapter = _one(wmi, "MSFT_NetAdapter", name)
    if adapter is not None:
        unbind_ip(wmi, int(adapter.props["InterfaceIndex"]))
        wmi.remove(NS, adapter)


def _create_team(
    wmi: FakeWmi, _ns: str, props: dict[str, Any], options: dict[str, Any]
) -> FakeInstance:
    name = str(props.get("Name") or "")
    members = options.get("TeamMembers")
    mode = props.get("TeamingMode", SWITCH_INDEPENDENT)
    algorithm = props.get("LoadBalancingAlgorithm", DYNAMIC)
    if not name or not isinstance(members, tuple) or not members:
        # "New-NetLbfoTeam": Name and TeamMembers are required
        raise wmi_error("create", WBEM_E_INVALID_PARAMETER, name or "MSFT_NetLbfoTeam")
    if _one(wmi, "MSFT_NetLbfoTeam", name) is not None:
        raise wmi_error("create", WBEM_E_ALREADY_EXISTS, name)
    if mode not in (STATIC, SWITCH_INDEPENDENT, LACP):
        raise wmi_error("create", WBEM_E_INVALID_PARAMETER, f"TeamingMode={mode}")
    if algorithm not in (TRANSPORT_PORTS, IP_ADDRESSES, MAC_ADDRESSES, HYPERV_PORT, DYNAMIC):
        raise wmi_error("create", WBEM_E_INVALID_PARAMETER, f"LoadBalancingAlgorithm={algorithm}")
    nic_name = str(options.get("TeamNicName") or name)
    if _one(wmi, "MSFT_NetAdapter", nic_name) is not None:
        raise wmi_error("create", WBEM_E_ALREADY_EXISTS, nic_name)
    if len({str(m).lower() for m in members}) != len(members) or len(members) > MAX_MEMBERS:
        raise wmi_error("create", WBEM_E_INVALID_PARAMETER, "TeamMembers")
    adapters = [_check_member(wmi, name, str(m), ACTIVE) for m in members]  # all or nothing
    team = wmi.add(
        NS,
        "MSFT_NetLbfoTeam",
        {
            "Name": name,
            "TeamingMode": mode,
            "LoadBalancingAlgorithm": algorithm,
            "Status": "Up",
            "Members": (),
            "TeamNics": (),
        },
        ("Name",),
    )
    for member in members:
        _join(wmi, team, str(member), ACTIVE)
    _add_team_nic(wmi, team, nic_name, None, str(adapters[0].props["MacAddress"]))
    return team


def _put_team(
    wmi: FakeWmi, _ns: str, instance: FakeInstance | None, props: dict[str, Any]
) -> dict[str, Any]:
    assert instance is not None
    mode = props.get("TeamingMode", instance.props["TeamingMode"])
    algorithm = props.get("LoadBalancingAlgorithm", instance.props["LoadBalancingAlgorithm"])
    if mode not in (STATIC, SWITCH_INDEPENDENT, LACP) or algorithm not in (0, 2, 3, 4, 5):
        raise wmi_error("put", WBEM_E_INVALID_PARAMETER, str(instance.props["Name"]))
    if set(props) - {"TeamingMode", "LoadBalancingAlgorithm"}:
        raise wmi_error("put", WBEM_E_INVALID_PARAMETER, ",".join(sorted(props)))
    if mode != SWITCH_INDEPENDENT:
        # "Windows Server 2012 R2 NIC Teaming (LBFO) Deployment and Management": a switch
        # dependent mode makes every member active
        for member in _of_team(wmi, "MSFT_NetLbfoTeamMember", str(instance.props["Name"])):
            member.props.update(AdministrativeMode=ACTIVE, OperationalStatus="Active")
    return {}


def _delete_team(
    wmi: FakeWmi, ns: str, instance: FakeInstance | None, _params: dict[str, Any]
) -> dict[str, Any]:
    assert instance is not None
    name = str(instance.props["Name"])
    for nic in _of_team(wmi, "MSFT_NetLbfoTeamNic", name):
        _drop_adapter(wmi, str(nic.props["Name"]))
        wmi.remove(ns, nic)
    for member in _of_team(wmi, "MSFT_NetLbfoTeamMember", name):
        wmi.remove(ns, member)
        adapter = _one(wmi, "MSFT_NetAdapter", str(member.props["Name"]))
        if adapter is not None:
            bind_ip(wmi, int(adapter.props["InterfaceIndex"]))
    return {}


def _create_member(
    wmi: FakeWmi, _ns: str, props: dict[str, Any], options: dict[str, Any]
) -> FakeInstance:
    name = str(options.get("Name") or props.get("Name") or "")
    team = _one(wmi, "MSFT_NetLbfoTeam", str(props.get("Team") or ""))
    if team is None:
        raise wmi_error("create", WBEM_E_NOT_FOUND, str(props.get("Team")))
    return _join(wmi, team, name, int(props.get("AdministrativeMode", ACTIVE)))


def _put_member(
    wmi: FakeWmi, _ns: str, instance: FakeInstance | None, props: dict[str, Any]
) -> dict[str, Any]:
    assert instance is not None
    mode = props.get("AdministrativeMode")
    if mode is None:
        return {}
    if mode not in (ACTIVE, STANDBY):
        raise wmi_error("put", WBEM_E_INVALID_PARAMETER, f"AdministrativeMode={mode}")
    if mode == STANDBY:
        team = _one(wmi, "MSFT_NetLbfoTeam", str(instance.props["Team"]))
        assert team is not None
        _check_standby(wmi, team, str(instance.props["Name"]), "put")
    instance.props["OperationalStatus"] = "Active" if mode == ACTIVE else "Standby"
    return {}


def _delete_member(
    wmi: FakeWmi, _ns: str, instance: FakeInstance | None, _params: dict[str, Any]
) -> dict[str, Any]:
    assert instance is not None
    name, team_name = str(instance.props["Name"]), str(instance.props["Team"])
    if len(_of_team(wmi, "MSFT_NetLbfoTeamMember", team_name)) == 1:
        # "Remove-NetLbfoTeam" removes a team; its last member cannot leave it alone
        raise wmi_error("delete", WBEM_E_INVALID_OPERATION, name)
    adapter = _one(wmi, "MSFT_NetAdapter", name)
    if adapter is not None:
        bind_ip(wmi, int(adapter.props["InterfaceIndex"]))
    team = _one(wmi, "MSFT_NetLbfoTeam", team_name)
    if team is not None:
        _sync(wmi, team, leaving=name)
    return {}


def _create_team_nic(
    wmi: FakeWmi, _ns: str, props: dict[str, Any], _options: dict[str, Any]
) -> FakeInstance:
    team = _one(wmi, "MSFT_NetLbfoTeam", str(props.get("Team") or ""))
    if team is None:
        raise wmi_error("create", WBEM_E_NOT_FOUND, str(props.get("Team")))
    team_name = str(team.props["Name"])
    vlan = props.get("VlanID")
    if not isinstance(vlan, int) or not 0 <= vlan < 4095:
        # "Add-NetLbfoTeamNic": VlanID is required, 0 <= VlanID < 4095
        raise wmi_error("create", WBEM_E_INVALID_PARAMETER, f"VlanID={vlan}")
    nics = _of_team(wmi, "MSFT_NetLbfoTeamNic", team_name)
    if any(n.props["VlanID"] == vlan for n in nics):
        raise wmi_error("create", WBEM_E_ALREADY_EXISTS, f"{team_name} VlanID={vlan}")
    if len(nics) >= MAX_TEAM_NICS:
        # "NIC Teaming": up to 32 team interfaces per team
        raise wmi_error("create", WBEM_E_INVALID_PARAMETER, f"{team_name}: {MAX_TEAM_NICS} NICs")
    primary = next(n for n in nics if n.props["Primary"])
    source = _one(wmi, "MSFT_NetAdapter", str(primary.props["Name"]))
    assert source is not None
    name = str(props.get("Name") or f"{team_name} - VLAN {vlan}")
    return _add_team_nic(wmi, team, name, vlan, str(source.props["MacAddress"]))


def _delete_team_nic(
    wmi: FakeWmi, _ns: str, instance: FakeInstance | None, _params: dict[str, Any]
) -> dict[str, Any]:
    assert instance is not None
    name = str(instance.props["Name"])
    if instance.props["Primary"]:
        # "Remove-NetLbfoTeamNic": the team interface created with the team goes only with
        # the team (Remove-NetLbfoTeam)
        raise wmi_error("delete", WBEM_E_INVALID_OPERATION, name)
    _drop_adapter(wmi, name)
    team = _one(wmi, "MSFT_NetLbfoTeam", str(instance.props["Team"]))
    if team is not None:
        _sync(wmi, team, leaving=name)
    return {}


def install_lbfo(wmi: FakeWmi) -> None:
    """The NetLbfo provider, as on Windows Server (client editions have no NIC teaming)."""
    wmi.define(
        NS,
        "MSFT_NetLbfoTeam",
        {"__put": _put_team, "__delete": _delete_team},
        creator=_create_team,
    )
    wmi.define(
        NS,
        "MSFT_NetLbfoTeamMember",
        {"__put": _put_member, "__delete": _delete_member},
        creator=_create_member,
    )
    wmi.define(NS, "MSFT_NetLbfoTeamNic", {"__delete": _delete_team_nic}, creator=_create_team_nic)
