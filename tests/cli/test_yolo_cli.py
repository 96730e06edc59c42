"""``labelworks export --format yolo`` end to end: --val-fraction splits by it, images
that cannot be included are named in the terminal and in the job, and the option is
refused where it does not apply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from tests.cli.runner import lw
from tests.services.test_yolo_export import CAT, DOG, _png, _seed

from labelworks.config import Settings
from labelworks.storage import migration
from labelworks.storage.engine import Database


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """'shots' with three annotated images: two in the media folder, one on the web."""
    folder = tmp_path / "data"
    folder.mkdir()
    db = Database(Settings(data_dir=folder).effective_database_url)
    migration.upgrade(db)
    _seed(
        db,
        {
            "a": ("a.png", None, CAT),
            "b": ("b.png", None, DOG),
            "c": ("https://example.org/c.png", "train", CAT),
        },
    )
    db.dispose()
    media = folder / "media" / "shots"
    media.mkdir(parents=True)
    for name in ("a.png", "b.png"):
        (media / name).write_bytes(_png())
    return folder


def test_yolo_with_a_val_fraction_and_a_missing_image(data_dir: Path, tmp_path: Path) -> None:
    """With --val-fraction 0.5 the two hash-split images are one train, one val; the web
    image is named as not included, and the terminal job records the count."""
    out = tmp_path / "yolo"
    result = lw(data_dir, "export", "shots", "--format", "yolo", "--labels", "all",
                "--val-fraction", "0.5", "-o", str(out))  # fmt: skip
    data = yaml.safe_load((out / "data.yaml").read_text())
    placed = sorted(p.parent.name for p in (out / "images").rglob("*.png"))
    jobs = json.loads(lw(data_dir, "jobs", "--json").stdout)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == [
        f"1 image could not be included; each is listed with where it belongs in "
        f"{out / 'missing_images.txt'}",
        "  https://example.org/c.png: a URL: exports do not download from the web; fetch it "
        "yourself",
    ]
    assert (data["train"], data["val"], placed) == ("images/train", "images/val", ["train", "val"])
    assert (jobs[0]["params"]["val_fraction"], jobs[0]["result"]["missing_images"]) == (0.5, 1)


def test_val_fraction_refusals(data_dir: Path, tmp_path: Path) -> None:
    """--val-fraction with another format, out of range, or for a row export is refused in
    one line (exit 2) and records no job."""
    coco = lw(data_dir, "export", "shots", "--format", "coco", "--val-fraction", "0.3",
              "-o", str(tmp_path / "c.json"))  # fmt: skip
    rows = lw(data_dir, "export", "shots", "--val-fraction", "0.3")
    high = lw(data_dir, "export", "shots", "--format", "yolo", "--val-fraction", "1",
              "-o", str(tmp_path / "y"))  # fmt: skip
    queued = lw(data_dir, "export", "shots", "--format", "yolo", "--val-fraction", "1.5",
                "--background")  # fmt: skip
    assert [(r.exit_code, " ".join(r.stderr.split())) for r in (coco, rows, high, queued)] == [
        (2, "error [invalid_input] --val-fraction applies to the yolo format, not coco"),
        (2, "error [invalid_input] --val-fraction applies to the yolo format"),
        (2, "error [invalid_input] val_fraction must be at least 0 and below 1, not 1.0"),
        (
            2,
            "error [invalid_input] job parameter 'val_fraction' must be a number from 0 to below 1",
        ),
    ]
    assert json.loads(lw(data_dir, "jobs", "--json").stdout) == []
