"""``labelworks export PROJECT --format coco|yolo|voc|conll|docbin|hf|labelstudio -o PATH``:
the dataset formats of ``services.dataset_exports``, with a progress bar fed by the writer.

``labelworks export`` (``cli/transfer.py``) hands every format of ``DATASET_FORMATS`` here;
jsonl, csv and parquet stay there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from labelworks.cli.context import console, settle_heap, state
from labelworks.cli.jobs import recorded_bar
from labelworks.domain.errors import InvalidInput
from labelworks.services import dataset_exports
from labelworks.services.dataset_exports import VAL_FRACTION
from labelworks.services.object_store import s3_options

FORMATS = tuple(dataset_exports.DATASET_FORMATS)
# Missing images named in the terminal; the file lists them all.
SHOWN_MISSING = 5
LABELS = ("final", "all")


def export_dataset(
    ctx: typer.Context,
    project: str,
    format_name: str,
    output: Path | None,
    labels: str,
    val_fraction: float | None = None,
) -> None:
    """Write PROJECT in a dataset format to ``output`` (a file, or a new or empty folder
    for directory formats), with its final labels or every annotation; ``val_fraction``
    (yolo only) is the share of images without a metadata split kept for validation."""
    fmt = dataset_exports.dataset_format(format_name)
    if labels not in LABELS:
        raise InvalidInput(f"--labels must be final or all, not '{labels}'")
    if val_fraction is not None and fmt.name != "yolo":
        raise InvalidInput(f"--val-fraction applies to the yolo format, not {fmt.name}")
    if output is None:
        what = "a new or empty folder" if fmt.kind == "directory" else "a file"
        raise InvalidInput(f"the {fmt.name} format needs -o PATH ({what})")
    fraction = VAL_FRACTION if val_fraction is None else val_fraction
    # Refused before the bar is drawn and before anything is read (or recorded as a job).
    dataset_exports.check_val_fraction(fraction)
    dataset_exports.check_target(fmt, output)
    db = state(ctx).database()
    settings = state(ctx).settings
    settle_heap()
    params: dict[str, Any] = {"format": fmt.name, "labels": labels, "output": str(output.resolve())}
    if fmt.name == "yolo":
        params["val_fraction"] = fraction
    with recorded_bar(ctx, "export", params, project, f"exporting {fmt.name}") as (
        progress,
        job,
    ):
        written = dataset_exports.write_dataset(
            db,
            project,
            fmt.name,
            output,
            media_dir=settings.data_dir / "media",
            labels=labels,  # type: ignore[arg-type]
            val_fraction=fraction,
            s3=s3_options(settings),
            progress=progress,
        )
        job.result = {"items": written.items, "output": params["output"]}
        if written.missing_images:
            job.result["missing_images"] = written.missing_images
    console.print(
        f"exported {written.items:,} items from [bold]{escape(project)}[/] to "
        f"{escape(str(output))} ({fmt.description}, {labels} labels)"
    )
    if written.missing_images:
        console.print(
            f"[yellow]{written.missing_images:,} image{'' if written.missing_images == 1 else 's'}"
            " could not be included[/]; each is "
            f"listed with where it belongs in {escape(str(output / 'missing_images.txt'))}",
            highlight=False,
        )
        for m in written.missing[:SHOWN_MISSING]:
            console.print(f"  {escape(m.value)}: {escape(m.reason)}", highlight=False)
