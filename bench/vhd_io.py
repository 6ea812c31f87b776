"""VHD/VHDX throughput of our pure-Python library: what converting and flattening cost.

Builds a raw source of --size bytes (every 1 MiB written with random data, except every
fourth MiB left zero, so zero detection is exercised), then times:

1. raw -> dynamic VHDX (``convert``), 2. VHDX -> dynamic VHD, 3. VHDX -> fixed VHDX,
4. a raw stream -> dynamic VHDX (``write_from_stream``, the Nova upload path),
5. flattening a 3-disk VHDX chain (base + two children, each child rewriting a quarter of the
   disk) into one standalone VHDX, 6. the same through ``qemu-img convert`` raw -> vhdx as a
   yardstick (when qemu-img is installed).

Figures are MiB of virtual disk per second (wall time, page cache warm). Asserts nothing.

    python bench/vhd_io.py [--size 1G] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from wincloud.hyperv.vhd import (
    convert,
    create_differencing,
    open_disk,
    parse_size,
    write_from_stream,
)

MiB = 1024 * 1024


def timed(label: str, size: int, action: Callable[[], object]) -> None:
    started = time.perf_counter()
    action()
    seconds = time.perf_counter() - started
    print(f"{label:<44} {seconds:7.2f} s  {size / MiB / seconds:8.0f} MiB/s")


def make_source(path: Path, size: int) -> None:
    rnd = random.Random(0)
    with path.open("wb") as fh:
        for index in range(size // MiB):
            fh.write(bytes(MiB) if index % 4 == 3 else rnd.randbytes(MiB))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1G")
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()
    size = parse_size(args.size)
    root = Path(tempfile.mkdtemp(prefix="vhd-bench-", dir=args.dir))
    try:
        raw = root / "source.raw"
        make_source(raw, size)
        print(f"virtual size {size // MiB} MiB, 3/4 of it data; files in {root}")
        timed("convert raw -> VHDX (dynamic)", size, lambda: convert(raw, root / "a.vhdx"))
        timed(
            "convert VHDX -> VHD (dynamic)", size, lambda: convert(root / "a.vhdx", root / "a.vhd")
        )
        timed(
            "convert VHDX -> VHDX (fixed)",
            size,
            lambda: convert(root / "a.vhdx", root / "f.vhdx", kind="fixed"),
        )

        def stream() -> None:
            with raw.open("rb") as fh:
                chunks = iter(lambda: fh.read(4 * MiB), b"")
                write_from_stream(root / "s.vhdx", chunks, size=size)

        timed("write_from_stream raw -> VHDX (dynamic)", size, stream)
        rnd = random.Random(1)
        for parent, child in (("a.vhdx", "c1.vhdx"), ("c1.vhdx", "c2.vhdx")):
            create_differencing(root / parent, root / child)
            with open_disk(root / child, writable=True) as disk:
                for offset in range(0, size, 4 * MiB):
                    disk.write(offset, rnd.randbytes(MiB))
        timed(
            "flatten 3-disk VHDX chain -> VHDX",
            size,
            lambda: convert(root / "c2.vhdx", root / "flat.vhdx"),
        )
        if shutil.which("qemu-img"):
            command = ["qemu-img", "convert", "-f", "raw", "-O", "vhdx", str(raw)]
            timed(
                "qemu-img convert raw -> vhdx (yardstick)",
                size,
                lambda: subprocess.run([*command, str(root / "q.vhdx")], check=True),
            )
        print(f"cores: {os.cpu_count()}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
