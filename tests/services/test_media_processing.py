"""Media processing through the service layer, on every database: facts and derived files
land on the right items, broken files get reasons while the batch goes on, other metadata
and the content hash stay, re-runs only do what is missing, and the report counts it all."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.services.media_world import make_media_world, png

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import InvalidInput, PermissionDenied
from labelworks.services import ingestion, media_roots
from labelworks.services import users as user_service
from labelworks.services.media_processing import key_tag, process_media
from labelworks.services.media_report import MediaFailure, media_report
from labelworks.storage.engine import Database
from labelworks.storage.tables import items


def _items(db: Database) -> dict[str, tuple[dict[str, Any], str]]:
    with db.read() as conn:
        rows = conn.execute(select(items.c.external_id, items.c.metadata, items.c.content_hash))
        return {r.external_id: (json.loads(r.metadata), r.content_hash) for r in rows}


def _ids(db: Database) -> dict[str, int]:
    with db.read() as conn:
        return {r.external_id: r.id for r in conn.execute(select(items.c.external_id, items.c.id))}


def test_processing_stores_facts_errors_and_files(db: Database, tmp_path: Path) -> None:
    """Every media value gets facts or a reason; files are where the facts say."""
    world = make_media_world(db, tmp_path)
    before = _items(db)
    seen: list[tuple[int, int]] = []
    run = process_media(
        db,
        world.project,
        media_dir=world.media_dir,
        thumbnails_dir=world.thumbnails_dir,
        progress=lambda done, total: seen.append((done, total)),
    )
    after = _items(db)
    ids = _ids(db)
    a, b = after["a"][0]["media"], after["b"][0]["media"]
    out = world.thumbnails_dir / world.project
    assert (run.total, run.processed, run.failed, run.skipped, run.remote) == (8, 8, 4, 0, 1)
    assert seen == [(0, 8), (8, 8)]
    assert {k: (v[0].get("media_error"), v[1] == before[k][1]) for k, v in after.items()} == {
        "a": (None, True),
        "b": (None, True),
        "cut": ({"image": "corrupt or truncated image: Truncated File Read"}, True),
        "liar": (
            {
                "audio": "truncated WAV: the header declares 10,000,000 bytes of audio "
                "(5,000,000 frames), the file holds 3,200"
            },
            True,
        ),
        "gone": ({"image": "no file 'img/missing.png' in the project's media folder"}, True),
        "escape": ({"image": "the media path leaves the project's media folder"}, True),
        "remote": (None, True),
        "text": (None, True),
    }
    assert after["text"][0] == {"batch": 7}
    assert {k: v for k, v in a["image"].items() if k != "phash"} == {
        "kind": "image",
        "format": "PNG",
        "mode": "RGB",
        "width": 320,
        "height": 200,
        "orientation": 1,
        "display_width": 320,
        "display_height": 200,
        "thumbnail": f"{ids['a']}-{key_tag('image')}.webp",
    }
    assert (len(a["image"]["phash"]), a["audio"], b["sensor"]["display"]) == (
        16,
        {
            "kind": "audio",
            "codec": "pcm_16",
            "duration": 1.0,
            "sample_rate": 16000,
            "channels": 1,
            "peaks": "snd/a.wav.json",
        },
        "ser/a.csv",
    )
    assert (
        (out / "items" / a["image"]["thumbnail"]).is_file(),
        len(json.loads((out / "peaks" / "snd/a.wav.json").read_bytes())["peaks"]),
        (out / "series" / "ser/a.csv").read_text(),
    ) == (True, 1000, "t,x\n0.0,1.0\n0.5,2.0\n1.0,0.0\n")


def test_a_rerun_does_only_what_is_missing_and_force_redoes_all(
    db: Database, tmp_path: Path
) -> None:
    """The second run skips every done key; a new item is picked up; force redoes all."""
    world = make_media_world(db, tmp_path)
    kwargs: dict[str, Any] = {"media_dir": world.media_dir, "thumbnails_dir": world.thumbnails_dir}
    process_media(db, world.project, **kwargs)
    again = process_media(db, world.project, **kwargs)
    (world.media_dir / world.project / "img/missing.png").write_bytes(
        (world.media_dir / world.project / "img/a.png").read_bytes()
    )
    forced = process_media(db, world.project, only_missing=False, workers=2, **kwargs)
    after = _items(db)
    assert (
        (again.total, again.skipped, again.remote),
        (forced.total, forced.failed, forced.skipped),
        "media_error" in after["gone"][0],
        after["gone"][0]["media"]["image"]["width"],
    ) == ((0, 8, 1), (8, 3, 0), False, 320)


def test_a_cancelled_run_keeps_its_batches_and_a_rerun_finishes(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A progress callback that raises after the first batch: that batch stays, the rest
    is done by the next run."""
    import labelworks.services.media_processing as processing

    monkeypatch.setattr(processing, "BATCH", 3)
    world = make_media_world(db, tmp_path)
    kwargs: dict[str, Any] = {"media_dir": world.media_dir, "thumbnails_dir": world.thumbnails_dir}

    def stop(done: int, total: int) -> None:
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        process_media(db, world.project, progress=stop, **kwargs)
    middle = media_report(db, world.project)
    rest = process_media(db, world.project, **kwargs)
    final = media_report(db, world.project)
    assert (middle.pending, rest.total, rest.skipped, final.pending) == (5, 5, 3, 0)


def test_the_report_counts_kinds_failures_and_pending(db: Database, tmp_path: Path) -> None:
    """Before: everything pending; after: counts by kind and each failure with its item."""
    world = make_media_world(db, tmp_path)
    before = media_report(db, world.project)
    process_media(db, world.project, media_dir=world.media_dir, thumbnails_dir=world.thumbnails_dir)
    report = media_report(db, world.project)
    ids = _ids(db)
    assert (before.pending, before.failed, before.remote) == (8, 0, 1)
    assert (
        report.keys,
        report.items,
        report.processed,
        report.failed,
        report.pending,
        report.remote,
        sorted(report.failures, key=lambda f: f.item_id),
        report.truncated,
    ) == (
        {"image": "image", "audio": "audio", "sensor": "timeseries"},
        8,
        {"image": 2, "audio": 1, "timeseries": 1},
        4,
        0,
        1,
        sorted(
            [
                MediaFailure(
                    ids["cut"], "cut", "image", "corrupt or truncated image: Truncated File Read"
                ),
                MediaFailure(
                    ids["liar"],
                    "liar",
                    "audio",
                    "truncated WAV: the header declares 10,000,000 bytes of audio "
                    "(5,000,000 frames), the file holds 3,200",
                ),
                MediaFailure(
                    ids["gone"],
                    "gone",
                    "image",
                    "no file 'img/missing.png' in the project's media folder",
                ),
                MediaFailure(
                    ids["escape"],
                    "escape",
                    "image",
                    "the media path leaves the project's media folder",
                ),
            ],
            key=lambda f: f.item_id,
        ),
        False,
    )


def test_processing_needs_manage_and_sane_workers(db: Database, tmp_path: Path) -> None:
    """An annotator may not process; workers outside 1-32 are refused before any work."""
    world = make_media_world(db, tmp_path)
    annotator = user_service.add_user(
        db, "ann@example.com", role="annotator", projects=[world.project]
    ).user
    actor = Actor(annotator.id, "ann@example.com", Role.ANNOTATOR)
    paths: dict[str, Any] = {"media_dir": world.media_dir, "thumbnails_dir": world.thumbnails_dir}
    with pytest.raises(InvalidInput) as bad:
        process_media(db, world.project, workers=0, **paths)
    with pytest.raises(PermissionDenied):
        process_media(db, world.project, actor=actor, **paths)
    assert (str(bad.value), media_report(db, world.project).pending) == (
        "workers must be 1 to 32, not 0",
        8,
    )


def test_media_under_a_registered_root_are_found_there(db: Database, tmp_path: Path) -> None:
    """A payload value under a media root registered for the project (an imported folder
    outside the store) is read from that folder."""
    world = make_media_world(db, tmp_path)
    outside = tmp_path / "camera-roll"
    outside.mkdir()
    (outside / "p.png").write_bytes(png(40, 30))
    prefix, _ = media_roots.prefix_for(tmp_path, world.project, outside)
    row = {
        "external_id": "rooted",
        "payload": {"image": f"{prefix}p.png", "audio": "", "sensor": ""},
    }
    ingestion.import_items(
        db, world.project, io.BytesIO(json.dumps(row).encode()), format="jsonl", source="r.jsonl"
    )
    process_media(db, world.project, media_dir=world.media_dir, thumbnails_dir=world.thumbnails_dir)
    facts = _items(db)["rooted"][0]["media"]["image"]
    assert (prefix, facts["width"], facts["height"]) == ("camera-roll/", 40, 30)
