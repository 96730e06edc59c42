"""The built-in job kinds: imports and exports (more kinds register from their modules)."""

from __future__ import annotations

import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

from labelworks.domain.access import Action
from labelworks.domain.errors import InvalidImport, InvalidInput
from labelworks.jobs.kinds import JobContext, JobKind, amount, listed, register, text_param
from labelworks.services import exports as export_service
from labelworks.services import ingestion
from labelworks.services.aggregates import AGGREGATES
from labelworks.services.dataset_exports import DATASET_FORMATS, VAL_FRACTION, write_dataset
from labelworks.services.object_store import s3_options

EXPORT_FORMATS = ("jsonl", "csv", "parquet", *DATASET_FORMATS)
SUFFIX = {"jsonl": ".jsonl", "csv": ".csv", "parquet": ".parquet"}
# Images an export could not include, listed in its job's result (all of them are in the
# export's missing_images.txt).
MISSING_LISTED = 20


class _Counting:
    """A binary file that reports how far it has been read."""

    def __init__(self, path: Path, ctx: JobContext) -> None:
        self._file = path.open("rb")
        self._total = path.stat().st_size
        self._ctx = ctx
        self._done = 0
        self._ctx.progress(0, self._total)

    def _count(self, n: int) -> None:
        self._done += n
        self._ctx.progress(self._done, self._total)

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size)
        self._count(len(data))
        return data

    def readinto(self, buffer: Any) -> int:
        n = self._file.readinto(buffer)
        self._count(n or 0)
        return int(n or 0)

    def read1(self, size: int = -1) -> bytes:
        data = self._file.read1(size)
        self._count(len(data))
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self._file.readline(size)
        self._count(len(data))
        return data

    def __iter__(self) -> Any:
        return iter(self.readline, b"")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)

    def close(self) -> None:
        self._file.close()


def _check_import(params: dict[str, Any]) -> dict[str, Any]:
    fmt = text_param(params, "format", choices=tuple(sorted(set(ingestion.SUFFIXES.values()))))
    return {
        "path": text_param(params, "path"),
        "format": fmt,
        "source": text_param(params, "source"),
        "staged": bool(params.get("staged", False)),
        "create_annotators": params.get("create_annotators", False) is True,
    }


def _run_import(ctx: JobContext) -> dict[str, Any]:
    path = Path(ctx.params["path"])
    if not path.is_file():
        raise InvalidImport(f"{ctx.params['source']} is no longer there to import")
    reader = _Counting(path, ctx)
    try:
        summary = ingestion.import_items(
            ctx.db,
            ctx.project,
            reader,  # type: ignore[arg-type]
            format=ctx.params["format"],
            source=ctx.params["source"],
            batch_size=ctx.settings.import_batch_size,
            actor=ctx.actor,
            create_annotators=ctx.params.get("create_annotators", False),
        )
    finally:
        reader.close()
    if ctx.params.get("staged"):
        # An upload the server kept for this job alone; done with it.
        path.unlink(missing_ok=True)
    return import_result(summary)


def import_result(summary: ingestion.ImportSummary) -> dict[str, Any]:
    """An import's counts as its job's result."""
    counts = asdict(summary)
    return {key: value for key, value in counts.items() if key not in ("project", "source")}


def _check_export(params: dict[str, Any]) -> dict[str, Any]:
    fmt = text_param(params, "format", choices=EXPORT_FORMATS)
    labels = params.get("labels", "final")
    if labels not in ("final", "all"):
        raise InvalidInput("job parameter 'labels' must be 'final' or 'all'")
    aggregate = params.get("aggregate")
    if aggregate is not None and aggregate not in AGGREGATES:
        raise InvalidInput(f"job parameter 'aggregate' must be one of {', '.join(AGGREGATES)}")
    val_fraction = params.get("val_fraction", VAL_FRACTION)
    if (
        isinstance(val_fraction, bool)
        or not isinstance(val_fraction, int | float)
        or not 0 <= val_fraction < 1
    ):
        raise InvalidInput("job parameter 'val_fraction' must be a number from 0 to below 1")
    return {
        "format": fmt,
        "labels": labels,
        "aggregate": aggregate,
        "val_fraction": float(val_fraction),
    }


def _run_export(ctx: JobContext) -> dict[str, Any]:
    fmt = ctx.params["format"]
    out = ctx.output_dir()
    missing: dict[str, Any] = {}
    if fmt in DATASET_FORMATS:
        dataset = DATASET_FORMATS[fmt]
        target = out / f"{ctx.project}-{fmt}{dataset.suffix}"
        if target.is_dir():
            shutil.rmtree(target)
        written = write_dataset(
            ctx.db,
            ctx.project,
            fmt,
            target,
            media_dir=ctx.settings.data_dir / "media",
            labels=ctx.params["labels"],
            val_fraction=ctx.params.get("val_fraction", VAL_FRACTION),
            s3=s3_options(ctx.settings),
            actor=ctx.actor,
            progress=ctx.progress,
        )
        items = written.items
        if written.missing_images:
            missing = {
                "missing_images": written.missing_images,
                "missing": [asdict(m) for m in written.missing[:MISSING_LISTED]],
            }
        if dataset.kind == "directory":
            archive = shutil.make_archive(str(target), "zip", root_dir=target)
            shutil.rmtree(target)
            target = Path(archive)
    else:
        total = export_service.count_for_export(ctx.db, ctx.project, actor=ctx.actor)
        target = out / f"{ctx.project}{SUFFIX[fmt]}"
        done = 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            ctx.progress(done, total)

        ctx.progress(0, total)
        with target.open("wb") as stream:
            items = export_service.export_project(
                ctx.db,
                ctx.project,
                stream,
                format=fmt,
                progress=advance,
                actor=ctx.actor,
                aggregate=ctx.params["aggregate"],
            )
    return {"items": items, "file": target.name, "bytes": target.stat().st_size, **missing}


def _import_what(params: dict[str, Any]) -> str:
    return f"from {params.get('source', params.get('path', ''))} ({params.get('format', '')})"


def _import_outcome(r: dict[str, Any]) -> str:
    if "rows" not in r:
        return listed(r)
    new, old = r.get("inserted", 0), r.get("skipped_duplicates", 0)
    return f"{r['rows']:,} rows: {new:,} new, {old:,} already there"


def _export_what(params: dict[str, Any]) -> str:
    fmt = str(params.get("format", ""))
    labels = "final labels" if params.get("labels", "final") == "final" else "all annotations"
    return fmt + (f", {labels}" if fmt in DATASET_FORMATS else "")


def _export_outcome(r: dict[str, Any]) -> str:
    if "items" not in r:
        return listed(r)
    size = f", {amount(int(r['bytes']), 'bytes')}" if "bytes" in r else ""
    where = f" to {r['output']}" if "output" in r else ""
    missing = r.get("missing_images")
    lost = f"; {missing:,} images not included (missing_images.txt)" if missing else ""
    return f"{r['items']:,} items{size}{where}{lost}"


IMPORT = register(
    JobKind(
        name="import",
        title="Import items",
        action=Action.MANAGE,
        # Safe to run again: rows the project already has are skipped as duplicates.
        max_attempts=3,
        check=_check_import,
        run=_run_import,
        unit="bytes",
        what=_import_what,
        outcome=_import_outcome,
    )
)
EXPORT = register(
    JobKind(
        name="export",
        title="Export",
        action=Action.REVIEW,
        max_attempts=3,  # rewrites its own file from the start
        check=_check_export,
        run=_run_export,
        what=_export_what,
        outcome=_export_outcome,
    )
)
