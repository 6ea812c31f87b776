"""Bonds and VLANs for WindowsNetwork, through WMI root/StandardCimv2:

* a bond is an LBFO team, ``MSFT_NetLbfoTeam``, created as New-NetLbfoTeam does (CreateInstance:
  Name, TeamingMode, LoadBalancingAlgorithm; custom options TeamMembers, the member whose MAC
  the team takes, and TeamNicName, the bond's name); the other members join as
  ``MSFT_NetLbfoTeamMember`` (an active-backup bond's second one in Standby); later runs bring
  mode, algorithm and members in line (Set-NetLbfoTeam, Remove-NetLbfoTeamMember);
* a VLAN on a bond is a team interface, ``MSFT_NetLbfoTeamNic`` (Team, Name, VlanID), the
  team's primary interface staying untagged; a changed id replaces it;
* a VLAN on a plain adapter is the adapter's ``VlanID`` advanced property
  (``MSFT_NetAdapterAdvancedPropertySettingData``): the whole adapter is tagged.

``prepare`` checks a whole plan against the machine before anything changes (PlatformError
naming the link); the other methods are the changes. Modes map as ``team_settings`` says.
"""

from __future__ import annotations

import logging
from typing import Final

from msgspec import Struct, field
from msgspec.structs import replace

from wincloud.errors import NotSupported, PlatformError
from wincloud.platform.base import InterfacePlan, NetworkPlan
from wincloud.platform.windows._win32.errors import WBEM_E_INVALID_CLASS, has_code
from wincloud.platform.windows._win32.wmi import STANDARD_CIMV2, Wmi, WmiObject

log = logging.getLogger(__name__)

NS: Final = STANDARD_CIMV2
STATIC, SWITCH_INDEPENDENT, LACP = 0, 1, 2
"""MSFT_NetLbfoTeam.TeamingMode."""
TRANSPORT_PORTS, IP_ADDRESSES, MAC_ADDRESSES, DYNAMIC = 0, 2, 3, 5
"""MSFT_NetLbfoTeam.LoadBalancingAlgorithm (4 is HyperVPort, for Hyper-V hosts)."""
ACTIVE, STANDBY = 0, 1
"""MSFT_NetLbfoTeamMember.AdministrativeMode."""
MAX_TEAM_NICS: Final = 32
VLAN_KEYWORD: Final = "VlanID"
_HASHES: Final = {
    "layer2": MAC_ADDRESSES,
    "layer2+3": IP_ADDRESSES,
    "encap2+3": IP_ADDRESSES,
    "layer3+4": TRANSPORT_PORTS,
    "encap3+4": TRANSPORT_PORTS,
}
_MODES: Final[dict[str | None, tuple[int, int]]] = {
    "balance-rr": (STATIC, DYNAMIC),
    "active-backup": (SWITCH_INDEPENDENT, TRANSPORT_PORTS),
    "balance-tlb": (SWITCH_INDEPENDENT, DYNAMIC),
    "balance-alb": (SWITCH_INDEPENDENT, DYNAMIC),
    None: (SWITCH_INDEPENDENT, DYNAMIC),
}


def _refuse(message: str, link: str, hint: str | None = None) -> PlatformError:
    return PlatformError(message, operation="network", subject=link, hint=hint)


def team_settings(iface: InterfacePlan) -> tuple[int, int]:
    """(TeamingMode, LoadBalancingAlgorithm) for a bond:

    * ``802.3ad`` -> Lacp, ``balance-xor`` -> Static: the algorithm from the transmit hash
      policy (layer2 -> MacAddresses, layer2+3/encap2+3 -> IPAddresses, layer3+4/encap3+4 ->
      TransportPorts, none -> Dynamic);
    * ``balance-rr`` -> Static with Dynamic (the switch needs the same static aggregation;
      Windows spreads flows, not packets);
    * ``active-backup`` -> SwitchIndependent with TransportPorts (Address Hash; one member
      Standby); ``balance-tlb``, ``balance-alb`` and no mode -> SwitchIndependent with Dynamic;
    * ``broadcast``, or a hash policy not listed: PlatformError naming the link."""
    mode, policy = iface.bond_mode, iface.bond_hash_policy
    if mode in ("802.3ad", "balance-xor"):
        if policy and policy not in _HASHES:
            raise _refuse(
                f"Windows teams have no transmit hash policy {policy!r}",
                iface.name,
                hint="use layer2, layer2+3, layer3+4, encap2+3 or encap3+4",
            )
        return (LACP if mode == "802.3ad" else STATIC), _HASHES.get(policy, DYNAMIC)
    if mode in _MODES:
        return _MODES[mode]
    raise _refuse(
        f"bond mode {mode!r} has no Windows teaming mode",
        iface.name,
        hint="use 802.3ad, balance-xor, balance-rr, active-backup, balance-tlb or balance-alb",
    )


def _check_free(adapter: str, members: dict[str, WmiObject], ours: set[str], link: str) -> None:
    """An adapter in a team wincloud neither made nor plans stays there."""
    row = members.get(adapter.lower())
    if row is not None and str(row.get("Team")).lower() not in ours:
        raise _refuse(
            f"adapter {adapter} is a member of team {row.get('Team')}",
            link,
            hint="remove that team (Remove-NetLbfoTeam) or plan its adapters elsewhere",
        )


class TeamPlan(Struct, frozen=True):
    name: str
    members: tuple[str, ...]
    """Adapter names; the first gives the team (and its interfaces) its MAC address."""
    mode: int
    algorithm: int
    standby: str = ""
    """The member kept in Standby (active-backup), "" for none."""


class Layout(Struct):
    """Where a checked plan lands on this machine."""

    teams: list[TeamPlan] = field(default_factory=list)
    team_vlans: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Team interface name -> (team name, VLAN id)."""
    tagged: dict[str, int] = field(default_factory=dict)
    """MAC of a plain adapter -> the VLAN id its VlanID property gets."""
    targets: list[tuple[InterfacePlan, str]] = field(default_factory=list)
    """Addresses, routes, DNS and MTU to configure, and the adapter (by name) that gets them."""
    members: set[str] = field(default_factory=set)
    """MACs of planned bond members (no IP of their own)."""


class WindowsTeams:
    def __init__(self, wmi: Wmi) -> None:
        self.wmi = wmi

    def _rows(self, cls: str) -> dict[str, WmiObject]:
        """Instances by lowercase Name; {} where NIC teaming does not exist (client Windows)."""
        return self._find(cls) or {}

    def _find(self, cls: str) -> dict[str, WmiObject] | None:
        try:
            return {str(r.get("Name")).lower(): r for r in self.wmi.query(NS, cls)}
        except PlatformError as exc:
            if has_code(exc, WBEM_E_INVALID_CLASS):
                return None
            raise

    def team_nics(self) -> dict[str, WmiObject]:
        return self._rows("MSFT_NetLbfoTeamNic")

    def _vlan_property(self, adapter: str) -> WmiObject | None:
        rows = self.wmi.query(
            NS,
            "MSFT_NetAdapterAdvancedPropertySettingData",
            {"Name": adapter, "RegistryKeyword": VLAN_KEYWORD},
        )
        return rows[0] if rows else None

    # -- checks: nothing changes before the whole plan fits -------------------------------

    def prepare(
        self, plan: NetworkPlan, adapters: dict[str, WmiObject], owned_teams: list[str]
    ) -> Layout:
        """Check the plan's links against the machine (``adapters``: the physical ones by MAC,
        one for every planned MAC) and lay it out; PlatformError naming the link when Windows
        cannot do it."""
        out = Layout()
        bonds = [i for i in plan.interfaces if i.kind == "bond"]
        if bonds and self._find("MSFT_NetLbfoTeam") is None:
            raise NotSupported(
                "NIC teaming (LBFO) is not available on this Windows",
                operation="network",
                subject=bonds[0].name,
                hint="bonds need Windows Server (2016 or later); client editions have no LBFO",
            )
        names = {str(a.get("Name")).lower() for a in self.wmi.query(NS, "MSFT_NetAdapter")}
        members = self._rows("MSFT_NetLbfoTeamMember")
        nics = self.team_nics()
        ours = {t.lower() for t in owned_teams} | {b.name.lower() for b in bonds}
        for bond in bonds:
            out.teams.append(self._team_plan(bond, adapters, members, ours))
            out.members |= set(bond.members)
            self._check_name(bond.name, names, nics, team=bond.name, ours=ours)
            out.targets.append((bond, bond.name))
        by_key = {i.key: i for i in plan.interfaces}
        for vlan in (i for i in plan.interfaces if i.kind == "vlan"):
            parent = by_key[vlan.link]
            if parent.kind == "physical":
                self._check_tagged(vlan, parent, out, adapters)
                continue
            used = [vid for team, vid in out.team_vlans.values() if team == parent.name]
            if vlan.vlan_id in used or len(used) >= MAX_TEAM_NICS - 1:
                raise _refuse("a team has one interface per VLAN id, 31 at most", vlan.name)
            self._check_name(vlan.name, names, nics, team=None, ours=ours)
            out.team_vlans[vlan.name] = (parent.name, int(vlan.vlan_id or 0))
            out.targets.append((vlan, vlan.name))
        for iface in plan.interfaces:
            if iface.kind == "physical" and iface.mac not in out.members | set(out.tagged):
                name = str(adapters[iface.mac].get("Name"))
                _check_free(name, members, ours, iface.mac)
                out.targets.append((iface, name))
        return out

    def _team_plan(
        self,
        bond: InterfacePlan,
        adapters: dict[str, WmiObject],
        members: dict[str, WmiObject],
        ours: set[str],
    ) -> TeamPlan:
        mode, algorithm = team_settings(bond)
        macs = list(bond.members)
        if bond.mac in macs:
            macs.insert(0, macs.pop(macs.index(bond.mac)))
        elif bond.mac:
            log.warning("bond MAC is no member's; the team takes %s's link=%s", macs[0], bond.name)
        names = tuple(str(adapters[m].get("Name")) for m in macs)
        for name in names:
            _check_free(name, members, ours, bond.name)
        standby = ""
        if bond.bond_mode == "active-backup" and len(names) > 1:
            if len(names) > 2:
                raise _refuse(
                    "active-backup with more than two members: a Windows team keeps one "
                    "adapter at most in Standby",
                    bond.name,
                )
            standby = names[1]
        if bond.bond_miimon is not None:
            log.info("bond_miimon ignored: Windows teams watch links themselves link=%s", bond.name)
        return TeamPlan(bond.name, names, mode, algorithm, standby)

    @staticmethod
    def _check_name(
        name: str,
        names: set[str],
        nics: dict[str, WmiObject],
        *,
        team: str | None,
        ours: set[str],
    ) -> None:
        """A bond's name (``team``) may be taken only by that team's primary interface, a
        VLAN's (``team`` None) only by a VLAN interface of a team of ours."""
        if name.lower() not in names:
            return
        nic = nics.get(name.lower())
        if nic is not None:
            owner = str(nic.get("Team")).lower()
            if team is not None and nic.get("Primary") and owner == team.lower():
                return
            if team is None and not nic.get("Primary") and owner in ours:
                return
        raise _refuse(
            "an adapter that is not this link's team interface has its name",
            name,
            hint="rename that adapter (Rename-NetAdapter) or the link in network_data",
        )

    def _check_tagged(
        self,
        vlan: InterfacePlan,
        parent: InterfacePlan,
        out: Layout,
        adapters: dict[str, WmiObject],
    ) -> None:
        name = str(adapters[parent.mac].get("Name"))
        if parent.mac in out.members:
            raise _refuse(
                "a VLAN on a bond member: team members take no VLAN filter (NIC Teaming)",
                vlan.name,
                hint="put the VLAN on the bond",
            )
        if parent.mac in out.tagged:
            raise _refuse(
                f"adapter {name} already carries VLAN {out.tagged[parent.mac]}: a plain adapter "
                "is tagged with one VLAN",
                vlan.name,
                hint="put the VLANs on a bond (a one-member bond will do)",
            )
        if parent.addresses or parent.dhcp4 or parent.dhcp6 or parent.routes:
            raise _refuse(
                f"adapter {name} cannot carry untagged addresses and VLAN {vlan.vlan_id}: the "
                "VlanID property tags all its traffic",
                vlan.name,
                hint="configure the VLAN only, or put it on a bond",
            )
        if self._vlan_property(name) is None:
            raise _refuse(
                f"adapter {name}'s driver has no VlanID advanced property",
                vlan.name,
                hint="use a driver with VLAN support, or put the VLAN on a bond",
            )
        out.tagged[parent.mac] = int(vlan.vlan_id or 0)
        mtu = vlan.mtu if vlan.mtu is not None else parent.mtu
        out.targets.append((replace(vlan, mtu=mtu), name))

    # -- changes -------------------------------------------------------------------------

    def remove(self, cls: str, name: str) -> bool:
        """Remove a team (``MSFT_NetLbfoTeam``: its interfaces go, its members are freed) or
        a VLAN interface (``MSFT_NetLbfoTeamNic``); False when there is none."""
        row = self._rows(cls).get(name.lower())
        if row is None or row.get("Primary"):
            return False
        self.wmi.delete(NS, row.path)
        log.info("removed class=%s name=%s", cls, name)
        return True

    def _team_members(self, team: str) -> dict[str, WmiObject]:
        return {
            k: r
            for k, r in self._rows("MSFT_NetLbfoTeamMember").items()
            if str(r.get("Team")).lower() == team.lower()
        }

    def shrink(self, plan: TeamPlan) -> bool:
        """First pass over a planned team that exists: members it no longer has leave it
        (free for another team); a team that keeps none of them is removed (and created
        again by ``ensure_team``)."""
        if plan.name.lower() not in self._rows("MSFT_NetLbfoTeam"):
            return False
        current = self._team_members(plan.name)
        wanted = {m.lower() for m in plan.members}
        if not wanted & set(current):
            return self.remove("MSFT_NetLbfoTeam", plan.name)
        for key, row in current.items():
            if key not in wanted:
                self.wmi.delete(NS, row.path)
                log.info("team member removed team=%s adapter=%s", plan.name, key)
        return bool(set(current) - wanted)

    def ensure_team(self, plan: TeamPlan) -> bool:
        """Create the team, or bring its mode, algorithm and members in line (after
        ``shrink``); the standby member is set last."""
        team = self._rows("MSFT_NetLbfoTeam").get(plan.name.lower())
        changed = False
        if team is None:
            self.wmi.create(
                NS,
                "MSFT_NetLbfoTeam",
                {
                    "Name": plan.name,
                    "TeamingMode": plan.mode,
                    "LoadBalancingAlgorithm": plan.algorithm,
                },
                {"TeamMembers": plan.members[:1], "TeamNicName": plan.name},
            )
            log.info("team created name=%s mode=%d", plan.name, plan.mode)
            changed = True
        else:
            wanted = {"TeamingMode": plan.mode, "LoadBalancingAlgorithm": plan.algorithm}
            wanted = {k: v for k, v in wanted.items() if team.get(k) != v}
            if wanted:
                self.wmi.put(NS, team.path, wanted)
                changed = True
        return self._members(plan) or changed

    def _members(self, plan: TeamPlan) -> bool:
        changed = False
        current = self._team_members(plan.name)
        for name in plan.members:
            row = current.get(name.lower())
            if row is None:
                self.wmi.create(
                    NS,
                    "MSFT_NetLbfoTeamMember",
                    {"Team": plan.name, "AdministrativeMode": ACTIVE},
                    {"Name": name},
                )
                changed = True
            elif row.get("AdministrativeMode") == STANDBY and name != plan.standby:
                self.wmi.put(NS, row.path, {"AdministrativeMode": ACTIVE})
                changed = True
        if plan.standby:
            row = self._rows("MSFT_NetLbfoTeamMember")[plan.standby.lower()]
            if row.get("AdministrativeMode") != STANDBY:
                self.wmi.put(NS, row.path, {"AdministrativeMode": STANDBY})
                changed = True
        return changed

    def ensure_team_nic(self, name: str, team: str, vlan_id: int) -> bool:
        row = self.team_nics().get(name.lower())
        if row is not None:
            same = str(row.get("Team")).lower() == team.lower() and row.get("VlanID") == vlan_id
            if same:
                return False
            self.wmi.delete(NS, row.path)  # a new id or team: a new interface
        self.wmi.create(NS, "MSFT_NetLbfoTeamNic", {"Team": team, "Name": name, "VlanID": vlan_id})
        log.info("team interface created name=%s team=%s vlan=%d", name, team, vlan_id)
        return True

    def set_vlan(self, adapter: str, vlan_id: int) -> bool:
        """The adapter's VlanID advanced property (0: untagged); False when already so."""
        row = self._vlan_property(adapter)
        if row is None:
            return False
        wanted = (str(vlan_id),)
        if tuple(row.get("RegistryValue") or ()) == wanted:
            return False
        self.wmi.put(NS, row.path, {"RegistryValue": wanted})
        log.info("adapter VLAN set adapter=%s vlan=%d", adapter, vlan_id)
        return True
