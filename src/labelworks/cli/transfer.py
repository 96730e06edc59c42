"""``labelworks import`` and ``labelworks export``: streamed, with progress bars."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, BinaryIO

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from labelworks.cli import dataset_export, dataset_import
from labelworks.cli import migrate as migrate_cli
from labelworks.cli.context import (
    console,
    err_console,
    reported,
    settle_heap,
    show_progress,
    state,
)
from labelworks.cli.jobs import queue_here, recorded_here
from labelworks.cli.sources import SourceOptions, import_source, is_source
from labelworks.domain.errors import InvalidImport, InvalidInput
from labelworks.jobs.tasks import import_result
from labelworks.services import exports as export_service
from labelworks.services import ingestion
from labelworks.services import projects as project_service
from labelworks.services.aggregates import AGGREGATES
from labelworks.services.dataset_imports import IMPORT_FORMATS


class _CountingReader:
    """Counts bytes as the importer reads them, to drive a byte-accurate progress bar."""

    def __init__(self, raw: BinaryIO, advance: Any) -> None:
        self._raw = raw
        self._advance = advance

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._advance(len(data))
        return data

    def readinto(self, buffer: Any) -> int:
        n = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        self._advance(n or 0)
        return int(n or 0)

    def read1(self, size: int = -1) -> bytes:
        data = self._raw.read1(size)  # type: ignore[attr-defined]
        self._advance(len(data))
        return bytes(data)

    def readline(self, size: int = -1) -> bytes:
        data = self._raw.readline(size)
        self._advance(len(data))
        return data

    def __iter__(self) -> Any:
        return iter(self.readline, b"")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


def _format_of(path: Path, given: str | None) -> str:
    if given:
        if given not in ingestion.SUFFIXES.values():
            raise InvalidInput(f"--format must be jsonl, json, csv or parquet, not '{given}'")
        return given
    try:
        return ingestion.format_of_name(path.name)
    except InvalidImport as exc:
        raise InvalidImport(f"{exc.message} or pass --format") from None


def import_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    source: str = typer.Argument(
        ...,
        metavar="SOURCE",
        help="JSONL, JSON array, CSV or Parquet file; a folder; or s3://bucket/prefix/",
    ),
    format: str | None = typer.Option(
        None,
        "--format",
        help="jsonl, json, csv or parquet (default: from the file extension); coco (a file), "
        "yolo or voc (a folder or zip) for boxes of images; labelstudio (a Label Studio "
        "JSON export)",
    ),
    as_: str = typer.Option(
        "pre", "--as", help="coco, yolo, voc: import the boxes as pre-annotations or annotations"
    ),
    annotator: str | None = typer.Option(
        None, "--annotator", help="coco, yolo, voc --as annotations: whose they are (email)"
    ),
    field: str | None = typer.Option(
        None, "--field", help="coco, yolo, voc: the boxes field (default: the project's first)"
    ),
    glob: str | None = typer.Option(
        None, "--glob", help="folder or bucket: only files matching this (e.g. '*.jpg')"
    ),
    endpoint_url: str | None = typer.Option(
        None, "--endpoint-url", help="S3-compatible endpoint (default: setting s3_endpoint_url)"
    ),
    profile: str | None = typer.Option(
        None, "--profile", help="named S3 credentials profile (default: LABELWORKS_S3_PROFILE)"
    ),
    skip_unsupported: bool = typer.Option(
        False, "--skip-unsupported", help="folder or bucket: skip files of other types"
    ),
    create_annotators: bool = typer.Option(
        False,
        "--create-annotators",
        help="create the annotators of rows' annotations who are not users yet (no password: "
        "they sign in after a password reset)",
    ),
    background: bool = typer.Option(
        False,
        "--background",
        help="a row file, folder or bucket: queue an import job for a worker or the server",
    ),
) -> None:
    """Import items into PROJECT from a file, a folder or s3://bucket/prefix/: all or none.

    A folder or prefix of media files gives one item per file; of row files, their rows.
    """
    with reported():
        if background and (format == "labelstudio" or format in IMPORT_FORMATS):
            raise InvalidInput(
                f"--background imports a row file, a folder or a bucket, not the {format} format"
            )
        if format == "labelstudio":
            migrate_cli.import_labelstudio(ctx, project, Path(source), create_annotators)
            return
        if format in IMPORT_FORMATS:
            boxes = dataset_import.BoxesOptions(as_, annotator, field, create_annotators)
            dataset_import.import_dataset(ctx, project, Path(source), format, boxes)
            return
        if is_source(source):
            if background:
                folder = Path(source)
                url = str(folder.resolve()) if folder.is_dir() else source
                params = {
                    "url": url,
                    "glob": glob,
                    "skip_unsupported": skip_unsupported,
                    "endpoint_url": endpoint_url,
                    "profile": profile,
                    "any_folder": True,
                }
                queue_here(ctx, "source", params, project)
                return
            options = SourceOptions(glob, endpoint_url, profile, skip_unsupported)
            import_source(ctx, project, source, options)
            return
        file = Path(source)
        fmt = _format_of(file, format)
        if not file.is_file():
            raise InvalidImport(f"{file} does not exist or is not a file")
        params = {"path": str(file.resolve()), "format": fmt, "source": str(file),
                  "create_annotators": create_annotators}  # fmt: skip
        if background:
            queue_here(ctx, "import", params, project)
            return
        db = state(ctx).database()
        # A missing project is reported before the progress bar is drawn.
        project_service.get_project(db, project)
        settle_heap()
        size = file.stat().st_size
        with (
            recorded_here(ctx, "import", params, project) as job,
            Progress(
                TextColumn("importing {task.fields[name]}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=err_console,
                transient=False,
                disable=not show_progress(),
            ) as bar,
            file.open("rb") as raw,
        ):
            task = bar.add_task("import", total=size, name=file.name)
            read = 0

            def advance(n: int) -> None:
                nonlocal read
                read += n
                bar.advance(task, n)
                job.progress(read, size)

            reader = _CountingReader(raw, advance)
            summary = ingestion.import_items(
                db,
                project,
                reader,  # type: ignore[arg-type]
                format=fmt,  # type: ignore[arg-type]
                source=str(file),
                batch_size=state(ctx).settings.import_batch_size,
                create_annotators=create_annotators,
            )
            job.result = import_result(summary)
    console.print(
        f"imported {summary.inserted:,} new items into [bold]{summary.project}[/] "
        f"from {summary.rows:,} rows; {summary.skipped_duplicates:,} duplicates skipped"
    )
    if summary.annotations or summary.created_annotators:
        console.print(
            f"restored {summary.annotations:,} annotations; "
            f"created {len(summary.created_annotators):,} annotators"
        )


def export_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    format: str = typer.Option(
        "jsonl",
        "--format",
        help="jsonl, csv or parquet; or a dataset format: " + ", ".join(dataset_export.FORMATS),
    ),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="file (default: stdout); a new folder for yolo, voc, hf"
    ),
    csv_formulas: str = typer.Option(
        "escape",
        "--csv-formulas",
        help="escape: prefix CSV cells a spreadsheet would run as formulas with ' "
        "(default); raw: exact text, for programs",
    ),
    aggregate: str | None = typer.Option(
        None,
        "--aggregate",
        help="add each annotated item's label by majority or dawid_skene, with its confidence",
    ),
    labels: str | None = typer.Option(
        None, "--labels", help="dataset formats: final labels (default) or all annotations"
    ),
    val_fraction: float | None = typer.Option(
        None,
        "--val-fraction",
        help="yolo: share of images without a metadata split kept for validation (0.2)",
    ),
    background: bool = typer.Option(
        False,
        "--background",
        help="queue an export job (its file lands in the data directory) and return",
    ),
) -> None:
    """Export every item of PROJECT with its annotations and pre-annotations, or write it
    in a dataset format (COCO, YOLO, VOC, CoNLL, spaCy DocBin, Hugging Face, Label Studio)."""
    with reported():
        if background:
            if output is not None:
                raise InvalidInput(
                    "--background writes the file under the data directory: leave out -o "
                    "and download it from the job (labelworks jobs show ID)"
                )
            params: dict[str, Any] = {
                "format": format,
                "labels": labels or "final",
                "aggregate": aggregate,
            }
            if val_fraction is not None:
                params["val_fraction"] = val_fraction
            queue_here(ctx, "export", params, project)
            return
        if format in dataset_export.FORMATS:
            dataset_export.export_dataset(
                ctx, project, format, output, labels or "final", val_fraction
            )
            return
        if labels is not None:
            raise InvalidInput(
                f"--labels applies to the dataset formats ({', '.join(dataset_export.FORMATS)})"
            )
        if val_fraction is not None:
            raise InvalidInput("--val-fraction applies to the yolo format")
        if aggregate is not None and aggregate not in AGGREGATES:
            raise InvalidInput(f"--aggregate must be {' or '.join(AGGREGATES)}, not '{aggregate}'")
        if format not in ("jsonl", "csv", "parquet"):
            raise InvalidInput(f"--format must be jsonl, csv or parquet, not '{format}'")
        if csv_formulas not in ("escape", "raw"):
            raise InvalidInput(f"--csv-formulas must be escape or raw, not '{csv_formulas}'")
        # Checked before the output file is opened, so a refused option leaves nothing behind.
        export_service.check_export_options(format, csv_formulas)  # type: ignore[arg-type]
        if output is None and format == "parquet":
            # Parquet is binary: on standard output it lands in a terminal or in tools that
            # read lines, and a failed export would leave half a file where -o leaves none.
            raise InvalidInput(
                "a Parquet export needs -o FILE; only jsonl and csv go to standard output"
            )
        db = state(ctx).database()
        settle_heap()
        total = export_service.count_for_export(db, project)
        params = {
            "format": format,
            "aggregate": aggregate,
            "csv_formulas": csv_formulas,
            "output": "standard output" if output is None else str(output.resolve()),
        }
        with (
            recorded_here(ctx, "export", params, project) as job,
            Progress(
                TextColumn("exporting"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err_console,
                disable=not show_progress(),
            ) as bar,
        ):
            task = bar.add_task("export", total=total)
            done = 0

            def advance(n: int) -> None:
                nonlocal done
                done += n
                bar.advance(task, n)
                job.progress(done, total)

            if output is None:
                written = export_service.export_project(
                    db,
                    project,
                    sys.stdout.buffer,
                    format=format,  # type: ignore[arg-type]
                    csv_formulas=csv_formulas,  # type: ignore[arg-type]
                    progress=advance,
                    aggregate=aggregate,
                )
                sys.stdout.buffer.flush()
                job.result = {"items": written, "output": params["output"]}
            else:
                tmp = output.with_name(output.name + ".partial")
                try:
                    with tmp.open("wb") as out:
                        written = export_service.export_project(
                            db,
                            project,
                            out,
                            format=format,  # type: ignore[arg-type]
                            csv_formulas=csv_formulas,  # type: ignore[arg-type]
                            progress=advance,
                            aggregate=aggregate,
                        )
                except BaseException:
                    tmp.unlink(missing_ok=True)
                    raise
                # Only a finished export takes the target name.
                tmp.replace(output)
                job.result = {
                    "items": written,
                    "output": params["output"],
                    "bytes": output.stat().st_size,
                }
    if output is not None:
        console.print(f"exported {written:,} items from [bold]{project}[/] to {output}")
