"""The rules the fake Hyper-V host enforces, each with where it comes from.

``source`` is the Microsoft documentation page that states the rule (``verified`` means
"documented on that page", checked by reading it on 2026-12-03 - not "observed on a host":
nothing here ran on Windows), or ``UNVERIFIED``: our reading of how Hyper-V behaves, or a
restriction wincloud adds on purpose. ``see`` then names the page to check it against. A real
host (a recorded contract run) is what retires an unverified rule. Errors raised under a rule
carry ``rule <id> (<source>)`` in ``detail`` so a failing test points here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

UNVERIFIED: Final = "unverified"
_PS = "https://learn.microsoft.com/en-us/powershell/module/hyper-v/"
_PLAN = "https://learn.microsoft.com/en-us/windows-server/virtualization/hyper-v/plan/"


@dataclass(frozen=True)
class Rule:
    id: str
    text: str
    source: str  # a learn.microsoft.com URL that states the rule, or UNVERIFIED
    see: str = ""  # for an unverified rule: where to check it

    @property
    def verified(self) -> bool:
        return self.source != UNVERIFIED


def _u(rule_id: str, text: str, see: str = "") -> Rule:
    return Rule(rule_id, text, UNVERIFIED, see)


_ALL: tuple[Rule, ...] = (
    # ---- VMs ----
    _u(
        "vm.name-unique",
        "a VM name is used once per host (Hyper-V allows duplicates; wincloud "
        "addresses VMs by name, so it refuses them)",
    ),
    _u("vm.generation", "a VM is generation 1 or 2", _PS + "new-vm"),
    _u(
        "vm.secure-boot-gen2",
        "Secure Boot exists only on generation 2 (UEFI) VMs",
        _PS + "set-vmfirmware",
    ),
    _u(
        "vm.remove-off",
        "wincloud removes a VM only when it is off (running, paused or saved VMs are refused)",
        _PS + "remove-vm",
    ),
    Rule(
        "vm.remove-keeps-disks",
        "Remove-VM deletes the configuration, not the virtual hard "
        "disks; its checkpoints are merged into the disks",
        _PS + "remove-vm",
    ),
    _u("vm.start-memory", "a VM starts only if its startup memory fits in the host's free memory"),
    _u(
        "vm.start-from",
        "Start-VM starts an off or saved VM (a saved VM is restored); starting a "
        "running VM changes nothing; a paused VM is resumed with Resume-VM",
        _PS + "start-vm",
    ),
    _u(
        "vm.start-disks",
        "a VM whose attached disk (or a parent in its chain) is missing or "
        "merged away does not start",
    ),
    _u(
        "vm.turnoff",
        "Stop-VM -TurnOff powers a running or paused VM off like pulling the plug; "
        "a saved VM's state is discarded (Remove-VMSavedState)",
        _PS + "stop-vm",
    ),
    _u(
        "vm.shutdown",
        "Stop-VM without -TurnOff asks the guest OS to shut down (shutdown "
        "integration service); a running VM only; a guest that ignores it times out",
        _PS + "stop-vm",
    ),
    Rule(
        "vm.save",
        "Save-VM saves a VM, like hibernating a computer (wincloud: from running or paused)",
        _PS + "save-vm",
    ),
    Rule(
        "vm.pause",
        "Suspend-VM suspends (pauses) a running VM; Resume-VM returns it to running",
        _PS + "suspend-vm",
    ),
    Rule("vm.resume", "Resume-VM resumes a suspended (paused) VM", _PS + "resume-vm"),
    _u(
        "vm.reset", "Restart-VM -Force resets a running VM; uptime starts again", _PS + "restart-vm"
    ),
    # ---- drives ----
    _u(
        "disk.gen2-no-ide",
        "generation 2 VMs have no IDE controller (SCSI only, DVD too)",
        _PLAN + "should-i-create-a-generation-1-or-2-virtual-machine-in-hyper-v",
    ),
    _u(
        "disk.gen1-dvd-ide",
        "generation 1 VMs take DVD drives on IDE; wincloud refuses a SCSI DVD there",
    ),
    _u(
        "disk.ide-slots",
        "IDE: 2 controllers x 2 locations; SCSI: 4 controllers x 64 locations",
        _PLAN + "plan-for-hyper-v-scalability-in-windows-server",
    ),
    _u(
        "disk.ide-offline",
        "IDE drives are added or removed only while the VM is off; SCSI "
        "disks may be hot-added and removed",
    ),
    _u("disk.path-exists", "an attached disk or ISO must exist"),
    _u("disk.attached-once", "a file is attached to one drive of one VM at a time (wincloud)"),
    _u(
        "disk.no-parent-attach",
        "a virtual disk that is the parent of another disk is not "
        "attached writable (its children would become invalid)",
    ),
    # ---- NICs ----
    _u("nic.name-unique", "a NIC name is used once per VM (wincloud; Hyper-V allows duplicates)"),
    _u(
        "nic.hot-add-gen2",
        "network adapters are hot-added/removed on running generation 2 VMs only",
    ),
    _u(
        "nic.switch-exists",
        "a NIC connects only to an existing virtual switch",
        _PS + "connect-vmnetworkadapter",
    ),
    _u("nic.vlan-range", "an access VLAN id is 1..4094", _PS + "set-vmnetworkadaptervlan"),
    _u(
        "nic.mac",
        "a static MAC is 12 hex digits, unicast; dynamic MACs come from the host's "
        "pool (00:15:5d prefix by default)",
    ),
    # ---- virtual disks ----
    Rule(
        "vhd.extension",
        "New-VHD picks the format from the file extension (.vhd or .vhdx)",
        _PS + "new-vhd",
    ),
    _u(
        "vhd.max-size",
        "a VHD holds at most 2040 GiB, a VHDX at most 64 TiB",
        _PLAN + "plan-for-hyper-v-scalability-in-windows-server",
    ),
    _u("vhd.size-multiple", "a virtual size is a positive multiple of 512 bytes (VHDX: of 1 MiB)"),
    _u("vhd.exists", "New-VHD does not overwrite an existing file"),
    _u("vhd.diff-parent", "a differencing disk's parent must exist and have the same format"),
    Rule(
        "vhd.grow-only",
        "Resize-VHD expands VHD and VHDX but shrinks only VHDX, never below "
        "its minimum size (wincloud refuses every shrink)",
        _PS + "resize-vhd",
    ),
    Rule(
        "vhd.resize-offline",
        "a disk on a running VM's IDE chain cannot be resized; on its SCSI chain it can",
        _PS + "resize-vhd",
    ),
    Rule(
        "vhd.merge-offline",
        "Merge is an offline operation: the chain must not be attached "
        "(in use by a running VM) when the merge starts",
        _PS + "merge-vhd",
    ),
    Rule(
        "vhd.merge-ancestor",
        "Merge-VHD merges a child into an ancestor in its chain; the "
        "merged children are not deleted but are no longer valid disks",
        _PS + "merge-vhd",
    ),
    Rule(
        "vhd.merge-siblings",
        "merging into a parent makes the other differencing disks that "
        "depend on it invalid: wincloud refuses such a merge",
        "https://learn.microsoft.com/en-us/windows-server/administration/windows-commands/"
        "merge-vdisk",
    ),
    _u(
        "vhd.set-parent",
        "Set-VHD -ParentPath points a differencing disk at a new parent; the new parent must "
        "have the old parent's format and virtual size (disk identity is not modelled)",
        _PS + "set-vhd",
    ),
    _u(
        "vhd.parent-remove",
        "a virtual disk with children is not removed (wincloud: Windows "
        "would delete it and orphan the children)",
    ),
    # ---- files ----
    _u(
        "file.in-use",
        "a file attached to a running, paused or saving VM (or a parent in its "
        "chain) is open and cannot be removed or replaced",
    ),
    _u("file.parent-dir", "a file is created only in an existing directory"),
    _u("file.disk-space", "writes fail when the volume is full"),
    # ---- console ----
    _u("com.ports", "a VM has COM1 and COM2; a port is set to a named pipe", _PS + "set-vmcomport"),
    _u("com.set-off", "COM ports are changed only while the VM is off"),
    _u(
        "com.log",
        "the console log holds what the guest wrote to COM1 while it ran and a reader "
        "drained the pipe; it is kept across restarts",
    ),
    # ---- checkpoints ----
    _u(
        "ckpt.avhdx",
        "a checkpoint redirects each hard disk to a new differencing child "
        "(.avhdx/.avhd) next to it; the parent is read-only from then on",
        "https://learn.microsoft.com/en-us/virtualization/hyper-v-on-windows/user-guide/"
        "checkpoints",
    ),
    _u(
        "ckpt.remove-merges",
        "removing a checkpoint merges its differencing disks back",
        _PS + "remove-vmsnapshot",
    ),
    _u("ckpt.name-unique", "a checkpoint name is used once per VM (wincloud)"),
)

RULES: Final[dict[str, Rule]] = {r.id: r for r in _ALL}


def cite(rule_id: str) -> str:
    """``"rule <id> (<source>)"`` for an error's detail; KeyError on an unknown id (a bug)."""
    rule = RULES[rule_id]
    return f"rule {rule.id} ({rule.source})"
