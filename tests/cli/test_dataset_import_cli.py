"""``labelworks import --format coco|yolo|voc`` end to end on an embedded SQLite data
directory: boxes arrive as predictions or as an annotator's finished annotations, and a bad
source exits 2 naming the file and line, importing nothing."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image
from tests.cli.runner import lw

SPEC = """\
name: shots
fields:
  - name: objects
    kind: boxes
    labels: [cat, dog]
overlap: 1
"""


def _project(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    (tmp_path / "spec.yaml").write_text(SPEC)
    assert lw(data, "project", "apply", str(tmp_path / "spec.yaml")).exit_code == 0
    return data


def _export(data: Path, tmp_path: Path) -> list[dict[str, object]]:
    out = tmp_path / "out.jsonl"
    assert lw(data, "export", "shots", "-o", str(out)).exit_code == 0
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_yolo_folder_imports_as_annotations(tmp_path: Path) -> None:
    """A YOLO folder with its images imports as the named annotator's annotations, the
    image size kept in the metadata (the field has no size keys)."""
    data = _project(tmp_path)
    yolo = tmp_path / "yolo"
    (yolo / "images").mkdir(parents=True)
    (yolo / "labels").mkdir()
    Image.new("RGB", (100, 50)).save(yolo / "images" / "x.png")
    (yolo / "labels" / "x.txt").write_text("1 0.5 0.5 0.2 0.4\n")
    (yolo / "data.yaml").write_text("names: [cat, dog]\n")
    result = lw(
        data,
        "import",
        "shots",
        str(yolo),
        "--format",
        "yolo",
        "--as",
        "annotations",
        "--annotator",
        "ann@example.com",
        "--create-annotators",
    )
    assert (result.exit_code, result.stdout.split(";")[0]) == (
        0,
        f"imported 1 new images with their annotations into shots from 1 images in {yolo}",
    )
    (record,) = _export(data, tmp_path)
    assert (
        record["payload"],
        record["metadata"],
        [
            (a["annotator"], a["value"])
            for a in record["annotations"]  # type: ignore[attr-defined]
        ],
    ) == (
        {"image": "images/x.png"},
        {"media": {"image": {"width": 100, "height": 50}}},
        [
            (
                "ann@example.com",
                {"objects": [{"x": 40, "y": 15, "width": 20, "height": 20, "label": "dog"}]},
            )
        ],
    )


def test_bad_coco_exits_2_and_imports_nothing(tmp_path: Path) -> None:
    """A COCO file with an unknown category is refused in one line; the project stays empty."""
    data = _project(tmp_path)
    coco = tmp_path / "in.json"
    coco.write_text(
        json.dumps(
            {
                "images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}],
                "categories": [{"id": 1, "name": "cat"}],
                "annotations": [{"id": 4, "image_id": 1, "category_id": 2, "bbox": [1, 1, 2, 2]}],
            }
        )
    )
    result = lw(data, "import", "shots", str(coco), "--format", "coco")
    assert (result.exit_code, result.stderr.strip().splitlines()[-1], _export(data, tmp_path)) == (
        2,
        f"error [invalid_import] {coco}, field 'annotations[0].category_id': "
        "annotation 4 has category 2, which 'categories' does not list",
        [],
    )
