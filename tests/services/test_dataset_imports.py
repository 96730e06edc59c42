"""COCO, YOLO and VOC through the database: imported as pre-annotations, annotated, exported."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pycocotools.coco import COCO
from tests.services.builders import add_annotators

from labelworks.domain.errors import InvalidImport, InvalidInput
from labelworks.domain.spec import spec_from_dict
from labelworks.services import projects as project_service
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.dataset_exports import export_dataset
from labelworks.services.dataset_imports import import_dataset
from labelworks.services.exports import export_project
from labelworks.storage.engine import Database

T0 = datetime(2026, 1, 1, 12, 0, 0)
SPEC = {
    "name": "shots",
    "fields": [
        {
            "name": "objects",
            "kind": "boxes",
            "labels": ["cat", "dog"],
            "width_key": "w",
            "height_key": "h",
        }
    ],
    "overlap": 1,
}
BOXES = [
    [{"x": 10, "y": 20, "width": 30, "height": 40, "label": "cat"}],
    [
        {"x": 1.5, "y": 2.5, "width": 50, "height": 60, "label": "dog"},
        {"x": 0, "y": 0, "width": 200, "height": 100, "label": "cat"},
    ],
]
COCO_DOC: dict[str, Any] = {
    "images": [
        {"id": 11, "file_name": "a.jpg", "width": 200, "height": 100},
        {"id": 12, "file_name": "b.jpg", "width": 200, "height": 100},
    ],
    "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
    "annotations": [
        {"id": 1, "image_id": 11, "category_id": 1, "bbox": [10, 20, 30, 40]},
        {"id": 2, "image_id": 12, "category_id": 2, "bbox": [1.5, 2.5, 50, 60]},
        {"id": 3, "image_id": 12, "category_id": 1, "bbox": [0, 0, 200, 100]},
    ],
}


def _project(db: Database) -> None:
    project_service.apply_spec(db, spec_from_dict(SPEC), guidelines="# Boxes")


def _records(db: Database) -> list[dict[str, Any]]:
    out = io.BytesIO()
    export_project(db, "shots", out, format="jsonl")
    return [json.loads(line) for line in out.getvalue().splitlines()]


def _coco_file(tmp_path: Path, doc: dict[str, Any]) -> Path:
    path = tmp_path / "instances.json"
    path.write_text(json.dumps(doc))
    return path


def test_coco_imports_as_pre_annotations_and_exports_back(db: Database, tmp_path: Path) -> None:
    """A COCO file becomes items with a coco-import prediction each; annotated as predicted,
    the project's COCO export holds the same boxes (read by pycocotools)."""
    _project(db)
    summary = import_dataset(
        db, "shots", _coco_file(tmp_path, COCO_DOC), format="coco", name="instances.json"
    )
    assert (summary.rows, summary.inserted, summary.skipped_duplicates) == (2, 2, 0)
    records = _records(db)
    assert [(r["payload"], r["pre_annotations"]) for r in records] == [
        (
            {"image": name, "w": 200, "h": 100},
            [{"model": "coco-import", "score": None, "value": {"objects": boxes}}],
        )
        for name, boxes in zip(("a.jpg", "b.jpg"), BOXES, strict=True)
    ]
    (who,) = add_annotators(db, "shots", 1)
    for boxes in BOXES:
        task = next_task_for(db, "shots", who, now=T0)
        assert task is not None
        submit_annotation(
            db,
            task.assignment_id,
            who,
            value={"objects": boxes},
            seconds=3.0,
            idempotency_key=f"k{task.item_id}",
            now=T0,
        )
    target = tmp_path / "out.json"
    written = export_dataset(db, "shots", "coco", target, media_dir=tmp_path, labels="all")
    coco = COCO(str(target))
    assert written == 2
    assert [
        [
            (a["bbox"], coco.cats[a["category_id"]]["name"])
            for a in coco.loadAnns(coco.getAnnIds(imgIds=[i]))
        ]
        for i in coco.getImgIds()
    ] == [
        [([b["x"], b["y"], b["width"], b["height"]], b["label"]) for b in boxes] for boxes in BOXES
    ]


def test_reimport_skips_duplicates(db: Database, tmp_path: Path) -> None:
    """Importing the same COCO file twice adds nothing the second time."""
    _project(db)
    path = _coco_file(tmp_path, COCO_DOC)
    import_dataset(db, "shots", path, format="coco", name="instances.json")
    again = import_dataset(db, "shots", path, format="coco", name="instances.json")
    assert (again.rows, again.inserted, again.skipped_duplicates) == (2, 0, 2)


def test_a_bad_file_imports_nothing(db: Database, tmp_path: Path) -> None:
    """A COCO file whose last box leaves its image is refused whole: no item is created."""
    _project(db)
    doc = {**COCO_DOC, "annotations": [*COCO_DOC["annotations"]]}
    doc["annotations"].append(
        {"id": 99, "image_id": 12, "category_id": 1, "bbox": [150, 0, 60, 10]}
    )
    with pytest.raises(InvalidImport) as caught:
        import_dataset(db, "shots", _coco_file(tmp_path, doc), format="coco", name="in.json")
    assert str(caught.value) == (
        "in.json, field 'annotations[3].bbox': annotation 99 leaves the image: it reaches "
        "x 210, y 10 in an image of 200 by 100"
    )
    assert _records(db) == []


def test_voc_zip_imports_with_progress(db: Database) -> None:
    """A VOC zip imports through the same importer, reporting progress as (done, total)."""
    _project(db)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "Annotations/a.xml",
            "<annotation><filename>a.jpg</filename><size><width>200</width><height>100</height>"
            "</size><object><name>dog</name><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>11</xmax>"
            "<ymax>12</ymax></bndbox></object></annotation>",
        )
    buffer.seek(0)
    calls: list[tuple[int, int]] = []
    import_dataset(
        db,
        "shots",
        buffer,
        format="voc",
        name="voc.zip",
        progress=lambda d, t: calls.append((d, t)),
    )
    assert (calls, [r["pre_annotations"][0]["value"] for r in _records(db)]) == (
        [(1, 1)],
        [{"objects": [{"x": 1, "y": 2, "width": 10, "height": 10, "label": "dog"}]}],
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"format": "kitti"}, "format must be one of coco, yolo, voc, not 'kitti'"),
        ({"format": "coco", "as_": "gold"}, "as must be 'pre' or 'annotations', not 'gold'"),
        (
            {"format": "yolo", "as_": "annotations"},
            "YOLO labels name no annotator: pass the annotator's email",
        ),
        (
            {"format": "coco", "field": "nope"},
            "the project has no boxes field 'nope' (boxes fields: objects)",
        ),
    ],
)
def test_bad_options_are_refused(db: Database, options: dict[str, Any], message: str) -> None:
    """Unknown formats, modes and fields are refused before anything is read."""
    _project(db)
    with pytest.raises(InvalidInput) as caught:
        import_dataset(db, "shots", io.BytesIO(b"{}"), name="x", **options)
    assert str(caught.value) == message
