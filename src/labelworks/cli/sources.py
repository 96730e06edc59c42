"""``labelworks import PROJECT SOURCE`` when SOURCE is a folder or ``s3://bucket/prefix/``:
one item per media file, or the rows of every row file, all or nothing, with a progress bar
fed by the service's ``progress(done, total)``."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import typer

from labelworks.cli.context import console, settle_heap, state
from labelworks.cli.jobs import recorded_bar
from labelworks.services import sources
from labelworks.services.object_store import s3_options
from labelworks.services.sources import SourceRequest, SourceSummary


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """The import command's options for folders and object storage."""

    glob: str | None = None
    endpoint_url: str | None = None
    profile: str | None = None
    skip_unsupported: bool = False


def is_source(text: str) -> bool:
    """Whether the import's argument names a folder or a URL rather than a file: any
    ``scheme://`` (unsupported ones are refused by name) or an existing folder."""
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text) is not None or Path(text).is_dir()


def import_source(ctx: typer.Context, project: str, source: str, options: SourceOptions) -> None:
    """Import PROJECT's items from a folder or an object prefix and print what was done."""
    settings = state(ctx).settings
    db = state(ctx).database()
    s3 = s3_options(settings, endpoint_url=options.endpoint_url, profile=options.profile)
    request = SourceRequest(
        url=source,
        glob=options.glob,
        skip_unsupported=options.skip_unsupported,
        s3=s3,
        roots=None,  # the command reads what its user can read
        batch_size=settings.import_batch_size,
    )
    settle_heap()
    params = {"url": source, "glob": options.glob, "skip_unsupported": options.skip_unsupported,
              "endpoint_url": options.endpoint_url, "profile": options.profile}  # fmt: skip
    with recorded_bar(ctx, "source", params, project, "importing") as (progress, job):
        summary = sources.import_source(
            db, project, request, data_dir=settings.data_dir, progress=progress
        )
        job.result = asdict(summary)
    report(summary)


def report(summary: SourceSummary) -> None:
    what = "media files" if summary.kind == "media" else "rows"
    count = summary.files if summary.kind == "media" else summary.rows
    console.print(
        f"imported {summary.inserted:,} new items into [bold]{summary.project}[/] "
        f"from {count:,} {what} in {summary.source}; "
        f"{summary.skipped_duplicates:,} duplicates skipped"
    )
    if summary.skipped_unsupported:
        shown = ", ".join(summary.skipped_unsupported[:5])
        more = len(summary.skipped_unsupported) - 5
        tail = f" and {more:,} more" if more > 0 else ""
        console.print(
            f"skipped {len(summary.skipped_unsupported):,} unsupported files: {shown}{tail}"
        )
