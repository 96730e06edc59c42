"""YOLO exports through the service: an ultralytics folder with the images placed (hard
links from the media folder and media roots, downloads from object storage), every image
that cannot be placed listed and reported, and a round trip through the YOLO import."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws
from PIL import Image
from tests.services.builders import add_annotators, jsonl

from labelworks.domain.errors import InvalidInput
from labelworks.domain.spec import spec_from_dict
from labelworks.formats.labelled_records import MissingImage
from labelworks.services import media_roots
from labelworks.services import projects as project_service
from labelworks.services.dataset_exports import (
    DatasetExport,
    export_for_download,
    write_dataset,
)
from labelworks.services.dataset_images import NO_FILE, NOT_CONFIGURED, REMOTE, ExportImages
from labelworks.services.dataset_imports import import_dataset
from labelworks.services.exports import export_project
from labelworks.services.ingestion import import_items
from labelworks.services.object_store import S3Options
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
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
CAT = [{"x": 64, "y": 48, "width": 128, "height": 96, "label": "cat"}]
DOG = [{"x": 0, "y": 0, "width": 320, "height": 240, "label": "dog"}]


def _png(size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size).save(out, "PNG")
    return out.getvalue()


def _seed(db: Database, images: dict[str, tuple[str, str | None, list[dict[str, Any]]]]) -> None:
    """Items by external id: (image value, metadata split, boxes), annotated by ann0."""
    project_service.apply_spec(db, spec_from_dict(SPEC), guidelines=None)
    add_annotators(db, "shots", 1)
    rows = [
        {
            "external_id": ref,
            "payload": {"image": image, "w": 640, "h": 480},
            "metadata": {} if split is None else {"split": split},
            "annotations": [{"annotator": "ann0@example.com", "value": {"objects": boxes}}],
        }
        for ref, (image, split, boxes) in images.items()
    ]
    import_items(db, "shots", jsonl(rows), format="jsonl", source="shots.jsonl")


def _tree(target: Path) -> list[str]:
    return sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())


def test_images_are_placed_and_the_ones_that_cannot_be_are_reported(
    db: Database, tmp_path: Path
) -> None:
    """A media-folder image is hard-linked, a media root's copied in; a URL, a missing
    file, an absolute path, a path leaving the folder and an object without object storage
    are listed in missing_images.txt and in the result, their labels written all the same."""
    media_dir = tmp_path / "data" / "media"
    (media_dir / "shots" / "photos").mkdir(parents=True)
    (media_dir / "shots" / "photos" / "a.png").write_bytes(_png())
    cams = tmp_path / "cams"
    cams.mkdir()
    (cams / "b.png").write_bytes(_png())
    prefix, _ = media_roots.prefix_for(media_dir.parent, "shots", cams)
    values = {
        "e1": "photos/a.png",
        "e2": f"{prefix}b.png",
        "e3": "https://cdn.example.com/c.jpg",
        "e4": "gone.jpg",
        "e5": "/etc/hostname",
        "e6": "../outside.png",
        "e7": "s3://bucket/shots/g.png",
    }
    splits = {"e1": "train", "e2": "val", "e3": "test"}
    _seed(db, {ref: (value, splits.get(ref, "train"), CAT) for ref, value in values.items()})
    target = tmp_path / "out"
    result = write_dataset(db, "shots", "yolo", target, media_dir=media_dir, labels="all")
    missing = (
        MissingImage(values["e3"], "images/test/c.jpg", REMOTE),
        MissingImage("gone.jpg", "images/train/gone.jpg", NO_FILE),
        MissingImage("/etc/hostname", "images/train/hostname.jpg", NO_FILE),
        MissingImage("../outside.png", "images/train/outside.png", NO_FILE),
        MissingImage(values["e7"], "images/train/g.png", NOT_CONFIGURED),
    )
    assert result == DatasetExport(items=7, missing_images=5, missing=missing)
    assert _tree(target) == [
        "data.yaml",
        "images.txt",
        "images/train/a.png",
        "images/val/b.png",
        "labels/test/c.txt",
        "labels/train/a.txt",
        "labels/train/g.txt",
        "labels/train/gone.txt",
        "labels/train/hostname.txt",
        "labels/train/outside.txt",
        "labels/val/b.txt",
        "missing_images.txt",
    ]
    assert yaml.safe_load((target / "data.yaml").read_text()) == {
        "train": "images/train",
        "val": "images/val",
        "test": "images/test",
        "nc": 2,
        "names": {0: "cat", 1: "dog"},
    }
    linked = os.stat(target / "images/train/a.png")
    assert (linked.st_ino, linked.st_nlink) == (
        os.stat(media_dir / "shots/photos/a.png").st_ino,
        2,
    )
    assert (target / "images/val/b.png").read_bytes() == (cams / "b.png").read_bytes()
    assert (target / "missing_images.txt").read_text().splitlines() == [
        f"{m.value}\t{m.path}\t{m.reason}" for m in missing
    ]


def test_a_download_carries_the_missing_images(db: Database, tmp_path: Path) -> None:
    """export_for_download reports the missing images with the zip, which holds the list."""
    _seed(db, {"e1": ("https://cdn.example.com/c.jpg", None, CAT)})
    download = export_for_download(db, "shots", "yolo", media_dir=tmp_path / "media", labels="all")
    try:
        assert (download.items, download.missing_images, download.missing) == (
            1,
            1,
            (MissingImage("https://cdn.example.com/c.jpg", "images/train/c.jpg", REMOTE),),
        )
    finally:
        shutil.rmtree(download.folder)


def _suggestions(db: Database, project: str) -> list[tuple[str, list[dict[str, Any]]]]:
    out = io.BytesIO()
    export_project(db, project, out, format="jsonl")
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    return sorted(
        (r["payload"]["image"], r["pre_annotations"][0]["value"]["objects"]) for r in records
    )


def test_export_then_import_gives_the_same_boxes(db: Database, tmp_path: Path) -> None:
    """A YOLO export of annotated images in the media folder, imported into a new project,
    gives each image (by its payload value) the same boxes."""
    media_dir = tmp_path / "media"
    (media_dir / "shots" / "x").mkdir(parents=True)
    for name in ("a.png", "b.png", "x/a.png"):
        (media_dir / "shots" / name).write_bytes(_png())
    _seed(db, {"e1": ("a.png", None, CAT), "e2": ("b.png", None, DOG), "e3": ("x/a.png", None, [])})
    target = tmp_path / "out"
    result = write_dataset(db, "shots", "yolo", target, media_dir=media_dir, labels="all")
    project_service.apply_spec(db, spec_from_dict({**SPEC, "name": "back"}), guidelines=None)
    import_dataset(db, "back", target, format="yolo", name="out")
    assert (result, _suggestions(db, "back")) == (
        DatasetExport(items=3),
        [("a.png", CAT), ("b.png", DOG), ("x/a.png", [])],
    )


def test_val_fraction_must_be_a_share_below_one(db: Database, tmp_path: Path) -> None:
    """val_fraction 1 (or below 0) is refused before anything is written."""
    _seed(db, {"e1": ("a.png", None, CAT)})
    with pytest.raises(InvalidInput) as refused:
        write_dataset(db, "shots", "yolo", tmp_path / "out", media_dir=tmp_path, val_fraction=1)
    assert (str(refused.value), (tmp_path / "out").exists()) == (
        "val_fraction must be at least 0 and below 1, not 1",
        False,
    )


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """An in-process fake of S3 with credentials in the environment and no profile files."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="bucket")
        client.put_object(Bucket="bucket", Key="shots/g.png", Body=_png((20, 10)))
        yield client


def test_objects_are_downloaded_given_object_storage(aws: Any, tmp_path: Path) -> None:
    """With the object storage options an s3:// image is downloaded; a missing key and a
    prefix are reported, not raised, and leave no file."""
    images = ExportImages(tmp_path / "media", "shots", S3Options())
    out = tmp_path / "out"
    out.mkdir()
    reasons = [
        images.place(f"s3://bucket/shots/{key}", out / f"{n}.png")
        for n, key in enumerate(("g.png", "nope.png", ""))
    ]
    placed = sorted(p.name for p in out.iterdir())
    assert (reasons, placed, (out / "0.png").read_bytes()) == (
        [
            None,
            "s3://bucket/shots/nope.png does not exist",
            "the value names no object (s3://bucket/key)",
        ],
        ["0.png"],
        _png((20, 10)),
    )


def test_an_export_given_object_storage_downloads_its_images(
    aws: Any, db: Database, tmp_path: Path
) -> None:
    """write_dataset with the server's object storage options ships the s3:// image."""
    _seed(db, {"e1": ("s3://bucket/shots/g.png", None, CAT)})
    target = tmp_path / "out"
    result = write_dataset(
        db, "shots", "yolo", target, media_dir=tmp_path, labels="all", s3=S3Options()
    )
    assert (result, _tree(target), (target / "images/train/g.png").read_bytes()) == (
        DatasetExport(items=1),
        ["data.yaml", "images.txt", "images/train/g.png", "labels/train/g.txt"],
        _png((20, 10)),
    )
