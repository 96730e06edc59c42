"""``labelworks acceptance`` and ``labelworks deliver``: a project's acceptance criteria,
and delivering its final labels with a quality report."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from labelworks.cli.context import console, reported, state
from labelworks.domain.acceptance import Criterion
from labelworks.services.delivery import acceptance_report, deliver


def _num(name: str, value: float | None) -> str:
    if value is None:
        return "-"
    if name.startswith("agreement."):
        return f"{value:.3f}"
    if name == "no_open_escalations":
        return f"{value:,.0f}"
    return f"{value:.1%}"


def _verdict(criteria: list[Criterion]) -> str:
    unmet = sum(not c.met for c in criteria)
    if not criteria:
        return "no acceptance criteria set"
    if not unmet:
        return f"all {len(criteria)} acceptance criteria met"
    return f"{unmet} of {len(criteria)} acceptance criteria not met"


def criteria_table(title: str, criteria: list[Criterion]) -> Table:
    """The criteria as a table: met or not, value, 95% interval, target and what was found."""
    table = Table("criterion", "status", "value", "95% interval", "target", "detail", title=title)
    for c in criteria:
        span = "-" if c.interval is None else "–".join(_num(c.name, x) for x in c.interval)
        table.add_row(
            escape(c.name),
            "[green]met[/]" if c.met else "[bold red]not met[/]",
            _num(c.name, c.value),
            span,
            _num(c.name, c.target),
            escape(c.detail),
        )
    return table


def acceptance_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """The project's acceptance criteria (quality.acceptance), each met or not, with its
    value, 95% interval and target."""
    with reported():
        report = acceptance_report(state(ctx).database(), project)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    title = f"{escape(report.project)}: {_verdict(report.criteria)}"
    console.print(criteria_table(title, report.criteria))


def _operator() -> str | None:
    """Who runs the command, for the delivery's record (``None`` if the OS cannot say)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def deliver_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    out: Path = typer.Option(..., "-o", "--out", help="directory to write (new, or empty)"),
    force: bool = typer.Option(
        False, "--force", help="deliver even though acceptance criteria are not met (recorded)"
    ),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Write the project's final labels (labels.jsonl, labels.parquet), its quality report
    (quality_report.json, quality_report.html) and a manifest (delivery.json) into DIR,
    once every acceptance criterion is met (or with --force)."""
    with reported():
        result = deliver(state(ctx).database(), project, out, force=force, operator=_operator())
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    noun = "item" if result.items == 1 else "items"
    console.print(
        f"delivered {result.items:,} {noun} of {escape(result.project)} to "
        f"{escape(str(result.path))} (delivery {result.id})"
    )
    if result.forced:
        unmet = ", ".join(c.name for c in result.criteria if not c.met)
        console.print(f"[bold red]forced[/] past unmet criteria: {escape(unmet)}")
    files = Table("file", "bytes")
    for name, size in result.files.items():
        files.add_row(name, f"{size:,}")
    console.print(files)
