"""``wincloud image build``: install Windows under QEMU from a spec and follow the guest.

plan (spec -> BootPlan -> QEMU argv, pure), qmp (our QMP client), monitor (stage markers ->
verdict, pure), accel (KVM probe), runner (QEMU, swtpm, serial, keys, screenshots), progress,
pipeline (disk, answer CD, rename on success). ``_spawn`` is the only module starting programs.
"""

from wincloud.image.build.monitor import StageMonitor, Verdict
from wincloud.image.build.pipeline import BuildFailed, BuildOptions, build_image
from wincloud.image.build.plan import BootPlan, plan_from_spec, qemu_argv
from wincloud.image.build.runner import BuildResult, run_plan

__all__ = [
    "BootPlan",
    "BuildFailed",
    "BuildOptions",
    "BuildResult",
    "StageMonitor",
    "Verdict",
    "build_image",
    "plan_from_spec",
    "qemu_argv",
    "run_plan",
]
