"""Error rendering and logging set-up for the CLI (the only place besides the agent's
logsetup that configures log handlers)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from wincloud.errors import WincloudError

log = logging.getLogger(__name__)

EXIT_BUG = 70


def setup_logging(verbose: int) -> None:
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


def render_error(err: WincloudError) -> str:
    lines = [f"error[{err.code}]: {err}"]
    if err.hint:
        lines.append(f"hint: {err.hint}")
    return "\n".join(lines)


def fail(err: WincloudError) -> NoReturn:
    click.echo(render_error(err), err=True)
    sys.exit(err.exit_status)


def run_cli(group: click.Group, argv: Sequence[str]) -> Any:
    try:
        return group.main(args=list(argv), prog_name="wincloud", standalone_mode=False)
    except WincloudError as err:
        fail(err)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except click.exceptions.Exit as err:
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:  # the CLI top level: any other exception is a bug
        log.exception("internal error")
        click.echo(
            "error[internal]: an unexpected error occurred; see the traceback above", err=True
        )
        sys.exit(EXIT_BUG)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Plain aligned columns (two spaces apart), one header line; no trailing blanks."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [headers, *rows]
    ]
    return "\n".join(lines)
