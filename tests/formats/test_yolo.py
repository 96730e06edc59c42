"""YOLO: the exported folder parsed back, the import's rows, and bad label files refused."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import yaml
from PIL import Image
from tests.formats.boxes_data import BOXES, IMAGES, LABELS, boxes_spec, records, source

from labelworks.domain.errors import InvalidImport
from labelworks.formats.image_boxes import SourceTree, boxes_field
from labelworks.formats.yolo import write_yolo, yolo_rows

FIELD = boxes_field(boxes_spec().fields)


def _export(tmp_path: Path) -> Path:
    target = tmp_path / "yolo"
    assert write_yolo(source(records()), target, None) == 3
    return target


def test_export_writes_labels_data_yaml_and_the_image_list(tmp_path: Path) -> None:
    """One normalised label file per labelled image, data.yaml with the classes, images.txt."""
    target = _export(tmp_path)
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) == [
        "data.yaml",
        "images.txt",
        "labels",
        "labels/a.txt",
        "labels/b.txt",
        "labels/c.txt",
    ]
    assert yaml.safe_load((target / "data.yaml").read_text()) == {
        "path": ".",
        "train": "images.txt",
        "val": "images.txt",
        "nc": 3,
        "names": LABELS,
    }
    assert (target / "images.txt").read_text().splitlines() == list(IMAGES.values())
    assert (target / "labels/a.txt").read_text() == (
        "0 0.039062 0.083333 0.046875 0.083333\n2 0.500000 0.500000 1.000000 1.000000\n"
    )
    assert (target / "labels/c.txt").read_text() == ""


def test_round_trip_gives_the_same_boxes(tmp_path: Path) -> None:
    """Exported, then read back with the images' sizes from the media folder: same boxes."""
    target = _export(tmp_path)
    media = tmp_path / "media"
    (media / "imgs").mkdir(parents=True)
    for name in ("a.jpg", "b.png"):
        Image.new("RGB", (640, 480)).save(media / "imgs" / name)
    # The third image is a URL: its file travels with the labels, under images/.
    (target / "images").mkdir()
    Image.new("RGB", (640, 480)).save(target / "images" / "c.jpg")
    tree = SourceTree.open(target, "yolo")
    rows = list(yolo_rows(tree, FIELD, media))
    assert rows == [
        {
            "payload": {"image": IMAGES[i], "w": 640, "h": 480},
            "pre_annotations": [{"model": "yolo-import", "value": {"objects": BOXES[i]}}],
        }
        for i in (1, 2, 3)
    ]


def _zip(files: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height)).save(out, "PNG")
    return out.getvalue()


def test_zip_with_images_and_classes_txt_imports_as_annotations() -> None:
    """A zip of images/, labels/ and classes.txt gives rows with the annotator's boxes."""
    archive = _zip(
        {
            "classes.txt": b"dog\ncat\n",
            "images/x.png": _png(200, 100),
            "labels/x.txt": b"1 0.5 0.5 0.5 0.5\n0 0.25 0.25 0.5 0.5 0.9\n",
        }
    )
    rows = list(yolo_rows(SourceTree.open(archive, "up.zip"), FIELD, None, annotator="a@x.org"))
    assert rows == [
        {
            "payload": {"image": "images/x.png", "w": 200, "h": 100},
            "annotations": [
                {
                    "annotator": "a@x.org",
                    "value": {
                        "objects": [
                            {"x": 50, "y": 25, "width": 100, "height": 50, "label": "cat"},
                            {
                                "x": 0,
                                "y": 0,
                                "width": 100,
                                "height": 50,
                                "label": "dog",
                                "score": 0.9,
                            },
                        ]
                    },
                }
            ],
        }
    ]


CLASSES = {"classes.txt": b"cat\ndog\n", "images/x.png": _png(200, 100)}
BAD = [
    (
        {**CLASSES, "labels/x.txt": b"2 0.5 0.5 0.1 0.1\n"},
        "up.zip/labels/x.txt, line 1, field 'class': class 2 is out of range (0..1)",
    ),
    (
        {**CLASSES, "labels/x.txt": b"0 0.5 0.5 0.1 0.1\nx 0.5 0.5 0.1 0.1\n"},
        "up.zip/labels/x.txt, line 2, field 'class': class must be a whole number, got 'x'",
    ),
    (
        {**CLASSES, "labels/x.txt": b"0 0.5 0.5 0.1\n"},
        "up.zip/labels/x.txt, line 1: expected 'class cx cy w h', got 4 values",
    ),
    (
        {**CLASSES, "labels/x.txt": b"0 0.9 0.5 0.4 0.1\n"},
        "up.zip/labels/x.txt, line 1, field 'bbox': the box on line 1 leaves the image: it "
        "reaches x 220, y 55 in an image of 200 by 100",
    ),
    (
        {"classes.txt": b"cat\n", "labels/y.txt": b"0 0.5 0.5 0.1 0.1\n"},
        "up.zip/labels/y.txt: cannot find the image of labels/y.txt to read its size",
    ),
    ({"labels/x.txt": b""}, "up.zip: no data.yaml, classes.txt or obj.names names the classes"),
    (
        {"data.yaml": b"names: [cat, cow]\n"},
        "up.zip/data.yaml, field 'names[1]': class 'cow' is not a label of field 'objects'",
    ),
]


@pytest.mark.parametrize(("files", "message"), BAD)
def test_bad_yolo_sources_are_refused(files: dict[str, bytes], message: str) -> None:
    """Each bad YOLO source is refused naming the file, the line and what is wrong."""
    with pytest.raises(InvalidImport) as caught:
        list(yolo_rows(SourceTree.open(_zip(files), "up.zip"), FIELD, None))
    assert str(caught.value).startswith(message)


def test_a_zip_bomb_is_refused_before_unpacking() -> None:
    """A member claiming more than an import takes is refused by its declared size."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("labels/big.txt", b"0" * (300 * 1024 * 1024))
    buffer.seek(0)
    with pytest.raises(InvalidImport) as caught:
        SourceTree.open(buffer, "bomb.zip")
    assert str(caught.value) == (
        "bomb.zip, field 'labels/big.txt': the archive unpacks to more than this import takes "
        "(268,435,456 bytes a file, 4,294,967,296 in all)"
    )


BOMB = b"""\
a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
names: [cat]
"""
HOSTILE_YAML = [
    (BOMB, "up.zip/data.yaml, line 6: not valid YAML: the spec expands to more than 200,000"),
    (b"names: [\xff]\n", "up.zip/data.yaml: data.yaml is not UTF-8"),
    (b"- cat\n", "up.zip/data.yaml, field 'names': names must list the classes in class order"),
    (b"names: {0: cat, 2: dog}\n", "up.zip/data.yaml, field 'names': names must list the"),
]


@pytest.mark.parametrize(("data", "message"), HOSTILE_YAML)
def test_hostile_data_yaml_is_refused(data: bytes, message: str) -> None:
    """An alias bomb, bad UTF-8 or names that are not the classes in order are refused."""
    files = {"data.yaml": data, "labels/x.txt": b""}
    with pytest.raises(InvalidImport) as caught:
        list(yolo_rows(SourceTree.open(_zip(files), "up.zip"), FIELD, None))
    assert str(caught.value).startswith(message)


def test_images_of_the_same_name_keep_their_own_boxes_through_a_round_trip(
    tmp_path: Path,
) -> None:
    """Three images named a.jpg in three folders: label files a, a-2 and a-3, and read back
    each image gets its own boxes (and its own size)."""
    same = [f"{folder}/a.jpg" for folder in ("x", "y", "z")]
    renamed = []
    for n, (record, image) in enumerate(zip(records(), same, strict=False)):
        record["payload"]["image"] = image
        renamed.append(record)
        (tmp_path / "media" / image).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (640 + n, 480)).save(tmp_path / "media" / image)
    target = tmp_path / "yolo"
    assert write_yolo(source(renamed), target, None) == 3
    rows = list(yolo_rows(SourceTree.open(target, "yolo"), FIELD, tmp_path / "media"))
    assert sorted(p.name for p in (target / "labels").iterdir()) == ["a-2.txt", "a-3.txt", "a.txt"]
    assert sorted((r["payload"]["image"], r["payload"]["w"]) for r in rows) == [
        ("x/a.jpg", 640),
        ("y/a.jpg", 641),
        ("z/a.jpg", 642),
    ]
    by_image = {r["payload"]["image"]: r["pre_annotations"][0]["value"]["objects"] for r in rows}
    assert [len(by_image[image]) for image in same] == [len(BOXES[i]) for i in (1, 2, 3)]
