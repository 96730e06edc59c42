"""A project whose items name images, audio, series and video files, with files written
to a media folder: good ones and broken ones, for the media processing tests."""

from __future__ import annotations

import io
import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from labelworks.domain.spec import spec_from_dict
from labelworks.pipelines.samples_media import wav_bytes
from labelworks.services import ingestion
from labelworks.services import projects as project_service
from labelworks.storage.engine import Database

MEDIA_SPEC: dict[str, Any] = {
    "name": "media",
    "description": "Media of every kind",
    "fields": [
        {"name": "objects", "kind": "boxes", "labels": ["cat", "dog"], "source": "image"},
        {"name": "sounds", "kind": "segments", "media": "audio", "labels": ["speech"]},
        {
            "name": "signals",
            "kind": "segments",
            "media": "timeseries",
            "source": "sensor",
            "labels": ["walk"],
        },
    ],
    "overlap": 1,
    "lease_minutes": 30,
}


def png(width: int, height: int, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    image = Image.fromarray(pixels).resize((width, height), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def lying_wav() -> bytes:
    data = bytearray(wav_bytes(np.zeros(1600)))
    start = data.find(b"data")
    struct.pack_into("<I", data, start + 4, 10_000_000)
    return bytes(data)


@dataclass(frozen=True, slots=True)
class MediaWorld:
    project: str
    media_dir: Path
    thumbnails_dir: Path


GOOD = {
    "img/a.png": png(320, 200, 1),
    "img/b.png": png(64, 640, 2),
    "snd/a.wav": wav_bytes(np.sin(np.arange(16000) / 7) * 0.4),
    "ser/a.csv": b"t,x\n0,1\n0.5,2\n1,0\n",
}
BROKEN = {
    "img/cut.png": png(320, 200, 3)[:900],
    "snd/liar.wav": lying_wav(),
}
ROWS: list[dict[str, Any]] = [
    {"external_id": "a", "payload": {"image": "img/a.png", "audio": "snd/a.wav"}},
    {"external_id": "b", "payload": {"image": "img/b.png", "sensor": "ser/a.csv"}},
    {"external_id": "cut", "payload": {"image": "img/cut.png"}},
    {"external_id": "liar", "payload": {"audio": "snd/liar.wav"}},
    {"external_id": "gone", "payload": {"image": "img/missing.png"}},
    {"external_id": "escape", "payload": {"image": "../../etc/passwd"}},
    {"external_id": "remote", "payload": {"image": "https://example.com/x.png"}},
    {"external_id": "text", "payload": {"note": "no media here"}, "metadata": {"batch": 7}},
]


def make_media_world(db: Database, root: Path, name: str = "media") -> MediaWorld:
    """The project, its items (ROWS, absent keys as empty strings) and files (GOOD and
    BROKEN) under ``root``."""
    spec = spec_from_dict({**MEDIA_SPEC, "name": name})
    project_service.apply_spec(db, spec, guidelines="# Media\nLook.")
    media_dir = root / "media"
    for path, data in {**GOOD, **BROKEN}.items():
        target = media_dir / name / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    empty = {"image": "", "audio": "", "sensor": ""}
    filled = [{**r, "payload": {**empty, **r["payload"]}} for r in ROWS]
    rows = "".join(json.dumps(r) + "\n" for r in filled).encode()
    ingestion.import_items(db, name, io.BytesIO(rows), format="jsonl", source="media.jsonl")
    return MediaWorld(name, media_dir, root / "thumbnails")
