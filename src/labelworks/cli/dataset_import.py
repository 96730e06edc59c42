"""``labelworks import PROJECT SOURCE --format coco|yolo|voc``: boxes of images from the
formats training code writes, as pre-annotations or finished annotations."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from labelworks.cli.context import console, state
from labelworks.cli.jobs import recorded_bar
from labelworks.jobs.tasks import import_result
from labelworks.services import dataset_imports


@dataclass(frozen=True, slots=True)
class BoxesOptions:
    """``--as``, ``--annotator``, ``--field`` and ``--create-annotators``."""

    as_: str
    annotator: str | None
    field: str | None
    create_annotators: bool


def import_dataset(
    ctx: typer.Context, project: str, source: Path, fmt: str, options: BoxesOptions
) -> None:
    """Import a COCO file, or a YOLO or VOC folder or zip, reporting rows as they are stored.

    Runs inside the caller's ``reported()``: refusals print as every command's errors do.
    """
    dataset_imports.check_options(fmt, options.as_, options.annotator)
    settings = state(ctx).settings
    db = state(ctx).database()
    params = {"source": str(source), "format": fmt, "as": options.as_,
              "annotator": options.annotator, "field": options.field,
              "create_annotators": options.create_annotators}  # fmt: skip
    with recorded_bar(ctx, "import", params, project, f"importing {source.name}") as (
        progress,
        job,
    ):
        summary = dataset_imports.import_dataset(
            db,
            project,
            source,
            format=fmt,
            name=str(source),
            as_=options.as_,
            annotator=options.annotator,
            field=options.field,
            media_dir=settings.data_dir / "media",
            create_annotators=options.create_annotators,
            progress=progress,
        )
        job.result = import_result(summary)
    kind = "predictions" if options.as_ == "pre" else "annotations"
    console.print(
        f"imported {summary.inserted:,} new images with their {kind} into "
        f"[bold]{summary.project}[/] from {summary.rows:,} images in {source}; "
        f"{summary.skipped_duplicates:,} duplicates skipped"
    )
