"""``labelworks status``: progress of a project."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from labelworks.cli.context import console, reported, state
from labelworks.services.status import project_status


def status_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Items, annotations, completion, live leases, skips and per-annotator counts."""
    with reported():
        s = project_status(state(ctx).database(), project)
    if as_json:
        typer.echo(json.dumps(s.to_dict(), indent=2, default=str))
        return
    summary = Table(title=f"{s.project} (overlap {s.overlap})", show_header=False)
    summary.add_row("items", f"{s.items:,}")
    summary.add_row("complete", f"{s.complete:,} ({s.completion:.1%})")
    summary.add_row("annotations", f"{s.annotations:,}")
    summary.add_row("active leases", f"{s.active_leases:,}")
    summary.add_row("skips", f"{s.skips:,}")
    summary.add_row("late submissions", f"{s.late_submissions:,}")
    console.print(summary)
    people = Table("annotator", "submitted", "skipped", "leased now", "hours")
    for a in s.annotators:
        people.add_row(
            a.email, f"{a.submitted:,}", f"{a.skipped:,}", str(a.leased), f"{a.seconds / 3600:.2f}"
        )
    console.print(people)
