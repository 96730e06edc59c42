"""Importing COCO, YOLO and Pascal VOC annotations of images through the regular importer.

A converter (``formats/coco.py``, ``yolo.py``, ``voc.py``) checks the whole source and turns
each image into an importer row: the payload with the image path (the boxes field's
``source`` key) and, when the field has size keys, the image's size (otherwise the size goes
to the metadata as media processing writes it); its boxes as a ``<format>-import``
pre-annotation, or as finished ``annotations`` by annotator email. The rows are staged as
JSONL and imported by ``ingestion.import_items``: all or nothing, duplicates skipped, errors
naming the file, line and field (a line of the staged rows is the n-th image).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, Literal

import orjson

from labelworks.domain.access import Actor
from labelworks.domain.errors import InvalidImport, InvalidInput, Location
from labelworks.formats.coco import coco_rows
from labelworks.formats.image_boxes import SourceTree, boxes_field
from labelworks.formats.voc import voc_rows
from labelworks.formats.yolo import yolo_rows
from labelworks.services import ingestion
from labelworks.services import projects as project_service
from labelworks.storage.engine import Database

DatasetImportFormat = Literal["coco", "yolo", "voc"]
ImportAs = Literal["pre", "annotations"]
IMPORT_FORMATS: tuple[DatasetImportFormat, ...] = ("coco", "yolo", "voc")
IMPORT_AS: tuple[ImportAs, ...] = ("pre", "annotations")
# A COCO file is read whole (its annotations refer to images anywhere in it).
MAX_COCO_BYTES = 2 * 1024**3


def check_options(format: str, as_: str, annotator: str | None) -> None:
    """Refuse an unknown format or ``as``, before anything is read."""
    if format not in IMPORT_FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(IMPORT_FORMATS)}, not '{format}'")
    if as_ not in IMPORT_AS:
        raise InvalidInput(f"as must be 'pre' or 'annotations', not '{as_}'")
    if annotator is not None and as_ != "annotations":
        raise InvalidInput("an annotator is only given when importing finished annotations")
    if format == "yolo" and as_ == "annotations" and not annotator:
        raise InvalidInput("YOLO labels name no annotator: pass the annotator's email")


def _rows(
    fmt: str,
    source: Path | BinaryIO,
    name: str,
    tree_holder: list[SourceTree],
    field: Any,
    as_: str,
    annotator: str | None,
    media_root: Path | None,
) -> Iterator[dict[str, Any]]:
    finished = as_ == "annotations"
    if fmt == "coco":
        if isinstance(source, Path):
            if not source.is_file():
                raise InvalidImport("does not exist or is not a file", location=Location(file=name))
            if source.stat().st_size > MAX_COCO_BYTES:
                raise InvalidImport(
                    f"a COCO file over {MAX_COCO_BYTES:,} bytes is refused",
                    location=Location(file=name),
                )
            data = source.read_bytes()
        else:
            data = source.read(MAX_COCO_BYTES + 1)
            if len(data) > MAX_COCO_BYTES:
                raise InvalidImport(
                    f"a COCO file over {MAX_COCO_BYTES:,} bytes is refused",
                    location=Location(file=name),
                )
        return coco_rows(data, name, field, annotations=finished, annotator=annotator)
    tree = SourceTree.open(source, name)
    tree_holder.append(tree)
    if fmt == "yolo":
        return yolo_rows(tree, field, media_root, annotator=annotator if finished else None)
    return voc_rows(tree, field, annotations=finished, annotator=annotator)


def import_dataset(
    db: Database,
    project_name: str,
    source: Path | BinaryIO,
    *,
    format: str,
    name: str,
    as_: str = "pre",
    annotator: str | None = None,
    field: str | None = None,
    media_dir: Path | None = None,
    create_annotators: bool = False,
    actor: Actor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ingestion.ImportSummary:
    """Import a COCO file, or a YOLO or Pascal VOC folder or zip archive, into the project.

    ``name`` names the source in errors. ``field`` picks the boxes field (default: the
    project's first). ``media_dir`` is where project media live, for YOLO image sizes.
    Finished annotations name their annotators by email: unknown ones are refused unless
    ``create_annotators``.
    """
    check_options(format, as_, annotator)
    spec = project_service.get_project(db, project_name, actor=actor).spec
    boxes = boxes_field(spec.fields, field)
    media_root = media_dir / project_name if media_dir is not None else None
    trees: list[SourceTree] = []
    try:
        with tempfile.TemporaryDirectory(prefix="labelworks-import-") as tmp:
            staged = Path(tmp) / "rows.jsonl"
            count = 0
            rows = _rows(format, source, name, trees, boxes, as_, annotator, media_root)
            with staged.open("wb") as out:
                for row in rows:
                    out.write(orjson.dumps(row) + b"\n")
                    count += 1
            if count == 0:
                raise InvalidImport("holds no images", location=Location(file=name))
            done = 0

            def advance(n: int) -> None:
                nonlocal done
                done += n
                if progress is not None:
                    progress(done, count)

            with staged.open("rb") as stream:
                return ingestion.import_items(
                    db,
                    project_name,
                    stream,
                    format="jsonl",
                    source=f"{name} (image rows)",
                    progress=advance,
                    actor=actor,
                    create_annotators=create_annotators,
                )
    finally:
        for tree in trees:
            tree.close()
