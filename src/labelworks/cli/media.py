"""``labelworks media``: probe a project's media files (sizes, durations, thumbnails,
waveform peaks, perceptual hashes) and report what was found and what failed."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from labelworks.cli.context import console, reported, state
from labelworks.cli.jobs import queue_here, run_here
from labelworks.services.media_processing import MAX_WORKERS
from labelworks.services.media_report import MediaReport, media_report

app = typer.Typer(help="Media processing: probe images, audio, video and series of a project.")


@app.command("process")
def process(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    force: bool = typer.Option(False, "--force", help="probe again what was already probed"),
    workers: int = typer.Option(
        1, "--workers", min=1, max=MAX_WORKERS, help="processes that probe files"
    ),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
    background: bool = typer.Option(
        False, "--background", help="queue a job for a worker or the server and return"
    ),
) -> None:
    """Probe every media file the project's items name that has no result yet (all with
    --force); broken files get a reason on their item and the run goes on. Runs as a job
    (listed by labelworks jobs), here with a progress bar or, with --background, by a worker."""
    with reported():
        params = {"force": force, "workers": workers}
        if background:
            queue_here(ctx, "media", params, project)
            return
        summary = run_here(ctx, "media", params, project, "probing media")
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    console.print(
        f"{escape(project)}: probed {summary['probed']} media files, {summary['failed']} "
        f"failed, {summary['already_done']} already done, {summary['remote']} remote "
        "(not processed)",
        highlight=False,
    )
    if summary["failed"]:
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
