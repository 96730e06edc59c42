"""Media processing rate: ``process_media`` over generated images and audio files, with 1,
2 and 4 worker processes (the probes run in the workers, the database is written by the
parent, one transaction per batch of 200).

    .venv/bin/python bench/media_processing.py                       # 10k images, 1k audio
    .venv/bin/python bench/media_processing.py --images 2000 --audio 200 --workers 1,4
    .venv/bin/python bench/media_processing.py --json out.json

Data (made before the clock starts, seeded): JPEG photos-like pictures of 640×480 (smooth
colour fields with noise, ~40 KB each) and 10 s mono 16 kHz PCM WAV files (a chirp with
noise, 320 KB each), one project each, on an embedded SQLite database in a temporary data
directory. Each run probes every file again (``only_missing=False``): per image a verify
and a full decode, EXIF orientation, a 256 px WebP thumbnail and the DCT perceptual hash;
per audio file the decode and 1,000 peak pairs. Reported: seconds and files per second.
There is no installable peer that does the same set of steps; ``imagehash.phash`` alone
would time one of the five.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from labelworks.domain.spec import spec_from_dict
from labelworks.pipelines.samples_media import wav_bytes
from labelworks.services import ingestion
from labelworks.services import projects as project_service
from labelworks.services.media_processing import process_media
from labelworks.storage import migration
from labelworks.storage.engine import Database


def _picture(rng: np.random.Generator) -> bytes:
    small = rng.integers(0, 255, (12, 16, 3), dtype=np.uint8)
    image = Image.fromarray(small).resize((640, 480), Image.Resampling.BILINEAR)
    pixels = np.asarray(image, dtype=np.int16) + rng.integers(-12, 12, (480, 640, 3))
    out = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(out, format="JPEG", quality=85)
    return out.getvalue()


def _sound(rng: np.random.Generator, seconds: float = 10.0, rate: int = 16_000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    low, high = rng.uniform(100, 400), rng.uniform(800, 3000)
    chirp = np.sin(2 * np.pi * (low * t + (high - low) * t**2 / (2 * seconds)))
    return wav_bytes(0.5 * chirp + 0.05 * rng.normal(size=len(t)), rate)


def _project(
    db: Database, data: Path, name: str, field: dict[str, Any], files: dict[str, bytes]
) -> None:
    spec = {"name": name, "fields": [field], "overlap": 1}
    project_service.apply_spec(db, spec_from_dict(spec), guidelines=None)
    key = field.get("source") or field.get("media", "audio")
    for path, blob in files.items():
        target = data / "media" / name / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(blob)
    rows = "".join(json.dumps({key: path}) + "\n" for path in files).encode()
    ingestion.import_items(db, name, io.BytesIO(rows), format="jsonl", source=f"{name}.jsonl")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--audio", type=int, default=1_000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    workers = [int(w) for w in args.workers.split(",")]
    rng = np.random.default_rng(args.seed)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        db = Database(f"sqlite:///{data / 'labelworks.db'}")
        migration.upgrade(db)
        started = time.perf_counter()
        images = {f"img/{i:05d}.jpg": _picture(rng) for i in range(args.images)}
        sounds = {f"snd/{i:04d}.wav": _sound(rng) for i in range(args.audio)}
        boxes = {"name": "objects", "kind": "boxes", "labels": ["a"], "source": "image"}
        segments = {"name": "events", "kind": "segments", "media": "audio", "labels": ["a"]}
        _project(db, data, "images", boxes, images)
        _project(db, data, "audio", segments, sounds)
        made = time.perf_counter() - started
        print(
            f"made {len(images)} images ({sum(map(len, images.values())) / 2**20:.0f} MiB) and "
            f"{len(sounds)} audio files ({sum(map(len, sounds.values())) / 2**20:.0f} MiB) "
            f"in {made:.1f} s; {os.cpu_count()} CPUs",
            flush=True,
        )
        for project, count in (("images", len(images)), ("audio", len(sounds))):
            for n in workers:
                clock = time.perf_counter()
                run = process_media(
                    db,
                    project,
                    media_dir=data / "media",
                    thumbnails_dir=data / "thumbnails",
                    only_missing=False,
                    workers=n,
                )
                seconds = time.perf_counter() - clock
                assert run.processed == count and run.failed == 0, run
                row = {
                    "kind": project,
                    "files": count,
                    "workers": n,
                    "seconds": round(seconds, 2),
                    "per_second": round(count / seconds, 1),
                }
                results.append(row)
                print(
                    f"{project:7} {count:6} files  workers={n}  {seconds:7.2f} s  "
                    f"{count / seconds:8.1f} files/s",
                    flush=True,
                )
        db.dispose()
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
