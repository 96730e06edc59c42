"""``labelworks export PROJECT --format coco|yolo|voc|conll|docbin|hf|labelstudio -o PATH``:
the dataset formats of ``services.dataset_exports``, with a progress bar fed by the writer.

``labelworks export`` (``cli/transfer.py``) hands every format of ``DATASET_FORMATS`` here;
jsonl, csv and parquet stay there.
"""

from __future__ import annotations

from pathlib import Path

import typer

from labelworks.cli.context import console, settle_heap, state
from labelworks.cli.jobs import recorded_bar
from labelworks.domain.errors import InvalidInput
from labelworks.services import dataset_exports

FORMATS = tuple(dataset_exports.DATASET_FORMATS)
LABELS = ("final", "all")


def export_dataset(
    ctx: typer.Context, project: str, format_name: str, output: Path | None, labels: str
) -> None:
    """Write PROJECT in a dataset format to ``output`` (a file, or a new or empty folder
    for directory formats), with its final labels or every annotation."""
    fmt = dataset_exports.dataset_format(format_name)
    if labels not in LABELS:
        raise InvalidInput(f"--labels must be final or all, not '{labels}'")
    if output is None:
        what = "a new or empty folder" if fmt.kind == "directory" else "a file"
        raise InvalidInput(f"the {fmt.name} format needs -o PATH ({what})")
    # Refused before the bar is drawn and before anything is read.
    dataset_exports.check_target(fmt, output)
    db = state(ctx).database()
    media_dir = state(ctx).settings.data_dir / "media"
    settle_heap()
    params = {"format": fmt.name, "labels": labels, "output": str(output.resolve())}
    with recorded_bar(ctx, "export", params, project, f"exporting {fmt.name}") as (
        progress,
        job,
    ):
        written = dataset_exports.export_dataset(
            db,
            project,
            fmt.name,
            output,
            media_dir=media_dir,
            labels=labels,  # type: ignore[arg-type]
            progress=progress,
        )
        job.result = {"items": written, "output": params["output"]}
    console.print(
        f"exported {written:,} items from [bold]{project}[/] to {output} "
        f"({fmt.description}, {labels} labels)"
    )
