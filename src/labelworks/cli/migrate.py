"""``labelworks migrate``: bring a project over from another tool, with its history."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import typer
from rich.markup import escape

from labelworks.cli.context import console, reported, settle_heap, state
from labelworks.cli.jobs import recorded_bar, recorded_here
from labelworks.domain.errors import InvalidImport, InvalidInput
from labelworks.services.label_studio import (
    LabelStudioSummary,
    import_label_studio,
    migrate_label_studio,
)

app = typer.Typer(help="Migrate projects from other labeling tools (Label Studio).")
MAX_EXPORT_BYTES = 4 * 1024**3


def read_export(path: Path) -> bytes:
    """The bytes of an export file, or ``InvalidImport`` naming it."""
    if not path.is_file():
        raise InvalidImport(f"{path} does not exist or is not a file")
    if path.stat().st_size > MAX_EXPORT_BYTES:
        raise InvalidImport(f"{path} is larger than {MAX_EXPORT_BYTES // 1024**3} GiB")
    return path.read_bytes()


def show_summary(summary: LabelStudioSummary) -> None:
    """What the import did and what it left out, for the terminal."""
    made = " (created)" if summary.created_project else ""
    console.print(
        f"imported {summary.inserted:,} new items into [bold]{escape(summary.project)}[/]{made} "
        f"from {summary.tasks:,} tasks; {summary.skipped_duplicates:,} duplicates skipped"
    )
    console.print(
        f"restored {summary.annotations:,} annotations and {summary.predictions:,} predictions; "
        f"skipped {summary.cancelled:,} cancelled and {summary.superseded:,} superseded "
        f"annotations; created {len(summary.created_annotators):,} annotators"
    )
    if summary.fields:
        console.print("fields: " + escape(", ".join(summary.fields)))
    for name, n in sorted(summary.skipped_results.items()):
        console.print(f"skipped {n:,} results of {escape(name)}")
    for reason in summary.untranslated:
        console.print(f"[yellow]not translated:[/] {escape(reason)}")


@app.command("labelstudio")
def labelstudio_command(
    ctx: typer.Context,
    export: Path = typer.Argument(..., help="Label Studio JSON export (a list of tasks)"),
    project: str = typer.Option(..., "--project", help="name of the project to create"),
    config: Path | None = typer.Option(
        None,
        "--config",
        help="the project's labeling config (XML); without it fields are guessed from results",
    ),
    overlap: int | None = typer.Option(
        None,
        "--overlap",
        min=1,
        max=100,
        help="annotations per item (default: the most common count in the export)",
    ),
    create_annotators: bool = typer.Option(
        False,
        "--create-annotators",
        help="create annotators who are not users yet (no password: they sign in after a "
        "password reset)",
    ),
) -> None:
    """Create PROJECT from a Label Studio export: spec from the config, tasks with their
    annotations (annotator, time, seconds) and predictions; all or nothing."""
    with reported():
        if not export.is_file():
            raise InvalidImport(f"{export} does not exist or is not a file")
        config_text = None
        if config is not None:
            if not config.is_file():
                raise InvalidInput(f"{config} does not exist or is not a file")
            config_text = config.read_bytes()
        db = state(ctx).database()
        settle_heap()
        params = {"source": str(export), "format": "labelstudio", "project": project,
                  "config": None if config is None else str(config), "overlap": overlap,
                  "create_annotators": create_annotators}  # fmt: skip
        # The project does not exist yet: the job is recorded without one.
        with recorded_bar(ctx, "import", params, None, "importing") as (progress, job):
            summary = migrate_label_studio(
                db,
                read_export(export),  # not kept here: the service frees it once parsed
                project_name=project,
                source=str(export),
                config=config_text,
                config_source=str(config) if config is not None else "config.xml",
                overlap=overlap,
                create_annotators=create_annotators,
                progress=progress,
            )
            job.result = asdict(summary)
    show_summary(summary)


def import_labelstudio(ctx: typer.Context, project: str, export: Path, create: bool) -> None:
    """``labelworks import PROJECT EXPORT.json --format labelstudio``: the tasks of a Label
    Studio export into an existing project whose fields their results name."""
    if not export.is_file():
        raise InvalidImport(f"{export} does not exist or is not a file")
    db = state(ctx).database()
    settle_heap()
    params = {"source": str(export), "format": "labelstudio", "create_annotators": create}
    with recorded_here(ctx, "import", params, project) as job:
        summary = import_label_studio(
            db,
            project,
            read_export(export),  # not kept here: the service frees the bytes once parsed
            source=str(export),
            create_annotators=create,
        )
        job.result = asdict(summary)
    show_summary(summary)
