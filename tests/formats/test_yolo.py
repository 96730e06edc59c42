"""YOLO: the exported ultralytics folder (images and labels per split, data.yaml) parsed
back, the import's rows from that layout and the older flat one, and bad sources refused."""

from __future__ import annotations

import dataclasses
import io
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image
from tests.formats.boxes_data import BOXES, IMAGES, box, boxes_spec, records, source

from labelworks.domain.errors import InvalidImport, InvalidInput
from labelworks.formats.image_boxes import SourceTree, boxes_field
from labelworks.formats.yolo import write_yolo, yolo_rows

FIELD = boxes_field(boxes_spec().fields)
CDN = IMAGES[3]
NAMES = {0: "cat", 1: "dog", 2: "bird"}


class Files:
    """Image files as the services layer places them: copied from a media folder, and a
    reason for anything else."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def place(self, value: str, destination: Path) -> str | None:
        found = self.root / value
        if "://" in value or not found.is_file():
            return "not here"
        shutil.copyfile(found, destination)
        return None


def _media(tmp_path: Path, names: list[str], size: tuple[int, int] = (640, 480)) -> Path:
    media = tmp_path / "media"
    for name in names:
        (media / name).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", size).save(media / name)
    return media


def _yolo_source(recs: list[dict[str, Any]], media: Path, val_fraction: float = 0.2) -> Any:
    return dataclasses.replace(source(recs), images=Files(media), val_fraction=val_fraction)


def _tree(target: Path) -> list[str]:
    return sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())


def test_export_writes_an_ultralytics_dataset_folder(tmp_path: Path) -> None:
    """Images and label files per split with the same stems, data.yaml naming the split
    folders and the classes, images.txt with the payload values, and the URL that could not
    be copied listed in missing_images.txt (its labels written all the same)."""
    media = _media(tmp_path, ["imgs/a.jpg", "imgs/b.png"])
    target = tmp_path / "yolo"
    assert write_yolo(_yolo_source(records(), media), target, None) == 3
    assert _tree(target) == [
        "data.yaml",
        "images.txt",
        "images/train/b.png",
        "images/val/a.jpg",
        "labels/train/b.txt",
        "labels/train/c.txt",
        "labels/val/a.txt",
        "missing_images.txt",
    ]
    assert yaml.safe_load((target / "data.yaml").read_text()) == {
        "train": "images/train",
        "val": "images/val",
        "nc": 3,
        "names": NAMES,
    }
    assert (target / "images.txt").read_text().splitlines() == list(IMAGES.values())
    assert (target / "images/val/a.jpg").read_bytes() == (media / "imgs/a.jpg").read_bytes()
    assert (target / "labels/val/a.txt").read_text() == (
        "0 0.039062 0.083333 0.046875 0.083333\n2 0.500000 0.500000 1.000000 1.000000\n"
    )
    assert (target / "labels/train/c.txt").read_text() == ""
    assert (target / "missing_images.txt").read_text() == f"{CDN}\timages/train/c.jpg\tnot here\n"


def _splits(target: Path) -> dict[str, Any]:
    data = yaml.safe_load((target / "data.yaml").read_text())
    labels = {p.stem: p.parent.name for p in (target / "labels").rglob("*.txt")}
    return {"yaml": {k: data.get(k) for k in ("train", "val", "test")}, "labels": labels}


def _with(recs: list[dict[str, Any]], splits: dict[int, Any]) -> list[dict[str, Any]]:
    for record in recs:
        if record["id"] in splits:
            record["metadata"] = {"split": splits[record["id"]]}
    return recs


TRAIN_VAL = {"train": "images/train", "val": "images/val", "test": None}
SPLITS = [
    # Item 1 hashes below 0.2, items 2 and 3 above it.
    ({}, 0.2, TRAIN_VAL, {"a": "val", "b": "train", "c": "train"}),
    (
        {1: "TEST", 2: " Validation ", 3: "train"},
        0.2,
        {**TRAIN_VAL, "test": "images/test"},
        {"a": "test", "b": "val", "c": "train"},
    ),
    # No validation image asked for: ultralytics validates on the training images.
    ({}, 0.0, {**TRAIN_VAL, "val": "images/train"}, {"a": "train", "b": "train", "c": "train"}),
    # Item 1 stated as training: item 3, the lowest score of the rest, goes to validation.
    ({1: "train"}, 0.2, TRAIN_VAL, {"a": "train", "b": "train", "c": "val"}),
    # Everything hashes into validation: item 2, the highest score, goes to training.
    ({}, 0.9, TRAIN_VAL, {"a": "val", "b": "train", "c": "val"}),
]


@pytest.mark.parametrize(("stated", "fraction", "data", "labels"), SPLITS)
def test_splits_follow_the_metadata_else_the_hash(
    tmp_path: Path,
    stated: dict[int, str],
    fraction: float,
    data: dict[str, Any],
    labels: dict[str, str],
) -> None:
    """The metadata's split wins; otherwise the hash against val_fraction decides, with at
    least one validation image (unless val_fraction is 0) and one training image."""
    target = tmp_path / "yolo"
    write_yolo(_yolo_source(_with(records(), stated), tmp_path, fraction), target, None)
    assert _splits(target) == {"yaml": data, "labels": labels}


def test_an_unknown_metadata_split_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    """A split that is not train, val, validation or test is refused naming the item."""
    target = tmp_path / "yolo"
    with pytest.raises(InvalidInput) as refused:
        write_yolo(_yolo_source(_with(records(), {2: "holdout"}), tmp_path), target, None)
    assert (str(refused.value), target.exists()) == (
        "field 'metadata.split': item 2 has metadata split 'holdout': use train, val, "
        "validation or test, or leave the key out to split by the item's id",
        False,
    )


def test_an_image_of_unknown_size_that_cannot_be_copied_is_listed_without_labels(
    tmp_path: Path,
) -> None:
    """Without a size the boxes cannot be normalised: such an image gets no label file, and
    a copied file that is no image is removed (it would train as an empty image)."""
    media = tmp_path / "media"
    media.mkdir()
    (media / "broken.jpg").write_bytes(b"not an image")
    recs = [
        {"id": 1, "payload": {"image": "https://x.org/a.jpg"}, "final": {"value": {"objects": []}}},
        {"id": 2, "payload": {"image": "broken.jpg"}, "final": {"value": {"objects": []}}},
    ]
    target = tmp_path / "yolo"
    spec = boxes_spec(size_keys=False)
    given = dataclasses.replace(source(recs, spec=spec), images=Files(media))
    assert write_yolo(given, target, None) == 0
    unknown = "its size is unknown, so its labels are not written either"
    assert (_tree(target), (target / "missing_images.txt").read_text().splitlines()) == (
        ["data.yaml", "images.txt", "missing_images.txt"],
        [
            f"https://x.org/a.jpg\timages/val/a.jpg\tnot here; {unknown}",
            "broken.jpg\timages/train/broken.jpg\tthe file is not an image whose header can "
            f"be read; {unknown}",
        ],
    )


def test_round_trip_gives_the_same_boxes(tmp_path: Path) -> None:
    """Exported, the missing image fetched into its place as missing_images.txt says, then
    read back: the same payload values and boxes, sizes from the copied images."""
    media = _media(tmp_path, ["imgs/a.jpg", "imgs/b.png"])
    target = tmp_path / "yolo"
    write_yolo(_yolo_source(records(), media), target, None)
    value, where, _ = (target / "missing_images.txt").read_text().rstrip("\n").split("\t")
    assert value == CDN
    Image.new("RGB", (640, 480)).save(target / where)
    rows = list(yolo_rows(SourceTree.open(target, "yolo"), FIELD, None))
    by_image = sorted(rows, key=lambda r: list(IMAGES.values()).index(r["payload"]["image"]))
    assert by_image == [
        {
            "payload": {"image": IMAGES[i], "w": 640, "h": 480},
            "pre_annotations": [{"model": "yolo-import", "value": {"objects": BOXES[i]}}],
        }
        for i in (1, 2, 3)
    ]


def test_the_older_flat_layout_still_imports(tmp_path: Path) -> None:
    """A folder as labelworks wrote it before (labels/<stem>.txt, images.txt, data.yaml
    pointing at images.txt) reads back with the images' sizes from the media folder."""
    media = _media(tmp_path, ["imgs/a.jpg", "imgs/b.png"])
    old = tmp_path / "old"
    (old / "labels").mkdir(parents=True)
    (old / "data.yaml").write_text(
        "path: .\ntrain: images.txt\nval: images.txt\nnc: 3\nnames: [cat, dog, bird]\n"
    )
    (old / "images.txt").write_text("imgs/a.jpg\nimgs/b.png\n")
    (old / "labels/a.txt").write_text("0 0.039062 0.083333 0.046875 0.083333\n")
    (old / "labels/b.txt").write_text("1 0.086719 0.065104 0.156250 0.104167\n")
    rows = list(yolo_rows(SourceTree.open(old, "old"), FIELD, media))
    assert rows == [
        {
            "payload": {"image": "imgs/a.jpg", "w": 640, "h": 480},
            "pre_annotations": [
                {"model": "yolo-import", "value": {"objects": [box(10, 20, 30, 40, "cat")]}}
            ],
        },
        {
            "payload": {"image": "imgs/b.png", "w": 640, "h": 480},
            "pre_annotations": [
                {"model": "yolo-import", "value": {"objects": [box(5.5, 6.25, 100, 50, "dog")]}}
            ],
        },
    ]


def test_an_ultralytics_folder_pairs_each_label_file_with_its_own_split_s_image() -> None:
    """Another tool's dataset with x.png in both splits: each label file gets the image of
    its own split (the same path under images/), with that image's size."""
    archive = _zip(
        {
            "data.yaml": b"path: ../datasets/x\ntrain: images/train\nval: images/val\n"
            b"names:\n  0: cat\n  1: dog\n",
            "images/train/x.png": _png(200, 100),
            "images/val/x.png": _png(100, 50),
            "labels/train/x.txt": b"0 0.5 0.5 0.5 0.5\n",
            "labels/val/x.txt": b"1 0.5 0.5 0.5 0.5\n",
        }
    )
    rows = list(yolo_rows(SourceTree.open(archive, "up.zip"), FIELD, None))
    assert rows == [
        {
            "payload": {"image": "images/train/x.png", "w": 200, "h": 100},
            "pre_annotations": [
                {"model": "yolo-import", "value": {"objects": [box(50, 25, 100, 50, "cat")]}}
            ],
        },
        {
            "payload": {"image": "images/val/x.png", "w": 100, "h": 50},
            "pre_annotations": [
                {"model": "yolo-import", "value": {"objects": [box(25, 12.5, 50, 25, "dog")]}}
            ],
        },
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
    """Three images named a.jpg in three folders: image and label files a, a-2 and a-3
    (unique across the splits), and read back each image gets its own boxes and size."""
    same = [f"{folder}/a.jpg" for folder in ("x", "y", "z")]
    renamed = []
    for n, (record, image) in enumerate(zip(records(), same, strict=False)):
        record["payload"]["image"] = image
        # The payload's size would do for the labels; the copies' headers tell them apart.
        del record["payload"]["w"], record["payload"]["h"]
        renamed.append(record)
        _media(tmp_path, [image], (640 + n, 480))
    target = tmp_path / "yolo"
    given = dataclasses.replace(
        source(renamed, spec=boxes_spec(size_keys=False)), images=Files(tmp_path / "media")
    )
    assert write_yolo(given, target, None) == 3
    rows = list(yolo_rows(SourceTree.open(target, "yolo"), FIELD, None))
    assert [p for p in _tree(target) if p.startswith(("images/", "labels/"))] == [
        "images/train/a-2.jpg",
        "images/train/a-3.jpg",
        "images/val/a.jpg",
        "labels/train/a-2.txt",
        "labels/train/a-3.txt",
        "labels/val/a.txt",
    ]
    assert sorted((r["payload"]["image"], r["payload"]["w"]) for r in rows) == [
        ("x/a.jpg", 640),
        ("y/a.jpg", 641),
        ("z/a.jpg", 642),
    ]
    by_image = {r["payload"]["image"]: r["pre_annotations"][0]["value"]["objects"] for r in rows}
    assert [len(by_image[image]) for image in same] == [len(BOXES[i]) for i in (1, 2, 3)]
