"""COCO export at scale: 100k images with 1M boxes (10 each) from a project on SQLite or
PostgreSQL, through ``services.dataset_exports.export_dataset`` (the call the CLI, the API and
the export job make).

    python bench/coco_export.py                        # SQLite, 100k images, 10 boxes each
    python bench/coco_export.py --db postgresql
    python bench/coco_export.py --images 10000 --keep /tmp/coco.sqlite   # reuse a load

The project is loaded through the regular importer: one row per image with its size in the
payload and one finished annotation (10 boxes, one annotator) in the history shape the
importer restores. The export then runs in a fresh process, so its peak RSS (``VmHWM``) is the
export's alone, interpreter and libraries included; it prints images/s, boxes/s, the file's
size and that peak, and checks the file with pycocotools when asked (``--check``).
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from foundation_import_export import peak_rss_mb, scratch_database
from labelworks.domain.spec import spec_from_dict
from labelworks.services import ingestion
from labelworks.services import projects as project_service
from labelworks.services.dataset_exports import export_dataset
from labelworks.storage.engine import Database
from labelworks.storage.migration import upgrade

SPEC = {
    "name": "coco",
    "fields": [
        {
            "name": "objects",
            "kind": "boxes",
            "labels": ["person", "car", "bicycle", "dog", "cat", "bus", "truck", "bird"],
            "width_key": "w",
            "height_key": "h",
        }
    ],
    "overlap": 1,
}
CHUNK = 20_000


def rows(first: int, count: int, boxes: int) -> Iterator[bytes]:
    labels = SPEC["fields"][0]["labels"]  # type: ignore[index]
    for i in range(first, first + count):
        value = [
            {
                "x": (i * 7 + k * 37) % 1800,
                "y": (i * 3 + k * 53) % 1000,
                "width": 20 + k * 5,
                "height": 30 + k * 3,
                "label": labels[(i + k) % len(labels)],
            }
            for k in range(boxes)
        ]
        yield (
            orjson.dumps(
                {
                    "payload": {"image": f"images/{i:07d}.jpg", "w": 1920, "h": 1080},
                    "annotations": [
                        {
                            "annotator": "bench@example.com",
                            "value": {"objects": value},
                            "created_at": "2026-12-01T12:00:00Z",
                            "seconds": 12.5,
                        }
                    ],
                }
            )
            + b"\n"
        )


def load(url: str, images: int, boxes: int) -> None:
    db = Database(url)
    upgrade(db)
    project_service.apply_spec(db, spec_from_dict(SPEC), guidelines="# Boxes")
    started = time.perf_counter()
    for first in range(0, images, CHUNK):
        data = b"".join(rows(first, min(CHUNK, images - first), boxes))
        ingestion.import_items(
            db,
            "coco",
            io.BytesIO(data),
            format="jsonl",
            source=f"bench rows {first}",
            create_annotators=True,
        )
    took = time.perf_counter() - started
    print(f"load: {images:,} images with {images * boxes:,} boxes in {took:.1f} s")
    db.dispose()


def export(url: str, target: Path, check: bool) -> None:
    """The child: one export, timed, with its peak RSS."""
    db = Database(url)
    base = peak_rss_mb()
    started = time.perf_counter()
    written = export_dataset(db, "coco", "coco", target, media_dir=target.parent, labels="all")
    took = time.perf_counter() - started
    peak = peak_rss_mb()
    size = target.stat().st_size / 1024**2
    print(
        f"export: {written:,} images in {took:.1f} s = {written / took:,.0f} images/s; "
        f"file {size:,.0f} MB; peak RSS {peak:,.0f} MB (base {base:,.0f} MB)"
    )
    if check:
        from pycocotools.coco import COCO

        started = time.perf_counter()
        coco = COCO(str(target))
        print(
            f"pycocotools: {len(coco.imgs):,} images, {len(coco.anns):,} annotations "
            f"loaded in {time.perf_counter() - started:.1f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--boxes", type=int, default=10)
    parser.add_argument("--keep", type=Path, help="SQLite file to load once and reuse")
    parser.add_argument("--check", action="store_true", help="load the file with pycocotools")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lw-coco-bench-") as tmp:
        if args.child:
            export(args.child, Path(tmp) / "coco.json", args.check)
            return
        if args.keep is not None:
            url = f"sqlite:///{args.keep}"
            if not args.keep.exists():
                load(url, args.images, args.boxes)
            run_child(url, args.check)
            return
        with scratch_database(args.db, "coco", Path(tmp)) as url:
            load(url, args.images, args.boxes)
            run_child(url, args.check)


def run_child(url: str, check: bool) -> None:
    command = [sys.executable, __file__, "--child", url, *(["--check"] if check else [])]
    subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
