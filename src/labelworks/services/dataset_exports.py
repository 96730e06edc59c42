"""Exports in the formats training code reads: COCO, YOLO, Pascal VOC, CoNLL-2003, spaCy
DocBin, Hugging Face ``datasets`` and Label Studio JSON.

Each format is a writer function ``write(source, target, progress) -> int`` named in
``DATASET_FORMATS`` by its import path, so loading labelworks does not load every format's
libraries. A writer reads the project through a ``DatasetSource``: the same records the JSONL
export writes (decoded), for the same caller, so vendor walls and the final-label rules hold
for every format alike.

``write_dataset`` returns what was written: the items, and the images a folder format (YOLO)
could not put beside its labels (``missing_images.txt`` in the folder lists every one of them;
the result counts them and carries the first ``MAX_LISTED``, for the caller to tell the
user). ``export_dataset`` is the same export counting only the items.
"""

from __future__ import annotations

import importlib
import importlib.util
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import orjson

from labelworks.domain.access import Actor
from labelworks.domain.errors import InvalidInput
from labelworks.domain.spec import ProjectSpec
from labelworks.formats.labelled_records import ImageFiles, MissingImage, with_decided_final
from labelworks.services import exports as export_service
from labelworks.services import projects as project_service
from labelworks.services.dataset_images import ExportImages, missing_images
from labelworks.services.object_store import S3Options
from labelworks.storage.engine import Database

DatasetLabels = Literal["final", "all"]
Progress = Callable[[int, int], None]
# The share of images a YOLO export puts in its validation split, unless their metadata says.
VAL_FRACTION = 0.2
# The missing images a result carries (the folder's file lists them all).
MAX_LISTED = 100


@dataclass(frozen=True, slots=True)
class DatasetSource:
    """What a format writer reads: the project's spec and its items.

    ``records()`` yields each item as the JSONL export writes it, decoded: ``id``,
    ``external_id``, ``status``, ``created_at``, ``payload``, ``metadata``,
    ``pre_annotations``, ``annotations`` (``[{"annotator", "created_at", "value", "seconds",
    "guideline_version"}]``) and, where the project keeps final labels and the caller may see
    them, ``final`` (``{"value", "method", "confidence", "status", ...}``). ``labels`` says
    which the writer exports: ``final`` (the final label's value; items without one carry no
    labels, and a final label awaiting adjudication is taken out of its record before any
    writer sees it) or ``all`` (every annotation). ``media_root`` is the project's media
    folder, where payload paths of local media resolve (for image sizes and the like).
    ``images`` places image files for a format that ships them (YOLO; ``None``: none are),
    and ``val_fraction`` is the share of them it splits off for validation by hash.
    """

    project: str
    spec: ProjectSpec
    labels: DatasetLabels
    total: int
    media_root: Path
    records: Callable[[], Iterator[dict[str, Any]]]
    images: ImageFiles | None = None
    val_fraction: float = VAL_FRACTION


class DatasetWriter(Protocol):
    def __call__(self, source: DatasetSource, target: Path, progress: Progress | None) -> int:
        """Write the dataset to ``target`` (a file, or a directory it creates); returns the
        number of items written."""


@dataclass(frozen=True, slots=True)
class DatasetFormat:
    """One export format: a single file or a directory (zipped when downloaded)."""

    name: str
    kind: Literal["file", "directory"]
    suffix: str
    media_type: str
    writer: str
    description: str
    # The field kind the format writes (``None``: any project), and the module it needs that
    # is an optional extra (``None``: none).
    needs: str | None = None
    requires: str | None = None

    def load(self) -> DatasetWriter:
        module, _, function = self.writer.partition(":")
        writer: DatasetWriter = getattr(importlib.import_module(module), function)
        return writer


DATASET_FORMATS: dict[str, DatasetFormat] = {
    f.name: f
    for f in (
        DatasetFormat(
            "coco",
            "file",
            ".json",
            "application/json",
            "labelworks.formats.coco:write_coco",
            "COCO object detection JSON (boxes fields)",
            needs="boxes",
        ),
        DatasetFormat(
            "yolo",
            "directory",
            "",
            "application/zip",
            "labelworks.formats.yolo:write_yolo",
            "ultralytics YOLO dataset: images and labels per split, data.yaml (boxes fields)",
            needs="boxes",
        ),
        DatasetFormat(
            "voc",
            "directory",
            "",
            "application/zip",
            "labelworks.formats.voc:write_voc",
            "Pascal VOC XML per image (boxes fields)",
            needs="boxes",
        ),
        DatasetFormat(
            "conll",
            "file",
            ".conll",
            "text/plain; charset=utf-8",
            "labelworks.formats.conll:write_conll",
            "CoNLL-2003 BIO tags (spans fields)",
            needs="spans",
        ),
        DatasetFormat(
            "docbin",
            "file",
            ".spacy",
            "application/octet-stream",
            "labelworks.formats.docbin:write_docbin",
            "spaCy DocBin (spans fields)",
            needs="spans",
            requires="spacy",
        ),
        DatasetFormat(
            "hf",
            "directory",
            "",
            "application/zip",
            "labelworks.formats.hf_dataset:write_hf_dataset",
            "Hugging Face datasets save_to_disk folder",
        ),
        DatasetFormat(
            "labelstudio",
            "file",
            ".json",
            "application/json",
            "labelworks.formats.label_studio:write_label_studio",
            "Label Studio JSON export (tasks with annotations)",
        ),
    )
}


def dataset_format(name: str) -> DatasetFormat:
    """The format called ``name``, or ``InvalidInput`` naming the ones there are."""
    try:
        return DATASET_FORMATS[name]
    except KeyError:
        known = ", ".join(sorted(DATASET_FORMATS))
        raise InvalidInput(f"unknown dataset format '{name}' (use one of {known})") from None


def available(fmt: DatasetFormat) -> bool:
    """Whether the optional library ``fmt`` needs (if any) is installed."""
    return fmt.requires is None or importlib.util.find_spec(fmt.requires) is not None


def formats_for(spec: ProjectSpec) -> list[DatasetFormat]:
    """The formats a project with ``spec`` can be written in (those needing a field kind
    it has), in registry order."""
    kinds = {field.kind for field in spec.fields}
    return [f for f in DATASET_FORMATS.values() if f.needs is None or f.needs in kinds]


def check_applicable(fmt: DatasetFormat, spec: ProjectSpec) -> None:
    """``InvalidInput`` naming the field kind ``fmt`` needs, if the project has none."""
    if fmt.needs is not None and all(field.kind != fmt.needs for field in spec.fields):
        kinds = ", ".join(sorted({field.kind for field in spec.fields}))
        raise InvalidInput(
            f"the {fmt.name} format needs a {fmt.needs} field; project '{spec.name}' has "
            f"only {kinds} fields"
        )


def check_target(fmt: DatasetFormat, target: Path) -> None:
    """Refuse a target the export would clobber: a directory format's ``target`` must not
    exist or be an empty directory, a file format's must not be a directory."""
    if fmt.kind == "directory":
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise InvalidInput(
                f"{target} exists and is not an empty directory; the {fmt.name} format "
                "writes a directory: give a new path"
            )
    elif target.is_dir():
        raise InvalidInput(f"{target} is a directory; the {fmt.name} format writes a file")


@dataclass(frozen=True, slots=True)
class DatasetExport:
    """What an export wrote: ``items`` (counted per format as the docs say) and the images a
    folder format could not include, ``missing_images`` of them, the first ``MAX_LISTED`` in
    ``missing`` (all of them in the folder's ``missing_images.txt``)."""

    items: int
    missing_images: int = 0
    missing: tuple[MissingImage, ...] = ()


def check_val_fraction(val_fraction: float) -> None:
    """Refuse a YOLO validation share outside [0, 1)."""
    if not 0 <= val_fraction < 1:
        raise InvalidInput(f"val_fraction must be at least 0 and below 1, not {val_fraction}")


def write_dataset(
    db: Database,
    project_name: str,
    format_name: str,
    target: Path,
    *,
    media_dir: Path,
    labels: DatasetLabels = "final",
    val_fraction: float = VAL_FRACTION,
    s3: S3Options | None = None,
    actor: Actor | None = None,
    progress: Progress | None = None,
) -> DatasetExport:
    """Write the project in ``format_name`` to ``target``; returns what was written.

    ``val_fraction`` (0 to below 1) is the share of a YOLO export's images that go to
    validation when their metadata names no split; ``s3``, the server's object storage
    options, lets it download ``s3://`` images (without, they are listed as missing).

    The records are first streamed to a temporary JSONL file inside one snapshot (the same
    export the ``jsonl`` format writes), so writers see a consistent project in flat memory
    and may read it more than once.
    """
    fmt = dataset_format(format_name)
    if labels not in ("final", "all"):
        raise InvalidInput(f"labels must be 'final' or 'all', not '{labels}'")
    check_val_fraction(val_fraction)
    check_target(fmt, target)
    writer = fmt.load()
    spec = project_service.get_project(db, project_name, actor=actor).spec
    check_applicable(fmt, spec)
    with tempfile.TemporaryDirectory(prefix="labelworks-export-") as tmp:
        staged = Path(tmp) / "records.jsonl"
        with staged.open("wb") as stream:
            total = export_service.export_project(
                db, project_name, stream, format="jsonl", actor=actor
            )

        def records() -> Iterator[dict[str, Any]]:
            with staged.open("rb") as lines:
                for line in lines:
                    record: dict[str, Any] = orjson.loads(line)
                    # Here, once, so every format leaves a proposal awaiting adjudication out.
                    yield with_decided_final(record) if labels == "final" else record

        source = DatasetSource(
            project=project_name,
            spec=spec,
            labels=labels,
            total=total,
            media_root=media_dir / project_name,
            records=records,
            images=ExportImages(media_dir, project_name, s3),
            val_fraction=val_fraction,
        )
        # Written beside the target and renamed when complete: a failed or cancelled export
        # leaves nothing, and a finished one replaces the file (or empty directory) whole.
        staged_target = Path(
            tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
        )
        try:
            out = staged_target / "out"
            written = writer(source, out, progress)
            missing, listed = (
                missing_images(out, MAX_LISTED) if fmt.kind == "directory" else (0, ())
            )
            if fmt.kind == "directory" and target.is_dir():
                check_target(fmt, target)
                target.rmdir()
            out.replace(target)
        finally:
            shutil.rmtree(staged_target, ignore_errors=True)
        return DatasetExport(written, missing, listed)


def export_dataset(
    db: Database,
    project_name: str,
    format_name: str,
    target: Path,
    *,
    media_dir: Path,
    labels: DatasetLabels = "final",
    val_fraction: float = VAL_FRACTION,
    s3: S3Options | None = None,
    actor: Actor | None = None,
    progress: Progress | None = None,
) -> int:
    """``write_dataset``, returning the items written only (for callers that show no
    missing images)."""
    return write_dataset(
        db,
        project_name,
        format_name,
        target,
        media_dir=media_dir,
        labels=labels,
        val_fraction=val_fraction,
        s3=s3,
        actor=actor,
        progress=progress,
    ).items


@dataclass(frozen=True, slots=True)
class DatasetDownload:
    """An export written for download: ``path`` (the file, or the directory zipped) inside
    ``folder``, a temporary directory the caller deletes once it has been sent."""

    folder: Path
    path: Path
    filename: str
    media_type: str
    items: int
    missing_images: int = 0
    missing: tuple[MissingImage, ...] = ()


def export_for_download(
    db: Database,
    project_name: str,
    format_name: str,
    *,
    media_dir: Path,
    labels: DatasetLabels = "final",
    val_fraction: float = VAL_FRACTION,
    s3: S3Options | None = None,
    actor: Actor | None = None,
) -> DatasetDownload:
    """Write the export into a new temporary directory, a directory format zipped (its
    files under one folder named ``PROJECT-FORMAT``), for a server to send whole."""
    fmt = dataset_format(format_name)
    folder = Path(tempfile.mkdtemp(prefix="labelworks-download-"))
    try:
        stem = f"{project_name}-{fmt.name}"
        written = folder / stem if fmt.kind == "directory" else folder / f"{stem}{fmt.suffix}"
        result = write_dataset(
            db,
            project_name,
            fmt.name,
            written,
            media_dir=media_dir,
            labels=labels,
            val_fraction=val_fraction,
            s3=s3,
            actor=actor,
        )
        if fmt.kind == "directory":
            zipped = folder / f"{stem}.zip"
            with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(written.rglob("*")):
                    archive.write(path, path.relative_to(folder).as_posix())
            shutil.rmtree(written)
            written = zipped
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return DatasetDownload(
        folder,
        written,
        written.name,
        fmt.media_type,
        result.items,
        result.missing_images,
        result.missing,
    )
