"""``wincloud report licences``: the monthly Windows licence report (docs/licensing.md)."""

from __future__ import annotations

from pathlib import Path

import click

from wincloud.cli._db import db_option, open_repo_from


@click.group()
def report() -> None:
    """Reports from the store's records (licence accounting)."""


@report.command("licences")
@click.option("--month", required=True, metavar="YYYY-MM", help="The calendar month (UTC).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "html"]),
    default="table",
    show_default=True,
)
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A TOML file laid over the shipped rules (wincloud/licensing/rules.toml).",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report to this file instead of standard output.")  # fmt: skip
@db_option
def licences(
    month: str, fmt: str, rules_file: Path | None, output: Path | None, db: str | None
) -> None:
    """The core licences a month's Windows Server VMs need per host (Standard vs Datacenter,
    the cheaper one recommended), usage per project and edition, customer-key and desktop
    instances apart, instances without a good activation flagged. An estimate under the rules
    it states, not a compliance statement."""
    from wincloud.licensing import build_report, load_rules, month_bounds
    from wincloud.licensing.render import render_report

    month_bounds(month)  # a bad month is an error before the store is opened
    rules = load_rules(rules_file)
    with open_repo_from(db) as repo:
        text = render_report(build_report(repo, rules, month), fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
