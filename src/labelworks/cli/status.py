"""``labelworks status``: progress of a project."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from labelworks.cli.context import console, reported, state
from labelworks.services.status import project_status, seconds_per_item


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
    people = Table("annotator", "submitted", "skipped", "leased now", "time", "per item")
    for a in s.annotators:
        per_item = seconds_per_item(a)
        people.add_row(
            a.email,
            f"{a.submitted:,}",
            f"{a.skipped:,}",
            str(a.leased),
            duration_text(a.seconds),
            "–" if per_item is None else f"{per_item:.1f} s",
        )
    console.print(people)


def duration_text(seconds: float) -> str:
    """Time spent in the unit that reads best: ``38.5 s``, ``3.6 min``, ``2.1 h`` (hours to
    two decimals said "0.00" for minutes of work)."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
