"""``labelworks media``: probe a project's media files (sizes, durations, thumbnails,
waveform peaks, perceptual hashes) and report what was found and what failed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from labelworks.cli.context import console, err_console, reported, show_progress, state
from labelworks.services.media_processing import MAX_WORKERS, process_media
from labelworks.services.media_report import MediaReport, media_report

app = typer.Typer(help="Media processing: probe images, audio, video and series of a project.")


def media_dirs(data_dir: Path) -> tuple[Path, Path]:
    """Where the projects' media folders and the derived files live in the data dir."""
    return data_dir / "media", data_dir / "thumbnails"


@app.command("process")
def process(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    force: bool = typer.Option(False, "--force", help="probe again what was already probed"),
    workers: int = typer.Option(
        1, "--workers", min=1, max=MAX_WORKERS, help="processes that probe files"
    ),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Probe every media file the project's items name that has no result yet (all with
    --force); broken files get a reason on their item and the run goes on."""
    with reported():
        settings = state(ctx).settings
        media_dir, thumbnails_dir = media_dirs(Path(settings.data_dir))
        db = state(ctx).database()
        with Progress(
            TextColumn("probing media"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err_console,
            disable=not show_progress(),
        ) as bar:
            task = bar.add_task("media", total=None)
            run = process_media(
                db,
                project,
                media_dir=media_dir,
                thumbnails_dir=thumbnails_dir,
                only_missing=not force,
                workers=workers,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    summary = {
        "probed": run.processed,
        "failed": run.failed,
        "already_done": run.skipped,
        "remote": run.remote,
    }
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    console.print(
        f"{escape(project)}: probed {run.processed} media files, {run.failed} failed, "
        f"{run.skipped} already done, {run.remote} remote (not processed)",
        highlight=False,
    )
    if run.failed:
        console.print(
            f"see the reasons: labelworks media report {escape(project)}", highlight=False
        )


def report_dict(report: MediaReport) -> dict[str, Any]:
    """The report as the CLI's --json and the API give it."""
    return {
        "project": report.project,
        "keys": report.keys,
        "items": report.items,
        "processed": report.processed,
        "failed": report.failed,
        "pending": report.pending,
        "remote": report.remote,
        "failures": [
            {"item_id": f.item_id, "external_id": f.external_id, "key": f.key, "reason": f.reason}
            for f in report.failures
        ],
        "truncated": report.truncated,
    }


@app.command("report")
def report(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Media files probed per kind, still pending, remote, and every failure with its reason."""
    with reported():
        found = media_report(state(ctx).database(), project)
    if as_json:
        typer.echo(json.dumps(report_dict(found), indent=2, ensure_ascii=False))
        return
    if not found.keys:
        console.print(f"{escape(project)}: the spec names no media (no boxes or segments field)")
        return
    counts = ", ".join(f"{kind} {n}" for kind, n in sorted(found.processed.items()))
    console.print(
        f"{escape(project)}: {found.items} items; probed {counts}; {found.failed} failed, "
        f"{found.pending} pending, {found.remote} remote",
        highlight=False,
    )
    if not found.failures:
        return
    table = Table(title="failures")
    table.add_column("item", justify="right")
    table.add_column("external id", overflow="fold")
    table.add_column("key", overflow="fold")
    table.add_column("reason", overflow="fold")
    for f in found.failures:
        table.add_row(str(f.item_id), Text(f.external_id or ""), Text(f.key), Text(f.reason))
    console.print(table)
    if found.truncated:
        console.print(f"and {found.failed - len(found.failures)} more failures, not listed")
