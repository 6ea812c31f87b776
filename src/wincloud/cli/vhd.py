"""``wincloud vhd create|diff|info|convert|check|resize``: virtual disks on any OS, including
the differencing disks qemu-img cannot make."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from wincloud.hyperv.vhd import (
    DiskInfo,
    VhdError,
    check,
    convert,
    create_differencing,
    create_disk,
    format_size,
    inspect,
    parse_size,
    resize,
)

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
_PATH = click.Path(dir_okay=False, path_type=Path)


def _os_errors(func: F) -> F:
    """File system failures become one-line vhd errors naming the file."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except OSError as exc:
            raise VhdError(f"file system error: {exc.strerror}", subject=exc.filename) from exc

    return wrapper  # type: ignore[return-value]


def _block_size(text: str | None) -> int | None:
    return parse_size(text, field="--block-size") if text else None


@click.group()
def vhd() -> None:
    """Create, inspect, convert and check VHD/VHDX disks (pure Python, no Hyper-V needed)."""


@vhd.command()
@click.argument("file", type=_PATH)
@click.option("--size", required=True, help="Virtual size, e.g. 40G or 512M.")
@click.option("--format", "fmt", type=click.Choice(["vhdx", "vhd"]), default=None,
              help="Default: from the file suffix, else vhdx.")  # fmt: skip
@click.option("--type", "kind", type=click.Choice(["dynamic", "fixed"]), default="dynamic",
              show_default=True)  # fmt: skip
@click.option("--block-size", default=None, help="e.g. 32M (VHDX) or 2M (VHD).")
@_os_errors
def create(file: Path, size: str, fmt: str | None, kind: str, block_size: str | None) -> None:
    """Create an empty disk FILE."""
    if fmt is None:
        fmt = "vhd" if file.suffix.lower() == ".vhd" else "vhdx"
    create_disk(
        file,
        parse_size(size, field="--size"),
        fmt=fmt,
        kind=kind,
        block_size=_block_size(block_size),
    )
    click.echo(f"created {file} ({fmt}, {kind}, {format_size(parse_size(size))})", err=True)


@vhd.command()
@click.option("--parent", required=True, type=_PATH, help="The base disk (VHD or VHDX).")
@click.argument("child", type=_PATH)
@click.option("--parent-path", default=None,
              help="The parent's path as the Hyper-V host sees it (C:\\... for "
                   "absolute_win32_path, or a relative path).")  # fmt: skip
@click.option("--block-size", default=None, help="Default 2M.")
@_os_errors
def diff(parent: Path, child: Path, parent_path: str | None, block_size: str | None) -> None:
    """Create CHILD, a differencing disk over PARENT."""
    create_differencing(
        parent, child, parent_path_for_locator=parent_path, block_size=_block_size(block_size)
    )
    click.echo(f"created {child} (differencing over {parent})", err=True)


def _info_lines(info: DiskInfo, depth: int = 0) -> list[str]:
    pad = "  " * depth
    lines = [
        f"{pad}file:          {info.path}",
        f"{pad}format:        {info.format} ({info.type})",
        f"{pad}virtual size:  {format_size(info.virtual_size)} ({info.virtual_size} bytes)",
        f"{pad}file size:     {info.file_size} bytes",
    ]
    if info.block_size:
        lines.append(f"{pad}block size:    {format_size(info.block_size)}")
    lines.append(f"{pad}sector size:   {info.logical_sector_size}/{info.physical_sector_size}")
    for key, value in info.details.items():
        if isinstance(value, dict):
            lines.append(f"{pad}{key}:")
            lines += [f"{pad}  {k} = {v}" for k, v in value.items()]
        else:
            lines.append(f"{pad}{key}: {value}")
    if info.linkage:
        lines.append(f"{pad}linkage:       {info.linkage}")
    lines += [f"{pad}problem:       {problem}" for problem in info.problems]
    if info.parent is not None:
        lines.append(f"{pad}parent:")
        lines += _info_lines(info.parent, depth + 1)
    return lines


@vhd.command()
@click.argument("file", type=_PATH)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@_os_errors
def info(file: Path, as_json: bool) -> None:
    """Show FILE's format, type, sizes, identifiers and parent chain."""
    found = inspect(file)
    if as_json:
        from wincloud.cli.output import echo_json

        echo_json(found.to_dict())
        return
    click.echo("\n".join(_info_lines(found)))


@vhd.command("convert")
@click.argument("source", type=_PATH)
@click.argument("target", type=_PATH)
@click.option("--format", "fmt", type=click.Choice(["vhdx", "vhd", "raw"]), default=None,
              help="Default: from TARGET's suffix (.vhdx, .vhd, else raw).")  # fmt: skip
@click.option("--type", "kind", type=click.Choice(["dynamic", "fixed"]), default="dynamic",
              show_default=True)  # fmt: skip
@click.option("--block-size", default=None)
@_os_errors
def convert_cmd(
    source: Path, target: Path, fmt: str | None, kind: str, block_size: str | None
) -> None:
    """Copy SOURCE (a chain is flattened) into a new standalone TARGET."""
    result = convert(source, target, fmt=fmt, kind=kind, block_size=_block_size(block_size))
    rate = result.virtual_size / max(result.seconds, 1e-9) / 2**20
    click.echo(
        f"wrote {target}: {format_size(result.virtual_size)} virtual, {result.bytes_written} "
        f"data bytes, {result.seconds:.2f}s ({rate:.0f} MiB/s of virtual disk)",
        err=True,
    )


@vhd.command("check")
@click.argument("file", type=_PATH)
@_os_errors
def check_cmd(file: Path) -> None:
    """Check FILE's structures and its chain's linkage; exit 1 when anything is wrong."""
    problems = check(file)
    for problem in problems:
        click.echo(problem)
    if problems:
        raise VhdError(f"{len(problems)} problem(s) found", subject=str(file))
    click.echo(f"{file}: no problems found", err=True)


@vhd.command("resize")
@click.argument("file", type=_PATH)
@click.option("--size", required=True, help="New virtual size, e.g. 60G.")
@_os_errors
def resize_cmd(file: Path, size: str) -> None:
    """Grow FILE (shrinking is refused unless the cut-off tail holds no data)."""
    resize(file, parse_size(size, field="--size"))
    click.echo(f"resized {file} to {size}", err=True)
