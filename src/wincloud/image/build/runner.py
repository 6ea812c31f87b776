"""Run one ``BootPlan`` under QEMU and follow it to a verdict.

QEMU starts paused; we connect QMP and the serial socket, then ``cont``. Until the first guest
reset or marker (bounded by ``plan.key_window``) a key is pressed every ``key_interval`` seconds
to pass "Press any key to boot from CD or DVD"; after that a key would restart Setup from the CD.
The serial stream feeds the StageMonitor; QMP SHUTDOWN or QEMU's own exit is the power-off. On
failure the screen is saved (PNG with pillow, else PPM) with the serial log, and QEMU is stopped.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Final

from wincloud.errors import ImageError
from wincloud.image.build import _spawn
from wincloud.image.build.monitor import StageMonitor, Verdict
from wincloud.image.build.plan import QEMU, BootPlan, Sockets, qemu_argv
from wincloud.image.build.progress import NullProgress, Progress
from wincloud.image.build.qmp import QmpClient, QmpError, connect_unix
from wincloud.image.outfile import replacing

log = logging.getLogger(__name__)

CONNECT_TIMEOUT: Final = 15.0
EXIT_TIMEOUT: Final = 60.0
"""How long QEMU may take to exit after the guest's power-off (it flushes the disk)."""
POLL: Final = 0.25
MAX_ROUNDS: Final = 100_000_000


@dataclass
class BuildResult:
    verdict: Verdict
    elapsed: float
    stages: list[tuple[str, float]] = field(default_factory=list)
    """(stage, seconds after start) in the order entered."""
    last_lines: list[str] = field(default_factory=list)
    serial_log: Path | None = None
    screenshot: Path | None = None
    screenshots: list[Path] = field(default_factory=list)


def run_plan(
    plan: BootPlan,
    *,
    work: Path,
    artefacts: Path | None = None,
    progress: Progress | None = None,
    stage_screenshots: bool = False,
    qemu: str = QEMU,
    clock: Callable[[], float] = time.monotonic,
) -> BuildResult:
    """Boot ``plan`` and return its verdict; QEMU and swtpm are gone when this returns.
    Failure artefacts (screenshot, serial log) go to ``artefacts`` (default: ``work``)."""
    progress = progress or NullProgress()
    artefacts = artefacts or work
    work.mkdir(parents=True, exist_ok=True)
    with _socket_dir() as sock_dir, contextlib.ExitStack() as stack:
        sockets = Sockets(
            qmp=sock_dir / "qmp",
            serial=sock_dir / "serial",
            vars=work / "OVMF_VARS.fd" if plan.firmware.kind == "uefi" else None,
            tpm=sock_dir / "tpm" if plan.tpm else None,
        )
        if sockets.vars is not None and plan.firmware.vars_template is not None:
            shutil.copyfile(plan.firmware.vars_template, sockets.vars)
        if sockets.tpm is not None:
            try:
                swtpm = _start_swtpm(work, sockets.tpm)
            except ImageError as exc:
                kept = _keep_log(work / "swtpm.log", artefacts / f"{plan.name}-swtpm.log")
                raise ImageError(exc.message, subject=str(kept), hint=exc.hint) from exc
            stack.callback(swtpm.stop, grace=5.0)
        proc = _spawn.Process(qemu_argv(plan, sockets, qemu=qemu), log=work / "qemu.log")
        stack.callback(proc.stop, grace=10.0)
        alive = lambda: proc.poll() is None  # noqa: E731
        try:
            qmp = QmpClient.connect(sockets.qmp, timeout=CONNECT_TIMEOUT, alive=alive)
            stack.callback(qmp.close)
            serial = connect_unix(sockets.serial, timeout=CONNECT_TIMEOUT, alive=alive)
            stack.callback(serial.close)
        except ImageError as exc:
            # the work folder goes away with the build: keep QEMU's log with the artefacts
            kept = _keep_log(proc.log, artefacts / f"{plan.name}-qemu.log")
            raise ImageError(
                f"QEMU did not start ({proc.log_tail(3) or exc.message})",
                subject=str(kept),
                hint="the log names QEMU's complaint (build.memory_mib, build.cpus, firmware)",
            ) from exc
        follower = _Follower(plan, proc, qmp, serial, work, artefacts, progress, clock)
        follower.stage_screenshots = stage_screenshots
        qmp.execute("cont")
        return follower.run()


class _Follower:
    def __init__(
        self,
        plan: BootPlan,
        proc: _spawn.Process,
        qmp: QmpClient,
        serial: socket.socket,
        work: Path,
        artefacts: Path,
        progress: Progress,
        clock: Callable[[], float],
    ) -> None:
        self.plan, self.proc, self.qmp, self.serial = plan, proc, qmp, serial
        self.work, self.artefacts, self.progress, self.clock = work, artefacts, progress, clock
        self.start = clock()
        self.monitor = StageMonitor(plan.timeouts, now=self.start)
        self.serial_log = work / "serial.log"
        self.keys_on = bool(plan.boot_keys) and plan.key_window > 0
        self.next_key = self.start
        self.shutdown = False
        self.stage_screenshots = False
        self.screenshots: list[Path] = []

    def run(self) -> BuildResult:
        limit = self.start + sum(self.plan.timeouts.values()) + 60.0
        selector = selectors.DefaultSelector()
        selector.register(self.serial, selectors.EVENT_READ, "serial")
        selector.register(self.qmp, selectors.EVENT_READ, "qmp")
        verdict: Verdict | None = None
        with self.serial_log.open("ab") as sink:
            for _ in range(MAX_ROUNDS):
                for key, _events in selector.select(timeout=POLL):
                    if key.data == "serial":
                        self._read_serial(selector, sink)
                    elif not self.qmp.pump():
                        selector.unregister(self.qmp)
                now = self.clock()
                verdict = self._judge(now, selector, sink)
                if verdict is not None:
                    break
                if now >= limit:
                    verdict = self.monitor.qemu_failed("the overall time limit passed")
                    break
                self._press_keys(now)
                self.progress.tick(
                    stage=self.monitor.stage,
                    elapsed=now - self.start,
                    in_stage=now - self.monitor.entered,
                    limit=self.plan.timeouts[self.monitor.stage],
                )
        selector.close()
        assert verdict is not None
        return self._finish(verdict)

    def _read_serial(self, selector: selectors.BaseSelector, sink: BinaryIO) -> None:
        try:
            data = self.serial.recv(65536)
        except OSError:
            data = b""
        if not data:
            selector.unregister(self.serial)
            return
        sink.write(data)
        sink.flush()
        now = self.clock()
        for stage in self.monitor.feed(data.decode("ascii", "replace"), now=now):
            log.info("build stage name=%s after_s=%.1f", stage, now - self.start)
            self.progress.stage(stage, elapsed=now - self.start, limit=self.plan.timeouts[stage])
            if self.stage_screenshots:
                shot = self._screenshot(f"{self.plan.name}-{stage}")
                if shot is not None:
                    self.screenshots.append(shot)

    def _judge(
        self, now: float, selector: selectors.BaseSelector, sink: BinaryIO
    ) -> Verdict | None:
        for event in self.qmp.take_events():
            name = event.get("event")
            if name == "SHUTDOWN":
                self.shutdown = True
            elif name == "RESET" and self.keys_on:
                log.info("guest reset: no more boot keys")
                self.keys_on = False
            elif name == "BLOCK_IO_ERROR" and event.get("data", {}).get("action") == "stop":
                # QEMU paused the guest (a full host file system): it would wait for its
                # stage timeout, up to an hour, without a word
                return self.monitor.qemu_failed(_io_error(event.get("data", {})))
        returncode = self.proc.poll()
        if self.shutdown or returncode is not None:
            self._drain(selector, sink)
            if returncode not in (None, 0) and not self.shutdown:
                detail = f"QEMU exited with status {returncode}: {self.proc.log_tail(3)}"
                return self.monitor.qemu_failed(detail)
            return self.monitor.powered_off(now=self.clock())
        return self.monitor.check(now=now)

    def _drain(self, selector: selectors.BaseSelector, sink: BinaryIO) -> None:
        """Read what the guest wrote before it powered off (bounded: one second)."""
        deadline = self.clock() + 1.0
        for _ in range(1000):
            if self.serial not in [k.fileobj for k in selector.get_map().values()]:
                return
            left = deadline - self.clock()
            if left <= 0 or not selector.select(timeout=min(left, 0.1)):
                return
            self._read_serial(selector, sink)

    def _press_keys(self, now: float) -> None:
        if not self.keys_on:
            return
        if self.monitor.seen_marker or now - self.start > self.plan.key_window:
            self.keys_on = False
            return
        if now >= self.next_key:
            self.next_key = now + self.plan.key_interval
            try:
                self.qmp.send_key(*self.plan.boot_keys)
            except QmpError as exc:
                log.warning("send-key failed: %s", exc)

    def _finish(self, verdict: Verdict) -> BuildResult:
        elapsed = self.clock() - self.start
        result = BuildResult(
            verdict=verdict,
            elapsed=elapsed,
            stages=[(name, at - self.start) for name, at in self.monitor.history[1:]],
            last_lines=list(self.monitor.last_lines),
            serial_log=self.serial_log,
            screenshots=self.screenshots,
        )
        if verdict.ok:
            if self.proc.wait(EXIT_TIMEOUT) is None:
                log.warning("QEMU still running %s s after power-off; stopping it", EXIT_TIMEOUT)
            self.progress.finish("the guest powered off after sysprep", elapsed=elapsed)
            return result
        if self.proc.poll() is None:
            result.screenshot = self._screenshot(f"{self.plan.name}-failure")
            with contextlib.suppress(ImageError):
                self.qmp.execute("quit", timeout=5.0)
            self.proc.wait(10.0)
        self.artefacts.mkdir(parents=True, exist_ok=True)
        result.serial_log = _keep_log(
            self.serial_log, self.artefacts / f"{self.plan.name}-serial.log"
        )
        self.progress.finish(f"failed: {verdict.describe()}", elapsed=elapsed)
        return result

    def _screenshot(self, stem: str) -> Path | None:
        raw = self.work / f"{stem}.ppm"
        try:
            self.qmp.screendump(raw)
        except ImageError as exc:
            log.warning("screendump failed: %s", exc)
            return None
        try:
            self.artefacts.mkdir(parents=True, exist_ok=True)
            return save_screenshot(raw, self.artefacts / stem)
        except (ImageError, OSError) as exc:  # an artefact: never worth failing the build for
            log.warning("cannot save the screenshot %s: %s", stem, exc)
            return None


def _io_error(data: dict[str, object]) -> str:
    what = f"{data.get('operation', 'I/O')} error on {data.get('device') or data.get('node-name')}"
    if data.get("nospace"):
        return f"the host file system of the disk image is full ({what}; QEMU paused the guest)"
    return f"{what}: {data.get('reason', 'unknown')} (QEMU paused the guest)"


def _keep_log(log_file: Path, target: Path) -> Path:
    if target == log_file:
        return log_file
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with log_file.open("rb") as source, replacing(target, what="log") as sink:
            shutil.copyfileobj(source, sink)  # streamed: a chatty guest's log may be large
    except (OSError, ImageError) as exc:
        log.warning("cannot keep %s: %s", log_file, exc)
        return log_file
    return target


def save_screenshot(ppm: Path, stem: Path) -> Path:
    """``stem``.png when pillow is installed, else ``stem``.ppm; written whole or not at all
    (an earlier build's screenshot is never left half-overwritten)."""
    try:
        from PIL import Image
    except ImportError:
        target = stem.with_suffix(".ppm")
        if target != ppm:
            with ppm.open("rb") as source, replacing(target, what="screenshot") as sink:
                shutil.copyfileobj(source, sink)
        return target
    target = stem.with_suffix(".png")
    with Image.open(ppm) as image, replacing(target, what="screenshot") as sink:
        image.save(sink, format="PNG")
    return target


def _start_swtpm(work: Path, sock: Path) -> _spawn.Process:
    state = work / "tpm"
    state.mkdir(exist_ok=True)
    argv = [
        "swtpm",
        "socket",
        "--tpm2",
        "--tpmstate",
        f"dir={state}",
        "--ctrl",
        f"type=unixio,path={sock}",
        "--terminate",
    ]
    proc = _spawn.Process(argv, log=work / "swtpm.log")
    deadline = time.monotonic() + 10.0
    for _ in range(200):
        if sock.exists():
            return proc
        if proc.poll() is not None or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    proc.stop(grace=2.0)
    raise ImageError(f"swtpm did not start ({proc.log_tail(3)})", subject=str(proc.log))


@contextlib.contextmanager
def _socket_dir() -> Iterator[Path]:
    """A short private folder for unix sockets (their paths are limited to 107 bytes)."""
    with tempfile.TemporaryDirectory(prefix="wc-", dir="/tmp") as tmp:
        yield Path(tmp)
