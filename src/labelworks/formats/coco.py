"""COCO object detection JSON: export (streamed) and import (into importer rows).

Export: ``images`` (``id`` = the item's id, ``file_name`` = the payload's image value,
``width``/``height``), ``categories`` (the field's labels, ids from 1) and ``annotations``
(``bbox`` = [x, y, width, height] in pixels, ``area``, ``iscrowd`` 0; ``annotator`` when
all annotations are exported, ``score`` when a box has one). The images are written as the
records stream by and the annotations spill to a temporary file, copied in at the end: memory
stays flat whatever the number of boxes.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from labelworks.domain.errors import InvalidImport, InvalidInput, Location
from labelworks.domain.fields import BoxesField
from labelworks.formats.image_boxes import (
    BoxesSource,
    Progress,
    box_value,
    boxes_field,
    check_box,
    clamp_box,
    image_size,
    image_value,
    import_row,
    labelled_boxes,
    number,
    remove_partial,
    report,
)

SPILL_BUFFER = 1024 * 1024


def write_coco(source: BoxesSource, target: Path, progress: Progress | None) -> int:
    """Write the project's boxes as one COCO JSON file; returns the images written."""
    field = boxes_field(source.spec.fields)
    category = {label: i + 1 for i, label in enumerate(field.labels)}
    try:
        return _write(source, field, category, target, progress)
    except BaseException:
        remove_partial(target)
        raise


def _write(
    source: BoxesSource,
    field: BoxesField,
    category: dict[str, int],
    target: Path,
    progress: Progress | None,
) -> int:
    info = {
        "description": f"labelworks export of {field.name} ({source.labels} labels)",
        "date_created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    categories = [{"id": i, "name": name, "supercategory": ""} for name, i in category.items()]
    images = boxes = done = 0
    with (
        tempfile.TemporaryFile(buffering=SPILL_BUFFER) as spill,
        target.open("wb", buffering=SPILL_BUFFER) as out,
    ):
        out.write(b'{"info":' + orjson.dumps(info) + b',"licenses":[],"categories":')
        out.write(orjson.dumps(categories) + b',"images":[')
        for record in source.records():
            done += 1
            groups = labelled_boxes(record, field, source.labels)
            if groups is not None:
                width, height = image_size(record, field, source.media_root)
                image = {
                    "id": record["id"],
                    "file_name": image_value(record, field),
                    "width": number(width),
                    "height": number(height),
                }
                out.write((b"," if images else b"") + orjson.dumps(image))
                images += 1
                for annotator, given in groups:
                    for box in given:
                        boxes += 1
                        entry = _annotation(record, field, category, box, boxes, annotator)
                        spill.write((b"," if boxes > 1 else b"") + orjson.dumps(entry))
            report(progress, done, source.total)
        out.write(b'],"annotations":[')
        spill.seek(0)
        shutil.copyfileobj(spill, out, SPILL_BUFFER)
        out.write(b"]}\n")
    report(progress, done, source.total, last=True)
    return images


def _annotation(
    record: dict[str, Any],
    field: BoxesField,
    category: dict[str, int],
    box: dict[str, Any],
    ann_id: int,
    annotator: str | None,
) -> dict[str, Any]:
    label = box.get("label")
    if label not in category:
        raise InvalidInput(
            f"item {record['id']} has a box labelled {label!r}, which is not among the "
            f"field's labels ({', '.join(category)})",
            location=Location(field=field.name),
        )
    x, y, w, h = (float(box[k]) for k in ("x", "y", "width", "height"))
    entry: dict[str, Any] = {
        "id": ann_id,
        "image_id": record["id"],
        "category_id": category[label],
        "bbox": [number(x), number(y), number(w), number(h)],
        "area": number(w * h),
        "iscrowd": 0,
    }
    if annotator is not None:
        entry["annotator"] = annotator
    if "score" in box:
        entry["score"] = box["score"]
    return entry


# --- import -------------------------------------------------------------------------------


def _list(data: dict[str, Any], key: str, name: str, *, required: bool = True) -> list[Any]:
    value = data.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or (required and key == "categories" and not value):
        raise InvalidImport(
            f"a COCO file needs a non-empty '{key}' list"
            if key == "categories"
            else f"a COCO file needs a '{key}' list",
            location=Location(file=name, field=key),
        )
    return value


def _object(value: Any, name: str, where: str, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidImport("must be a JSON object", location=Location(file=name, field=where))
    for key in keys:
        if key not in value:
            raise InvalidImport(
                f"has no '{key}'", location=Location(file=name, field=f"{where}.{key}")
            )
    return value


def _shown(value: Any) -> str:
    """A value as an error shows it: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _id(value: Any, name: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidImport(
            f"must be an integer id, got {_shown(value)}", location=Location(file=name, field=where)
        )
    return value


def _size(value: Any, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise InvalidImport(
            f"must be a positive number, got {_shown(value)}",
            location=Location(file=name, field=where),
        )
    return float(value)


def coco_rows(
    data: bytes,
    name: str,
    field: BoxesField,
    *,
    annotations: bool = False,
    annotator: str | None = None,
) -> Iterator[dict[str, Any]]:
    """The importer's rows for a COCO file's images, in the file's order: each image's boxes
    as a ``coco-import`` pre-annotation, or (``annotations``) as finished annotations by the
    ``annotator`` each COCO annotation names, else by ``annotator``.

    Everything is checked before the first row: categories must be the field's labels, every
    annotation must name a known image and category, and its box must lie in its image.
    """
    # Checked before decoding: a document that is no object (a deeply nested array, say) is
    # refused the same way whatever nesting limit the installed orjson has.
    if not bytes(data[:4096]).lstrip(b" \t\r\n\xef\xbb\xbf").startswith(b"{"):
        raise InvalidImport("a COCO file is a JSON object", location=Location(file=name))
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidImport(f"not JSON: {exc}", location=Location(file=name)) from None
    if not isinstance(doc, dict):
        raise InvalidImport("a COCO file is a JSON object", location=Location(file=name))
    labels = _categories(_list(doc, "categories", name), name, field)
    images: dict[int, tuple[str, tuple[float, float]]] = {}
    for i, raw in enumerate(_list(doc, "images", name)):
        where = f"images[{i}]"
        image = _object(raw, name, where, ("id", "file_name", "width", "height"))
        image_id = _id(image["id"], name, f"{where}.id")
        if image_id in images:
            raise InvalidImport(
                f"image id {image_id} is used twice", location=Location(file=name, field=where)
            )
        if not isinstance(image["file_name"], str) or not image["file_name"]:
            raise InvalidImport(
                "must be a non-empty string",
                location=Location(file=name, field=f"{where}.file_name"),
            )
        size = (
            _size(image["width"], name, f"{where}.width"),
            _size(image["height"], name, f"{where}.height"),
        )
        images[image_id] = (image["file_name"], size)
    by_image: dict[int, dict[str | None, list[dict[str, Any]]]] = {i: {} for i in images}
    for i, raw in enumerate(_list(doc, "annotations", name, required=False)):
        where = f"annotations[{i}]"
        ann = _object(raw, name, where, ("image_id", "category_id", "bbox"))
        said = f"annotation {_shown(ann.get('id', i))}"
        image_id = _id(ann["image_id"], name, f"{where}.image_id")
        if image_id not in images:
            raise InvalidImport(
                f"{said} is on image {image_id}, which 'images' does not list",
                location=Location(file=name, field=f"{where}.image_id"),
            )
        category_id = _id(ann["category_id"], name, f"{where}.category_id")
        if category_id not in labels:
            raise InvalidImport(
                f"{said} has category {category_id}, which 'categories' does not list",
                location=Location(file=name, field=f"{where}.category_id"),
            )
        box = _bbox(ann["bbox"], name, f"{where}.bbox", said)
        size = images[image_id][1]
        check_box(box, size, Location(file=name, field=f"{where}.bbox"), said)
        who: str | None = None
        if annotations:
            who = ann.get("annotator", annotator)
            if not isinstance(who, str) or not who:
                raise InvalidImport(
                    f"{said} names no annotator; give each an 'annotator' email or pass one "
                    "for all",
                    location=Location(file=name, field=f"{where}.annotator"),
                )
        value = box_value(labels[category_id], clamp_box(box, size), ann.get("score"))
        by_image[image_id].setdefault(who, []).append(value)
    model = "coco-import"
    for image_id, (file_name, size) in images.items():
        groups = by_image[image_id]
        if not annotations:
            yield import_row(
                field, file_name, size, groups.get(None, []), model=model, annotators=None
            )
        else:
            if not groups and annotator is not None:
                groups = {annotator: []}
            given = [(who, boxes) for who, boxes in groups.items() if who is not None]
            yield import_row(field, file_name, size, [], model=model, annotators=given)


def _categories(raw: list[Any], name: str, field: BoxesField) -> dict[int, str]:
    labels: dict[int, str] = {}
    for i, entry in enumerate(raw):
        where = f"categories[{i}]"
        category = _object(entry, name, where, ("id", "name"))
        category_id = _id(category["id"], name, f"{where}.id")
        label = category["name"]
        if label not in field.labels:
            raise InvalidImport(
                f"category {label!r} is not a label of field '{field.name}' "
                f"({', '.join(field.labels)})",
                location=Location(file=name, field=f"{where}.name"),
            )
        labels[category_id] = label
    return labels


def _bbox(value: Any, name: str, where: str, said: str) -> tuple[float, float, float, float]:
    if (
        not isinstance(value, list)
        or len(value) != 4
        or any(isinstance(v, bool) or not isinstance(v, int | float) for v in value)
    ):
        raise InvalidImport(
            f"{said}: bbox must be [x, y, width, height] in pixels, got {_shown(value)}",
            location=Location(file=name, field=where),
        )
    return float(value[0]), float(value[1]), float(value[2]), float(value[3])
