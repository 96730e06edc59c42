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

from labelworks.cli.context import (
    console,
    err_console,
    reported,
    settle_heap,
    show_progress,
    state,
)
from labelworks.domain.errors import InvalidImport, InvalidInput
from labelworks.services import exports as export_service
from labelworks.services import ingestion
from labelworks.services import projects as project_service
from labelworks.services.aggregates import AGGREGATES


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
    file: Path = typer.Argument(..., help="JSONL, JSON array, CSV or Parquet file"),
    format: str | None = typer.Option(
        None, "--format", help="jsonl, json, csv or parquet (default: from the file extension)"
    ),
) -> None:
    """Import items into PROJECT from FILE: all rows or none."""
    with reported():
        fmt = _format_of(file, format)
        if not file.is_file():
            raise InvalidImport(f"{file} does not exist or is not a file")
        db = state(ctx).database()
        # A missing project is reported before the progress bar is drawn.
        project_service.get_project(db, project)
        settle_heap()
        size = file.stat().st_size
        with (
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
            reader = _CountingReader(raw, lambda n: bar.advance(task, n))
            summary = ingestion.import_items(
                db,
                project,
                reader,  # type: ignore[arg-type]
                format=fmt,  # type: ignore[arg-type]
                source=str(file),
                batch_size=state(ctx).settings.import_batch_size,
            )
    console.print(
        f"imported {summary.inserted:,} new items into [bold]{summary.project}[/] "
        f"from {summary.rows:,} rows; {summary.skipped_duplicates:,} duplicates skipped"
    )


def export_command(
    ctx: typer.Context,
    project: str = typer.Argument(..., help="project name"),
    format: str = typer.Option("jsonl", "--format", help="jsonl, csv or parquet"),
    output: Path | None = typer.Option(None, "-o", "--output", help="file (default: stdout)"),
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
) -> None:
    """Export every item of PROJECT with its annotations and pre-annotations."""
    with reported():
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
        with Progress(
            TextColumn("exporting"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            disable=not show_progress(),
        ) as bar:
            task = bar.add_task("export", total=total)
            if output is None:
                written = export_service.export_project(
                    db,
                    project,
                    sys.stdout.buffer,
                    format=format,  # type: ignore[arg-type]
                    csv_formulas=csv_formulas,  # type: ignore[arg-type]
                    progress=lambda n: bar.advance(task, n),
                    aggregate=aggregate,
                )
                sys.stdout.buffer.flush()
            else:
                tmp = output.with_name(output.name + ".partial")
                with tmp.open("wb") as out:
                    written = export_service.export_project(
                        db,
                        project,
                        out,
                        format=format,  # type: ignore[arg-type]
                        csv_formulas=csv_formulas,  # type: ignore[arg-type]
                        progress=lambda n: bar.advance(task, n),
                    )
                # Only a finished export takes the target name.
                tmp.replace(output)
    if output is not None:
        console.print(f"exported {written:,} items from [bold]{project}[/] to {output}")
