"""The rules the fake Hyper-V host enforces, each with where it comes from.

``source`` is a Microsoft documentation page when the page states the rule (``verified`` means
"documented", not "observed on a host": nothing here ran on Windows), or ``UNVERIFIED`` when the
rule is our reading of how Hyper-V behaves or a restriction wincloud adds on purpose. A real host
(a recorded contract run) is what retires an unverified rule. Errors raised under a rule carry its
id in ``detail`` so a failing test points here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

UNVERIFIED: Final = "unverified"
_PS = "https://learn.microsoft.com/en-us/powershell/module/hyper-v/"


@dataclass(frozen=True)
class Rule:
    id: str
    text: str
    source: str  # a learn.microsoft.com URL, or UNVERIFIED

    @property
    def verified(self) -> bool:
        return self.source != UNVERIFIED


_ALL: tuple[Rule, ...] = (
    # ---- VMs ----
    Rule(
        "vm.name-unique",
        "a VM name is used once per host (Hyper-V allows duplicates; wincloud "
        "addresses VMs by name, so it refuses them)",
        UNVERIFIED,
    ),
    Rule("vm.generation", "a VM is generation 1 or 2", _PS + "new-vm"),
    Rule(
        "vm.secure-boot-gen2",
        "Secure Boot exists only on generation 2 (UEFI) VMs",
        _PS + "set-vmfirmware",
    ),
    Rule(
        "vm.remove-off",
        "a VM is removed only when off (a running or saved VM is refused)",
        UNVERIFIED,
    ),
    Rule(
        "vm.remove-keeps-disks",
        "Remove-VM deletes the configuration, not the virtual hard "
        "disks; its checkpoints are merged into the disks",
        _PS + "remove-vm",
    ),
    Rule(
        "vm.start-memory",
        "a VM starts only if its startup memory fits in the host's free memory",
        UNVERIFIED,
    ),
    Rule(
        "vm.start-from",
        "Start-VM starts an off or saved VM (a saved VM is restored); starting "
        "a running VM changes nothing; a paused VM is resumed with Resume-VM",
        UNVERIFIED,
    ),
    Rule(
        "vm.start-disks",
        "a VM whose attached disk (or a parent in its chain) is missing does not start",
        UNVERIFIED,
    ),
    Rule(
        "vm.turnoff",
        "Stop-VM -TurnOff powers off a running or paused VM like pulling the plug; "
        "on a saved VM it discards the saved state",
        _PS + "stop-vm",
    ),
    Rule(
        "vm.shutdown",
        "Stop-VM without -TurnOff asks the guest OS to shut down through the "
        "shutdown integration service; a running VM only",
        _PS + "stop-vm",
    ),
    Rule(
        "vm.save",
        "Save-VM saves a running (or paused) VM's state and leaves it saved",
        _PS + "save-vm",
    ),
    Rule("vm.pause", "Suspend-VM pauses a running VM only", _PS + "suspend-vm"),
    Rule("vm.resume", "Resume-VM resumes a paused VM only", _PS + "resume-vm"),
    Rule(
        "vm.reset", "Restart-VM -Force resets a running VM; uptime starts again", _PS + "restart-vm"
    ),
    # ---- disks on VMs ----
    Rule(
        "disk.gen2-no-ide",
        "generation 2 VMs have no IDE controller (SCSI only, DVD too)",
        "https://learn.microsoft.com/en-us/windows-server/virtualization/hyper-v/plan/"
        "should-i-create-a-generation-1-or-2-virtual-machine-in-hyper-v",
    ),
    Rule(
        "disk.gen1-dvd-ide",
        "generation 1 VMs boot DVDs from IDE only; wincloud refuses a SCSI DVD on generation 1",
        UNVERIFIED,
    ),
    Rule(
        "disk.ide-slots",
        "IDE: 2 controllers x 2 locations; SCSI: 4 controllers x 64 locations",
        "https://learn.microsoft.com/en-us/windows-server/virtualization/hyper-v/plan/"
        "plan-for-hyper-v-scalability-in-windows-server",
    ),
    Rule(
        "disk.ide-offline",
        "IDE drives are added or removed only while the VM is off; SCSI "
        "disks may be hot-added and removed",
        UNVERIFIED,
    ),
    Rule("disk.path-exists", "an attached disk or ISO must exist", UNVERIFIED),
    Rule(
        "disk.attached-once",
        "a file is attached to one drive of one VM at a time (wincloud)",
        UNVERIFIED,
    ),
    Rule(
        "disk.no-parent-attach",
        "a virtual disk that is the parent of another disk is not "
        "attached writable (its children would become invalid)",
        UNVERIFIED,
    ),
    # ---- NICs ----
    Rule(
        "nic.name-unique",
        "a NIC name is used once per VM (wincloud; Hyper-V allows duplicates)",
        UNVERIFIED,
    ),
    Rule(
        "nic.hot-add-gen2",
        "network adapters are hot-added/removed on running generation 2 VMs only",
        "https://learn.microsoft.com/en-us/windows-server/virtualization/hyper-v/"
        "what-s-new-in-hyper-v-on-windows",
    ),
    Rule(
        "nic.switch-exists",
        "a NIC connects only to an existing virtual switch",
        _PS + "connect-vmnetworkadapter",
    ),
    Rule("nic.vlan-range", "an access VLAN id is 1..4094", _PS + "set-vmnetworkadapterVlan"),
    Rule(
        "nic.mac",
        "a static MAC is 12 hex digits, unicast; dynamic MACs come from the host's "
        "pool (00:15:5d prefix by default)",
        UNVERIFIED,
    ),
    # ---- virtual disks ----
    Rule(
        "vhd.extension",
        "New-VHD picks the format from the file extension (.vhd or .vhdx)",
        _PS + "new-vhd",
    ),
    Rule(
        "vhd.max-size",
        "a VHD holds at most 2040 GiB, a VHDX at most 64 TiB",
        "https://learn.microsoft.com/en-us/windows-server/virtualization/hyper-v/plan/"
        "plan-for-hyper-v-scalability-in-windows-server",
    ),
    Rule(
        "vhd.size-multiple",
        "a virtual size is a positive multiple of 512 bytes (VHDX: of 1 MiB)",
        UNVERIFIED,
    ),
    Rule("vhd.exists", "New-VHD does not overwrite an existing file", UNVERIFIED),
    Rule(
        "vhd.diff-parent",
        "a differencing disk's parent must exist and have the same format",
        UNVERIFIED,
    ),
    Rule(
        "vhd.grow-only",
        "Resize-VHD grows a disk; shrinking is refused (wincloud: Hyper-V can "
        "shrink a VHDX only to its minimum size)",
        _PS + "resize-vhd",
    ),
    Rule(
        "vhd.resize-offline",
        "a disk attached to a running VM is resized only if it is a VHDX on SCSI",
        _PS + "resize-vhd",
    ),
    Rule(
        "vhd.merge-offline",
        "Merge is an offline operation: the chain must not be attached to a running VM",
        _PS + "merge-vhd",
    ),
    Rule(
        "vhd.merge-ancestor",
        "Merge-VHD merges into an ancestor of the child (the parent by "
        "default); the merged children stay on disk but are no longer valid",
        _PS + "merge-vhd",
    ),
    Rule(
        "vhd.merge-siblings",
        "merging into a disk that has other children is refused: those "
        "children would become invalid",
        "https://learn.microsoft.com/en-us/windows-server/"
        "administration/windows-commands/merge-vdisk",
    ),
    Rule(
        "vhd.set-parent",
        "Set-VHD -ParentPath points a differencing disk at a new parent; the new parent "
        "must have the old parent's format and virtual size (wincloud: identity not modelled)",
        _PS + "set-vhd",
    ),
    Rule(
        "vhd.parent-remove",
        "a virtual disk with children is not removed (wincloud: Windows "
        "would delete it and orphan the children)",
        UNVERIFIED,
    ),
    # ---- files ----
    Rule(
        "file.in-use",
        "a file attached to a running, paused or saving VM (or a parent in its "
        "chain) is open and cannot be removed or replaced",
        UNVERIFIED,
    ),
    Rule("file.parent-dir", "a file is created only in an existing directory", UNVERIFIED),
    Rule("file.disk-space", "writes fail when the volume is full", UNVERIFIED),
    # ---- console ----
    Rule(
        "com.ports", "a VM has COM1 and COM2; a port is set to a named pipe", _PS + "set-vmcomport"
    ),
    Rule("com.set-off", "COM ports are changed only while the VM is off", UNVERIFIED),
    Rule(
        "com.log",
        "the console log holds what the guest wrote to COM1 while it ran; it is "
        "kept across restarts",
        UNVERIFIED,
    ),
    # ---- checkpoints ----
    Rule(
        "ckpt.avhdx",
        "a checkpoint redirects each hard disk to a new differencing child "
        "(.avhdx/.avhd) next to it; the parent becomes read-only",
        "https://learn.microsoft.com/en-us/virtualization/hyper-v-on-windows/user-guide/"
        "checkpoints",
    ),
    Rule(
        "ckpt.remove-merges",
        "removing a checkpoint merges its differencing disks back",
        _PS + "remove-vmsnapshot",
    ),
    Rule("ckpt.name-unique", "a checkpoint name is used once per VM (wincloud)", UNVERIFIED),
)

RULES: Final[dict[str, Rule]] = {r.id: r for r in _ALL}


def cite(rule_id: str) -> str:
    """``"rule <id> (<source>)"`` for an error's detail; KeyError on an unknown id (a bug)."""
    rule = RULES[rule_id]
    return f"rule {rule.id} ({rule.source})"
