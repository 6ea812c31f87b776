"""Hyper-V spawn on the fake host, and the image transfer path's throughput.

1. Spawn: the Nova driver's host steps for one server (plan, image cache, VM with a
   differencing root resized to 20 GiB, one ephemeral, config drive, two NICs, power on), on
   wincloud's stateful FakeHost: the first spawn of an image (copies the image into the host's
   cache) and the following ones (cache hits), then destroy. Median and p95 of --runs.
2. Image copy: a --size-mib generated fixed VHD streamed in 8 MiB chunks, as Glance's chunk
   iterator would deliver it, through ImageCache.fetch into the fake host's file store (the
   same code path as spawn; no local copy on the compute node). MiB/s over --copies runs.
3. The same copy through PsrpHost to the localhost WinRM replay server (tests/unit/hyperv/replay:
   real HTTP, the PSRP/CLIXML encoding of every chunk, a FakeHost behind the wire), with
   --psrp-mib of data and --psrp-call-kib per host call (Set-Content batch): what the WinRM
   encoding costs before any network.

Nothing here ran on Windows: the figures describe our code and the fake, not Hyper-V.
Prints figures; asserts nothing.

    python bench/hyperv_spawn.py [--runs 30] [--size-mib 1024] [--copies 3] [--psrp-mib 64]
                                  [--psrp-call-kib 256 1024 4096]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from wincloud.hyperv.fake import FakeHost
from wincloud.hyperv.host import HyperVHost
from wincloud.hyperv.nova.imagecache import ImageCache
from wincloud.hyperv.nova.plan import DriverSettings, Flavor, ImageFacts, Nic, SpawnRequest, plan_vm
from wincloud.hyperv.nova.vmops import InstanceOps
from wincloud.hyperv.vhd import create_disk
from wincloud.hyperv.vhd.vhd_format import FIXED, NO_OFFSET, Footer, geometry

MIB = 1024 * 1024
CHUNK = 8 * MIB
SETTINGS = DriverSettings(vswitch="external", chunk_bytes=CHUNK, progress_every_bytes=1 << 40)


def small_vhdx() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "base.vhdx"
        create_disk(path, 16 * 1024 * MIB, fmt="vhdx")
        return path.read_bytes()


def fixed_vhd_chunks(size: int) -> Iterator[bytes]:
    """A fixed VHD of ``size`` data bytes (a non-zero pattern) and its footer, in CHUNK pieces."""
    block = (bytes(range(256)) * (CHUNK // 256))[:CHUNK]
    left = size
    while left > 0:
        n = min(CHUNK, left)
        yield block[:n]
        left -= n
    footer = Footer(FIXED, size, size, NO_OFFSET, uuid.uuid4(), geometry=geometry(size))
    yield footer.pack()


def spawn_once(ops: InstanceOps, cache: ImageCache, image: ImageFacts, data: bytes, n: int) -> None:
    request = SpawnRequest(
        name=f"instance-{n:08x}",
        instance_uuid=str(uuid.uuid4()),
        flavor=Flavor(vcpus=2, memory_mb=2048, root_gb=20, ephemeral_gb=10),
        image=image,
        nics=[Nic(f"port-{n}-a", "fa:16:3e:00:00:01"), Nic(f"port-{n}-b", "fa:16:3e:00:00:02")],
        config_drive=True,
    )
    plan = plan_vm(request, SETTINGS, ops.instances_path)
    with ops.removed_on_failure(plan.name):
        base, _ = cache.fetch(
            image,
            ops.instances_path,
            lambda: [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)],
        )
        ops.create_vm(plan, base)
        ops.attach_config_drive(plan, [b"\0" * 64 * 1024])
        ops.add_nics(plan)
        ops.power_on(plan.name)


def bench_spawn(runs: int) -> None:
    data = small_vhdx()
    image = ImageFacts(str(uuid.uuid4()), "vhdx", len(data))
    host = FakeHost(memory_mb_total=4 * 2048 * (runs + 2), disk_gb=100_000)
    ops = InstanceOps(host, SETTINGS)
    ops.check_host()
    cache = ImageCache(host, SETTINGS)
    started = time.perf_counter()
    spawn_once(ops, cache, image, data, 0)
    cold_ms = (time.perf_counter() - started) * 1000
    warm = []
    for n in range(1, runs + 1):
        t0 = time.perf_counter()
        spawn_once(ops, cache, image, data, n)
        warm.append((time.perf_counter() - t0) * 1000)
    destroy = []
    for vm in host.list_vms():
        t0 = time.perf_counter()
        ops.destroy(vm.name)
        destroy.append((time.perf_counter() - t0) * 1000)
    warm.sort()
    print(f"spawn on the fake host ({len(data) / MIB:.1f} MiB VHDX, 16 GiB virtual; {runs} runs)")
    print(f"  first spawn (image copied to the cache): {cold_ms:8.2f} ms")
    print(f"  spawn from the cache, median:            {statistics.median(warm):8.2f} ms")
    print(f"  spawn from the cache, p95:               {warm[int(0.95 * (len(warm) - 1))]:8.2f} ms")
    print(f"  destroy, median:                         {statistics.median(destroy):8.2f} ms")


def copy_rate(host: HyperVHost, size: int) -> float:
    cache = ImageCache(host, SETTINGS)
    image = ImageFacts(str(uuid.uuid4()), "vhd", size + 512)
    t0 = time.perf_counter()
    cache.fetch(image, "C:\\Hyper-V", lambda: fixed_vhd_chunks(size))
    seconds = time.perf_counter() - t0
    host.remove_path(f"C:\\Hyper-V\\_base\\{image.image_id}.vhd")
    return size / MIB / seconds


def bench_copy(size_mib: int, copies: int) -> None:
    rates = [
        copy_rate(FakeHost(disk_gb=4 * size_mib // 1024 + 8), size_mib * MIB) for _ in range(copies)
    ]
    print(f"image copy, generated {size_mib} MiB fixed VHD in 8 MiB chunks -> fake host file store")
    runs = ", ".join(f"{r:.0f}" for r in rates)
    print(f"  MiB/s per run: {runs}; median {statistics.median(rates):.0f}")


def bench_psrp(size_mib: int, call_kib: int = 1024) -> None:
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    try:
        from tests.unit.hyperv.replay.backend import FakeBackend
        from tests.unit.hyperv.replay.server import ReplayServer
        from wincloud.hyperv.psrp import HostSettings, PsrpHost
        from wincloud.secret import Secret
    except ImportError as exc:  # pypsrp missing (install wincloud[hyperv])
        print(f"image copy over psrp: skipped ({exc})")
        return
    fake = FakeHost(disk_gb=64)
    server = ReplayServer(FakeBackend(fake))
    with server.running():
        settings = HostSettings(
            host="127.0.0.1", port=server.port, transport="http", auth="basic",
            user="wincloud", password=Secret("s3cret"), read_timeout_s=60.0,
            operation_timeout_s=20, call_timeout_s=120.0,
        )  # fmt: skip
        host = PsrpHost(settings, write_chunk_bytes=call_kib * 1024)
        try:
            rate = copy_rate(host, size_mib * MIB)
        finally:
            host.close()
    print(
        f"image copy, {size_mib} MiB through PsrpHost -> localhost WinRM replay server, "
        f"{call_kib} KiB per host call"
    )
    print(f"  {rate:.1f} MiB/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--psrp-mib", type=int, default=64)
    parser.add_argument("--psrp-call-kib", type=int, nargs="+", default=[256, 1024, 4096])
    args = parser.parse_args()
    bench_spawn(args.runs)
    bench_copy(args.size_mib, args.copies)
    if args.psrp_mib > 0:
        for call_kib in args.psrp_call_kib:
            bench_psrp(args.psrp_mib, call_kib)


if __name__ == "__main__":
    main()
