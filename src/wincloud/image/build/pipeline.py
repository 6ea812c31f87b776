"""``wincloud image build``: spec -> answer CD -> QEMU install -> generalized disk image.

The disk is written as ``<out>.partial`` and renamed to ``<out>`` only on success; on failure it
is deleted unless asked to keep it. A ``<out>.partial`` that exists when a build starts (kept
for a post-mortem) is never replaced unless asked (``discard_partial``). A failure is one
BuildFailed error naming the stage, what happened, and where the screenshot and serial log are.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from wincloud.errors import ImageError
from wincloud.image.build import _spawn
from wincloud.image.build.accel import choose_accel
from wincloud.image.build.monitor import Verdict
from wincloud.image.build.plan import BootPlan, check_buildable, plan_from_spec
from wincloud.image.build.progress import NullProgress, Progress
from wincloud.image.build.runner import BuildResult, run_plan

if TYPE_CHECKING:
    from wincloud.image.spec import ImageSpec

log = logging.getLogger(__name__)


class BuildFailed(ImageError):
    """The guest did not finish: an error marker, a stage timeout, an early power-off."""

    def __init__(self, result: BuildResult, *, out: Path, disk_kept: Path | None) -> None:
        verdict = result.verdict
        parts = []
        if result.screenshot is not None:
            parts.append(f"screenshot {result.screenshot}")
        if result.serial_log is not None:
            parts.append(f"serial log {result.serial_log}")
        if result.last_lines:
            parts.append(f"last serial line {result.last_lines[-1][:160]!r}")
        parts.append(
            f"disk kept at {disk_kept}" if disk_kept else "rerun with --keep-disk to keep the disk"
        )
        super().__init__(
            f"build failed: {verdict.describe()}", subject=str(out), hint="; ".join(parts)
        )
        self.result = result
        self.verdict: Verdict = verdict
        self.disk_kept = disk_kept


@dataclass(frozen=True)
class BuildOptions:
    accel: Literal["auto", "kvm", "tcg"] | None = None
    """None: the spec's build.accel."""
    keep_disk: bool | None = None
    """None: the spec's build.keep_disk_on_failure."""
    screenshot_dir: Path | None = None
    """Failure artefacts and a screenshot per stage; default: next to the output."""
    discard_partial: bool = False
    """Replace a ``<out>.partial`` left by an earlier build (refused otherwise)."""


def create_disk(path: Path, size_gib: int) -> None:
    done = _spawn.run(
        ["qemu-img", "create", "-q", "-f", "qcow2", str(path), f"{size_gib}G"], timeout=60.0
    )
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip()
        raise ImageError(f"qemu-img create failed ({err})", subject=str(path))


def build_image(
    spec: ImageSpec,
    out: Path,
    *,
    options: BuildOptions | None = None,
    progress: Progress | None = None,
    adjust_plan: Callable[[BootPlan], BootPlan] | None = None,
) -> BuildResult:
    """Install Windows from ``spec`` into ``out`` (qcow2); BuildFailed when the guest fails.
    ``adjust_plan`` changes the plan before it runs (the tests boot a fake guest with it)."""
    from wincloud.image.media import build_media, check_output, refuse_inputs

    options = options or BuildOptions()
    check_buildable(spec)
    spec.require_files()
    # Before QEMU runs for hours: the rename onto --out and the artefacts must be possible.
    partial = out.with_name(out.name + ".partial")
    check_output(out, "disk image")
    refuse_inputs(out, spec, "disk image")
    check_output(partial, "partial disk")
    refuse_inputs(partial, spec, "partial disk")
    in_the_way = partial.is_symlink() or partial.exists()
    if in_the_way and not options.discard_partial:
        raise ImageError(
            "a partial disk from an earlier build is in the way (kept for debugging with "
            "--keep-disk, or left by a build that was killed)",
            subject=str(partial),
            hint="move or delete it, or pass --discard-partial to let this build replace it",
        )
    if options.screenshot_dir is not None:
        shots = options.screenshot_dir.absolute()
        if shots in (out.absolute(), partial.absolute()):
            # the folder made there would have stopped the final rename after the install
            raise ImageError(
                "--screenshot-dir is the path of the disk image",
                subject=str(options.screenshot_dir),
                hint="give --screenshot-dir a folder of its own",
            )
        _check_folder(options.screenshot_dir)
    keep = spec.build.keep_disk_on_failure if options.keep_disk is None else options.keep_disk
    accel = choose_accel(options.accel or spec.build.accel)
    log.info("building image name=%s accel=%s out=%s", spec.image.name, accel, out)
    with tempfile.TemporaryDirectory(prefix=f"wincloud-build-{spec.image.name}-") as tmp:
        work = Path(tmp)
        answer_cd = work / "answer.iso"
        build_media(spec, answer_cd)
        plan = plan_from_spec(spec, accel=accel, disk=partial, answer_cd=answer_cd)
        if adjust_plan is not None:
            plan = adjust_plan(plan)
        try:
            # the old file goes first: qemu-img would write through a link at this path
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
            create_disk(partial, spec.disk.size_gib)
        except BaseException:  # not a disk worth keeping, and it would block the next build
            _drop(partial, keep=False)
            raise
        try:
            result = run_plan(
                plan,
                work=work,
                artefacts=options.screenshot_dir or out.parent,
                progress=progress or NullProgress(),
                stage_screenshots=options.screenshot_dir is not None,
            )
        except BaseException as exc:
            if _drop(partial, keep=keep):
                why = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
                log.warning("build %s; partial disk kept at %s", why, partial)
            raise
    if not result.verdict.ok:
        raise BuildFailed(result, out=out, disk_kept=partial if _drop(partial, keep=keep) else None)
    try:
        partial.replace(out)
    except OSError as exc:  # --out became a folder, or its folder went away, during the build
        raise ImageError(
            f"the image is built but cannot be renamed onto the output ({exc.strerror})",
            subject=str(out),
            hint=f"the finished disk is {partial}: move it where it should go",
        ) from None
    return result


def _check_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImageError(
            f"cannot use the screenshot folder ({exc.strerror})",
            subject=str(folder),
            hint="give --screenshot-dir a folder (it is created when missing)",
        ) from None


def _drop(disk: Path, *, keep: bool) -> bool:
    """Delete the partial disk unless ``keep``; True when it is still there."""
    if keep:
        return disk.exists()
    with contextlib.suppress(FileNotFoundError):
        disk.unlink()
    return False
