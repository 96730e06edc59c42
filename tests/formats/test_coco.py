"""COCO: the export read back by pycocotools, the import's rows, and bad COCO files refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pycocotools.coco import COCO
from tests.formats.boxes_data import BOXES, IMAGES, LABELS, boxes_spec, records, source

from labelworks.domain.errors import InvalidImport, InvalidInput
from labelworks.formats.coco import coco_rows, write_coco
from labelworks.formats.image_boxes import boxes_field

FIELD = boxes_field(boxes_spec().fields)


def _export(tmp_path: Path, **kwargs: Any) -> Path:
    target = tmp_path / "coco.json"
    calls: list[tuple[int, int]] = []
    written = write_coco(source(**kwargs), target, lambda d, t: calls.append((d, t)))
    assert (written, calls[-1]) == (3, (4, 4))
    return target


def test_export_reads_back_with_pycocotools(tmp_path: Path) -> None:
    """pycocotools loads the export: its images, categories and each image's boxes."""
    coco = COCO(str(_export(tmp_path, recs=records())))
    assert coco.loadImgs(coco.getImgIds()) == [
        {"id": i, "file_name": IMAGES[i], "width": 640, "height": 480} for i in (1, 2, 3)
    ]
    assert coco.loadCats(coco.getCatIds()) == [
        {"id": i + 1, "name": name, "supercategory": ""} for i, name in enumerate(LABELS)
    ]
    got = {
        i: [
            (a["bbox"], coco.cats[a["category_id"]]["name"])
            for a in coco.loadAnns(coco.getAnnIds(imgIds=[i]))
        ]
        for i in (1, 2, 3)
    }
    assert got == {
        i: [([b["x"], b["y"], b["width"], b["height"]], b["label"]) for b in BOXES[i]]
        for i in (1, 2, 3)
    }
    assert coco.loadAnns([1, 3]) == [
        {
            "id": 1,
            "image_id": 1,
            "category_id": 1,
            "bbox": [10, 20, 30, 40],
            "area": 1200,
            "iscrowd": 0,
        },
        {
            "id": 3,
            "image_id": 2,
            "category_id": 2,
            "bbox": [5.5, 6.25, 100, 50],
            "area": 5000,
            "iscrowd": 0,
        },
    ]


def test_all_annotations_carry_their_annotator(tmp_path: Path) -> None:
    """With every annotation exported, each COCO annotation names its annotator."""
    doc = json.loads(_export(tmp_path, recs=records(final=False), labels="all").read_text())
    assert [(a["image_id"], a["annotator"], a["bbox"]) for a in doc["annotations"]] == [
        (1, "ann0@example.com", [10, 20, 30, 40]),
        (1, "ann0@example.com", [0, 0, 640, 480]),
        (1, "ann1@example.com", [10, 20, 30, 40]),
        (2, "ann0@example.com", [5.5, 6.25, 100, 50]),
        (2, "ann1@example.com", [5.5, 6.25, 100, 50]),
    ]


def test_round_trip_gives_the_same_boxes(tmp_path: Path) -> None:
    """Exported, then converted back: each image's payload and boxes as they were."""
    data = _export(tmp_path, recs=records()).read_bytes()
    rows = list(coco_rows(data, "coco.json", FIELD))
    assert rows == [
        {
            "payload": {"image": IMAGES[i], "w": 640, "h": 480},
            "pre_annotations": [{"model": "coco-import", "value": {"objects": BOXES[i]}}],
        }
        for i in (1, 2, 3)
    ]


def test_finished_annotations_group_by_annotator(tmp_path: Path) -> None:
    """As finished annotations, each annotator's boxes of an image are one annotation."""
    data = _export(tmp_path, recs=records(final=False), labels="all").read_bytes()
    rows = list(coco_rows(data, "c.json", FIELD, annotations=True, annotator="x@example.com"))
    assert [r["annotations"] for r in rows] == [
        [
            {"annotator": "ann0@example.com", "value": {"objects": BOXES[1]}},
            {"annotator": "ann1@example.com", "value": {"objects": BOXES[1][:1]}},
        ],
        [
            {"annotator": "ann0@example.com", "value": {"objects": BOXES[2]}},
            {"annotator": "ann1@example.com", "value": {"objects": BOXES[2]}},
        ],
        [{"annotator": "x@example.com", "value": {"objects": []}}],
    ]


def test_sizes_from_media_metadata_or_the_file(tmp_path: Path) -> None:
    """Without size keys the size comes from media processing's metadata, else the file's
    header under the media folder; the import then keeps the size in the metadata."""
    spec = boxes_spec(size_keys=False)
    Image.new("RGB", (64, 48)).save(tmp_path / "a.png")
    recs = [
        {"id": 1, "payload": {"image": "a.png"}, "final": {"value": {"objects": []}}},
        {
            "id": 2,
            "payload": {"image": "b.png"},
            "metadata": {"media": {"image": {"width": 800, "height": 600}}},
            "final": {
                "value": {"objects": [{"x": 1, "y": 2, "width": 3, "height": 4, "label": "dog"}]}
            },
        },
    ]
    target = tmp_path / "out.json"
    write_coco(source(recs, spec=spec, media_root=tmp_path), target, None)
    doc = json.loads(target.read_bytes())
    assert [(i["file_name"], i["width"], i["height"]) for i in doc["images"]] == [
        ("a.png", 64, 48),
        ("b.png", 800, 600),
    ]
    rows = list(coco_rows(target.read_bytes(), "out.json", boxes_field(spec.fields)))
    assert [(r["payload"], r["metadata"]) for r in rows] == [
        ({"image": "a.png"}, {"media": {"image": {"width": 64, "height": 48}}}),
        ({"image": "b.png"}, {"media": {"image": {"width": 800, "height": 600}}}),
    ]


def test_export_refuses_an_image_of_unknown_size(tmp_path: Path) -> None:
    """An image whose size nothing tells is refused naming it, and no file is left."""
    spec = boxes_spec(size_keys=False)
    recs = [{"id": 7, "payload": {"image": "gone.jpg"}, "final": {"value": {"objects": []}}}]
    target = tmp_path / "out.json"
    with pytest.raises(InvalidInput) as caught:
        write_coco(source(recs, spec=spec, media_root=tmp_path), target, None)
    assert str(caught.value).startswith(
        "field 'payload.image': cannot tell the size of image 'gone.jpg' of item 7: give the "
        "field width_key and height_key, process the media, or keep the file under "
    )
    assert not target.exists()


def test_export_refuses_a_project_without_boxes(tmp_path: Path) -> None:
    """A project with no boxes field cannot be written as COCO."""
    from labelworks.domain.spec import spec_from_dict

    spec = spec_from_dict(
        {"name": "t", "fields": [{"name": "s", "kind": "choice", "labels": ["a"]}]}
    )
    with pytest.raises(InvalidInput, match="this project has no boxes field"):
        write_coco(source([], spec=spec), tmp_path / "x.json", None)


def _coco(**changes: Any) -> bytes:
    doc: dict[str, Any] = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 50}],
        "categories": [{"id": 1, "name": "cat"}],
        "annotations": [{"id": 17, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20]}],
    }
    doc.update(changes)
    return json.dumps({k: v for k, v in doc.items() if v is not None}).encode()


BAD = [
    (
        _coco(annotations=[{"id": 17, "image_id": 1, "category_id": 1, "bbox": [90, 10, 20, 20]}]),
        "in.json, field 'annotations[0].bbox': annotation 17 leaves the image: it reaches x 110, "
        "y 30 in an image of 100 by 50",
    ),
    (
        _coco(categories=None),
        "in.json, field 'categories': a COCO file needs a non-empty 'categories' list",
    ),
    (
        _coco(categories=[]),
        "in.json, field 'categories': a COCO file needs a non-empty 'categories' list",
    ),
    (
        _coco(categories=[{"id": 1, "name": "cow"}]),
        "in.json, field 'categories[0].name': category 'cow' is not a label of field 'objects' "
        "(cat, dog, bird)",
    ),
    (
        _coco(annotations=[{"id": 5, "image_id": 1, "category_id": 9, "bbox": [1, 1, 2, 2]}]),
        "in.json, field 'annotations[0].category_id': annotation 5 has category 9, which "
        "'categories' does not list",
    ),
    (
        _coco(annotations=[{"id": 5, "image_id": 3, "category_id": 1, "bbox": [1, 1, 2, 2]}]),
        "in.json, field 'annotations[0].image_id': annotation 5 is on image 3, which 'images' "
        "does not list",
    ),
    (
        _coco(annotations=[{"id": 5, "image_id": 1, "category_id": 1, "bbox": [1, 1, 0, 2]}]),
        "in.json, field 'annotations[0].bbox': annotation 5 has no area (width 0, height 2)",
    ),
    (
        _coco(annotations=[{"id": 5, "image_id": 1, "category_id": 1, "bbox": [1, 1, 2]}]),
        "in.json, field 'annotations[0].bbox': annotation 5: bbox must be [x, y, width, height] "
        "in pixels, got [1, 1, 2]",
    ),
    (
        _coco(images=[{"id": 1, "file_name": "a.jpg", "width": -1, "height": 50}]),
        "in.json, field 'images[0].width': must be a positive number, got -1",
    ),
    (b"[1, 2]", "in.json: a COCO file is a JSON object"),
    (b"{nope", "in.json: not JSON: "),
]


@pytest.mark.parametrize(("data", "message"), BAD)
def test_bad_coco_files_are_refused(data: bytes, message: str) -> None:
    """Each bad COCO file is refused with the file, the field and what is wrong."""
    with pytest.raises(InvalidImport) as caught:
        list(coco_rows(data, "in.json", FIELD))
    assert str(caught.value).startswith(message)


def test_finished_annotations_need_an_annotator() -> None:
    """As finished annotations, a COCO annotation without an annotator needs one given."""
    with pytest.raises(InvalidImport) as caught:
        list(coco_rows(_coco(), "in.json", FIELD, annotations=True))
    assert str(caught.value) == (
        "in.json, field 'annotations[0].annotator': annotation 17 names no annotator; give "
        "each an 'annotator' email or pass one for all"
    )


HOSTILE = {
    "NaN": b'{"images": NaN}',
    "infinite number": b'{"images": [], "categories": [1e999]}',
    "bad UTF-8": b'{"images": "\xff"}',
    "lone surrogate": b'{"images": "\\ud800"}',
    "deep nesting": b"[" * 5000 + b"]" * 5000,
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_coco_bodies_are_refused(name: str) -> None:
    """NaN, infinite numbers, bad UTF-8 and lone surrogates: not JSON; a deeply nested array
    is no object, whatever the installed orjson's nesting limit."""
    with pytest.raises(InvalidImport) as caught:
        list(coco_rows(HOSTILE[name], "in.json", FIELD))
    if name == "deep nesting":
        assert str(caught.value) == "in.json: a COCO file is a JSON object"
    else:
        assert str(caught.value).startswith("in.json: not JSON: ")


def test_deep_values_inside_a_coco_file_are_refused() -> None:
    """Nested or oversized values where figures belong are refused naming the field."""
    deep = {"id": 1, "file_name": "a.jpg", "width": [[[[1]]]], "height": 5}
    with pytest.raises(InvalidImport) as caught:
        list(coco_rows(_coco(images=[deep]), "in.json", FIELD))
    assert str(caught.value) == (
        "in.json, field 'images[0].width': must be a positive number, got [[[[1]]]]"
    )
