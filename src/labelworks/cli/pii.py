"""``labelworks pii scan``: what a project's privacy policy finds in its items."""

from __future__ import annotations

import dataclasses
import json

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from labelworks.cli.context import console, err_console, reported, show_progress, state
from labelworks.cli.jobs import queue_here
from labelworks.services import privacy
from labelworks.services.pii_report import PiiReport, screen_project

app = typer.Typer(help="PII screening: personal data in items, and the project's privacy policy.")


def _tables(report: PiiReport) -> None:
    policy = "the project's privacy policy" if report.configured else "the default policy"
    console.print(
        f"[bold]{escape(report.project)}[/]: {report.items:,} items screened with {policy}; "
        f"{report.affected:,} affected, {report.findings:,} findings"
    )
    audiences = ", ".join(f"{who} {what}" for who, what in report.audiences.items())
    console.print(f"detect: {', '.join(report.detect)} · audiences: {audiences}")
    if not report.findings:
        return
    kinds = Table(title="by kind")
    kinds.add_column("kind")
    kinds.add_column("findings", justify="right")
    kinds.add_column("items", justify="right")
    for kind, count in report.by_kind.items():
        kinds.add_row(kind, f"{count:,}", f"{report.items_by_kind.get(kind, 0):,}")
    console.print(kinds)
    keys = Table(title="by place")
    keys.add_column("place", overflow="fold")
    keys.add_column("findings", justify="right")
    for key, count in report.by_key.items():
        keys.add_row(escape(key), f"{count:,}")
    console.print(keys)
    items = Table(title=f"affected items (first {len(report.listed)})")
    items.add_column("item", justify="right")
    items.add_column("external id", overflow="fold")
    items.add_column("kinds")
    items.add_column("samples (masked)", overflow="fold")
    for item in report.listed:
        items.add_row(
            str(item.item_id),
            escape(item.external_id or ""),
            ", ".join(item.kinds),
            escape(" · ".join(item.samples)),
        )
    console.print(items)


@app.command("scan")
def scan(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
    background: bool = typer.Option(
        False, "--background", help="queue a job for a worker or the server and return"
    ),
) -> None:
    """Screen every item with the project's privacy policy (or the default one): counts by
    kind and place (payload key, metadata.<key>, annotations.<field>), items affected,
    sample item ids; found values are masked."""
    with reported():
        if background:
            queue_here(ctx, "pii", {}, project)
            return
        settings = state(ctx).settings
        privacy.install_setting(settings.pii_analyser)
        db = state(ctx).database()
        with Progress(
            TextColumn("screening {task.fields[name]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err_console,
            transient=True,
            disable=not show_progress(),
        ) as bar:
            task = bar.add_task("scan", total=None, name=project)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = screen_project(db, project, progress=progress)
    if as_json:
        typer.echo(json.dumps(dataclasses.asdict(report), indent=2, ensure_ascii=False))
        return
    _tables(report)
