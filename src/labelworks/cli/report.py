"""``labelworks report``: a project's weekly stakeholder report as HTML, Markdown or JSON."""

from __future__ import annotations

from pathlib import Path

import typer

from labelworks.cli.context import console, reported, state
from labelworks.domain.errors import InvalidInput, Location
from labelworks.services.stakeholder_report import FORMATS, render, weekly_report


def report_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    period: str | None = typer.Option(
        None, "--period", help="ISO week, e.g. 2026-W48 (default: this week, to date)"
    ),
    fmt: str = typer.Option("md", "--format", help="html, md or json"),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="write the report to this file (default: print it)"
    ),
) -> None:
    """The weekly stakeholder report: progress and forecast, quality with intervals, the
    vendors' scorecards, and risks (SLA breaches, quality drops, a forecast past the
    deadline, a budget overrun). HTML is one self-contained file with its charts as inline
    SVG, fit to attach to an email."""
    with reported():
        if fmt not in FORMATS:
            raise InvalidInput(
                f"unknown format {fmt!r}: use html, md or json", location=Location(field="--format")
            )
        found = weekly_report(state(ctx).database(), project, week=period)
        text = render(found, fmt)
        if output is None:
            typer.echo(text, nl=False)
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(
                f"cannot write {output}: {exc.strerror}", location=Location(field="--output")
            ) from None
    console.print(
        f"wrote the {found.period.label} report of {project} to {output}", highlight=False
    )
