"""``labelworks duplicates``: clusters of near-duplicate items (texts by MinHash, images by
perceptual hash), and keeping one item per cluster."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from labelworks.cli.context import (
    console,
    progress_bar,
    reported,
    state,
)
from labelworks.cli.jobs import queue_here
from labelworks.services import duplicates as duplicate_service
from labelworks.services.duplicates import DuplicateReport, KeptOne

SHOWN = 50  # clusters listed in the table; --json has them all


def duplicates_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    text_key: str | None = typer.Option(
        None, "--text-key", help="payload key of the text to compare (MinHash/LSH)"
    ),
    image_key: str | None = typer.Option(
        None, "--image-key", help="payload key of the image to compare (perceptual hash)"
    ),
    threshold: float = typer.Option(
        duplicate_service.DEFAULT_THRESHOLD,
        "--threshold",
        help="texts: Jaccard similarity of 5-character shingles; images: 1 - bits apart / 64",
    ),
    keep_one: bool = typer.Option(
        False, "--keep-one", help="delete every member but the earliest of each cluster"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
    background: bool = typer.Option(
        False, "--background", help="queue a job for a worker or the server and return"
    ),
) -> None:
    """Clusters of near-duplicate items (size, members, the earliest as representative);
    --keep-one deletes the others, all or nothing, only if nobody has worked on them."""
    settings = state(ctx).settings
    if background:
        params = {"text_key": text_key, "image_key": image_key, "threshold": threshold}
        with reported():
            queue_here(ctx, "duplicates", {**params, "keep_one": keep_one}, project)
        return
    with reported(), progress_bar("hashing") as update:
        db = state(ctx).database()
        run = duplicate_service.keep_one if keep_one else duplicate_service.find_duplicates
        found = run(
            db,
            project,
            text_key=text_key,
            image_key=image_key,
            threshold=threshold,
            media_root=Path(settings.data_dir) / "media",
            progress=update,
        )
    report = found.report if isinstance(found, KeptOne) else found
    removed = found.removed if isinstance(found, KeptOne) else None
    if as_json:
        out = duplicate_service.report_dict(report)
        if removed is not None:
            out["removed"] = removed
        typer.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    _print(report)
    if removed is not None:
        noun = "item" if len(removed) == 1 else "items"
        console.print(f"Kept one item per cluster: removed {len(removed):,} {noun}.")


def _print(report: DuplicateReport) -> None:
    how = (
        f"Jaccard ≥ {report.threshold:g}"
        if report.kind == "text"
        else f"at most {report.max_distance} bits apart"
    )
    console.print(
        f"{len(report.clusters):,} clusters of near-duplicate {report.kind}s under "
        f"'{escape(report.key)}' ({how}) among {report.scanned:,} items; "
        f"{report.duplicates:,} could go; {len(report.skipped):,} skipped.",
        highlight=False,
    )
    if not report.clusters:
        return
    table = Table("size", "keep", "others", "preview")
    for c in report.clusters[:SHOWN]:
        others = ", ".join(str(i) for i in c.others[:10])
        more = f" … +{len(c.others) - 10}" if len(c.others) > 10 else ""
        preview = c.members[0].preview[:80]
        table.add_row(str(c.size), str(c.representative), others + more, escape(preview))
    console.print(table)
    if len(report.clusters) > SHOWN:
        console.print(f"… and {len(report.clusters) - SHOWN:,} more clusters (--json lists all)")
