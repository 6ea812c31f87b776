"""The fake host's iSCSI initiator and passthrough disks (the ``IscsiInitiator`` Protocol).

A login reaches another fake host's iSCSI Target Server through ``iscsi_reach`` (test hook: which
fake target server answers at a portal) and is refused the way a target refuses: unknown IQN,
an initiator not on the target's list, wrong CHAP, a LUN not mapped. Rules: ``INITIATOR_RULES``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from wincloud.errors import HostObjectNotFound, HostOperationFailed, PathInUse
from wincloud.hyperv.fake._devices import FakeDevices
from wincloud.hyperv.fake.rules import UNVERIFIED, Rule
from wincloud.hyperv.iscsi import IscsiSession
from wincloud.secret import Secret

if TYPE_CHECKING:
    from wincloud.hyperv.fake._iscsi import FakeIscsi

_PS = "https://learn.microsoft.com/en-us/powershell/module/"
INITIATOR_RULES: Final[dict[str, Rule]] = {
    r.id: r
    for r in (
        Rule(
            "initiator.chap",
            "Connect-IscsiTarget -AuthenticationType ONEWAYCHAP sends -ChapUsername/-ChapSecret",
            _PS + "iscsi/connect-iscsitarget",
        ),
        Rule(
            "initiator.acl",
            "a target lets in only the initiators in its InitiatorIds",
            _PS + "iscsitarget/set-iscsiservertarget",
        ),
        Rule(
            "initiator.offline",
            "a passthrough disk is offline on the host before it is added to a VM",
            UNVERIFIED,
            "https://learn.microsoft.com/en-us/windows-server/virtualization/hyper-v/"
            "deploy/attach-a-physical-disk",
        ),
        Rule(
            "initiator.disk-numbers",
            "disk 0 is the host's system disk; iSCSI disks get the next free numbers",
            UNVERIFIED,
        ),
    )
}


def _cite(rule_id: str) -> str:
    rule = INITIATOR_RULES[rule_id]
    return f"rule {rule.id} ({rule.source})"


@dataclass
class _Session:
    iqn: str
    portal: str
    disks: dict[int, int] = field(default_factory=dict)  # LUN -> disk number


@dataclass
class _InitiatorState:
    reach: dict[str, FakeIscsi] = field(default_factory=dict)  # portal -> target server
    sessions: dict[str, _Session] = field(default_factory=dict)  # casefolded IQN -> session
    next_disk: int = 1
    passthrough: dict[str, dict[int, int]] = field(default_factory=dict)  # vm -> disk -> location


class FakeIscsiInitiator(FakeDevices):
    hostname: str

    def _initiator(self) -> _InitiatorState:
        state: _InitiatorState | None = getattr(self, "_initiator_state", None)
        if state is None:
            state = _InitiatorState()
            self._initiator_state = state
        return state

    def iscsi_reach(self, portal: str, server: FakeIscsi) -> None:
        """Test hook: ``server``'s iSCSI Target Server answers at ``portal`` ("address:port")."""
        self._initiator().reach[portal] = server

    def _fail(
        self,
        cls: type[HostOperationFailed],
        message: str,
        cmdlet: str,
        rule: str = "",
        subject: str = "",
    ) -> HostOperationFailed:
        return cls(
            f"{cmdlet} failed on {self.name}: {message}",
            host=self.name,
            cmdlet=cmdlet,
            detail=_cite(rule) if rule else "",
            subject=subject or None,
        )

    # ---- Protocol ------------------------------------------------------------------------------
    def iscsi_initiator_name(self) -> str:
        return f"iqn.1991-05.com.microsoft:{self.hostname.lower()}"

    def iscsi_login(
        self, portal: str, target_iqn: str, lun: int, *, chap: tuple[str, Secret] | None = None
    ) -> int:
        cmdlet = "Connect-IscsiTarget"
        state = self._initiator()
        session = state.sessions.get(target_iqn.casefold())
        if session is None:
            server = state.reach.get(portal)
            if server is None:
                raise self._fail(
                    HostOperationFailed, "no target portal answers", cmdlet, subject=portal
                )
            target = next(
                (
                    t
                    for t in server._iscsi().targets.values()
                    if t.iqn.casefold() == target_iqn.casefold()
                ),
                None,
            )
            if target is None:
                raise self._fail(
                    HostObjectNotFound, "the portal has no such target", cmdlet, subject=target_iqn
                )
            me = f"IQN:{self.iscsi_initiator_name()}".casefold()
            if me not in {i.casefold() for i in target.initiators}:
                raise self._fail(
                    HostOperationFailed,
                    "the target does not allow this initiator",
                    cmdlet,
                    "initiator.acl",
                    target_iqn,
                )
            if target.chap_secret is not None and (
                chap is None or chap[0] != target.chap_user or chap[1] != target.chap_secret
            ):
                raise self._fail(
                    HostOperationFailed,
                    "authentication failure",
                    cmdlet,
                    "initiator.chap",
                    target_iqn,
                )
            session = _Session(target.iqn, portal)
            for number, disk_key in sorted(target.luns.items()):
                session.disks[number] = state.next_disk
                state.next_disk += 1
                del disk_key
            state.sessions[target_iqn.casefold()] = session
        disk = session.disks.get(lun)
        if disk is None:
            raise self._fail(
                HostObjectNotFound,
                f"the target presents no LUN {lun}",
                "Get-Disk",
                subject=target_iqn,
            )
        return disk

    def iscsi_logout(self, target_iqn: str) -> None:
        state = self._initiator()
        session = state.sessions.get(target_iqn.casefold())
        if session is None:
            return
        used = {d for disks in state.passthrough.values() for d in disks}
        if used & set(session.disks.values()):
            raise self._fail(
                PathInUse,
                "a disk of the session is attached to a VM",
                "Disconnect-IscsiTarget",
                subject=target_iqn,
            )
        del state.sessions[target_iqn.casefold()]

    def iscsi_sessions(self) -> list[IscsiSession]:
        return [
            IscsiSession(s.iqn, s.portal, tuple(sorted(s.disks.items())))
            for s in self._initiator().sessions.values()
        ]

    def attach_passthrough(self, vm: str, disk_number: int) -> int:
        cmdlet = "Add-VMHardDiskDrive"
        v = self._vm(vm, cmdlet)
        state = self._initiator()
        known = {d for s in state.sessions.values() for d in s.disks.values()}
        if disk_number not in known:
            raise self._fail(
                HostObjectNotFound,
                f"no offline disk {disk_number}",
                cmdlet,
                "initiator.offline",
                str(disk_number),
            )
        mine = state.passthrough.setdefault(v.name.casefold(), {})
        if disk_number in mine:
            return mine[disk_number]
        if any(disk_number in d for d in state.passthrough.values()):
            raise self._fail(
                PathInUse, "the disk is attached to another VM", cmdlet, subject=str(disk_number)
            )
        taken = {s.controller_number * 64 + s.location for s in v.slots if s.controller == "scsi"}
        taken |= set(mine.values())
        location = next(n for n in range(4 * 64) if n not in taken)
        mine[disk_number] = location
        return location

    def detach_passthrough(self, vm: str, disk_number: int) -> None:
        v = self._vm(vm, "Remove-VMHardDiskDrive")
        self._initiator().passthrough.get(v.name.casefold(), {}).pop(disk_number, None)

    def list_passthrough(self, vm: str) -> list[int]:
        v = self._vm(vm, "Get-VMHardDiskDrive")
        return sorted(self._initiator().passthrough.get(v.name.casefold(), {}))
