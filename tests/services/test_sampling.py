"""Sampling what to label (services.sampling) on every database: random, stratified,
diverse and uncertain picks copied into another project through the importer, with
``sampled_from`` in each copy's metadata and an audit event; refusals change nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.services.builders import jsonl, make_project

from labelworks.domain.errors import InvalidImport, InvalidInput, NotFound
from labelworks.services import ingestion, sampling
from labelworks.storage.engine import Database
from labelworks.storage.items import pre_annotations_by_item
from labelworks.storage.tables import audit_events, items

SPLITS = ["train"] * 6 + ["val"] * 3 + ["test"]


@pytest.fixture
def world(db: Database) -> Database:
    make_project(db, name="pool")
    make_project(db, name="batch")
    rows: list[dict[str, Any]] = [
        {
            "payload": {"text": f"review {i} about {'blenders' if i % 2 else 'kettles'}"},
            "metadata": {"split": SPLITS[i]},
            "pre_annotations": [
                {
                    "model": "m",
                    "score": [0.9, 0.55, 0.99, 0.6, 0.51][i % 5],
                    "value": {"sentiment": "positive"},
                }
            ]
            if i < 5
            else [],
        }
        for i in range(10)
    ]
    ingestion.import_items(db, "pool", jsonl(rows), format="jsonl", source="pool.jsonl")
    return db


def target_items(db: Database) -> list[dict[str, Any]]:
    with db.read() as conn:
        rows = conn.execute(
            select(items.c.metadata).where(items.c.project_id == 2).order_by(items.c.id)
        ).all()
    return [json.loads(m)["sampled_from"] for (m,) in rows]


def test_random_is_reproducible_and_recorded(world: Database) -> None:
    """The same seed draws the same items; the copies carry sampled_from and the audit
    event names the parameters."""
    first = sampling.sample_items(
        world, "pool", strategy="random", n=4, into="batch", seed=7, preview=True
    )
    again = sampling.sample_items(world, "pool", strategy="random", n=4, into="batch", seed=7)
    picked = [p.item for p in first.picks]
    assert [p.item for p in again.picks] == picked and len(set(picked)) == 4
    assert (again.inserted, again.skipped_duplicates) == (4, 0)
    assert target_items(world) == [
        {"project": "pool", "item": i, "strategy": "random", "reason": "random", "seed": 7}
        for i in picked
    ]
    with world.read() as conn:
        (action, details), *_ = conn.execute(
            select(audit_events.c.action, audit_events.c.details)
        ).all()
    assert action == "items.sample"
    assert {k: v for k, v in json.loads(details).items() if k != "import_id"} == {
        "from": "pool",
        "strategy": "random",
        "n": 4,
        "seed": 7,
        "measure": "least",
        "equal": False,
        "allocation": {},
        "items": picked,
        "inserted": 4,
    }


def test_stratified_allocates_by_largest_remainder(world: Database) -> None:
    """Five items over train/val/test (6/3/1) allocate 3/1/1 proportionally and 2/2/1 with
    equal; each copy names its stratum."""
    prop = sampling.sample_items(
        world, "pool", strategy="stratified", by="split", n=5, into="batch", seed=1
    )
    even = sampling.sample_items(
        world,
        "pool",
        strategy="stratified",
        by="split",
        n=5,
        into="batch",
        seed=1,
        equal=True,
        preview=True,
    )
    assert sampling.result_dict(prop)["allocation"] == [
        {"stratum": "test", "available": 1, "sampled": 1},
        {"stratum": "train", "available": 6, "sampled": 3},
        {"stratum": "val", "available": 3, "sampled": 1},
    ]
    assert even.allocation == {"test": 1, "train": 2, "val": 2}
    assert sorted(s["reason"] for s in target_items(world)) == [
        "test",
        "train",
        "train",
        "train",
        "val",
    ]


def test_diverse_picks_far_apart_texts_and_vectors(db: Database) -> None:
    """k-center over TF-IDF picks one text of each topic before a second of either; over
    payload vectors it picks the farthest points; ragged and NaN vectors are refused."""
    make_project(db, name="pool")
    make_project(db, name="batch")
    texts = ["red apple pie", "red apple tart", "red apple cake", "cold blue sea waves"]
    rows = [{"text": t, "vec": [float(i), 0.0]} for i, t in enumerate(texts)]
    ingestion.import_items(db, "pool", jsonl(rows), format="jsonl", source="p.jsonl")
    by_text = sampling.sample_items(
        db, "pool", strategy="diverse", by="text", n=2, into="batch", preview=True
    )
    by_vec = sampling.sample_items(
        db, "pool", strategy="diverse", vectors="vec", n=2, into="batch", preview=True
    )
    assert sorted(p.item for p in by_text.picks) in ([1, 4], [2, 4], [3, 4])
    assert [p.item for p in by_vec.picks] == [1, 4]
    bad = [{"text": "x", "vec": [1.0]}, {"text": "y", "vec": "NaN"}]
    ingestion.import_items(db, "pool", jsonl(bad), format="jsonl", source="b.jsonl")
    with pytest.raises(InvalidInput) as ragged:
        sampling.sample_items(db, "pool", strategy="diverse", vectors="vec", n=2, into="batch")
    assert str(ragged.value) == "item 5, payload key 'vec': 1 numbers, earlier items have 2"


def test_uncertain_ranks_by_measure(world: Database) -> None:
    """Least confident picks the scores nearest one half first; without scored predictions
    it is refused clearly."""
    got = sampling.sample_items(
        world, "pool", strategy="uncertain", n=3, into="batch", preview=True
    )
    assert [(p.item, p.reason) for p in got.picks] == [(5, 0.49), (2, 0.45), (4, 0.4)]
    with pytest.raises(InvalidInput) as none:
        sampling.sample_items(world, "batch", strategy="uncertain", n=1, into="pool")
    assert "no item has a pre-annotation with a score" in str(none.value)


def test_copies_carry_the_suggestions_their_target_takes(world: Database) -> None:
    """Copied into a project of the same fields, the three uncertain picks keep their model's
    suggestion; into one whose labels differ, the copies are made and the suggestions stay
    behind, counted."""
    make_project(
        world,
        name="other",
        fields=[{"name": "sentiment", "kind": "choice", "labels": ["good", "bad"]}],
    )
    same = sampling.sample_items(world, "pool", strategy="uncertain", n=3, into="batch")
    other = sampling.sample_items(world, "pool", strategy="uncertain", n=3, into="other")
    with world.read() as conn:
        carried = conn.execute(select(items.c.id).where(items.c.project_id == 2)).all()
        found = pre_annotations_by_item(conn, [i for (i,) in carried])
    assert (same.suggestions, same.suggestions_left, other.suggestions, other.suggestions_left) == (
        3,
        0,
        0,
        3,
    )
    assert sorted((p["model"], p["score"]) for ps in found.values() for p in ps) == [
        ("m", 0.51),
        ("m", 0.55),
        ("m", 0.6),
    ]
    assert other.inserted == 3


def test_refusals_change_nothing(world: Database) -> None:
    """Bad n, seeds, strategies and keys, a missing target, the same project, and a target
    whose spec needs a key the items lack are refused; the target stays empty."""
    make_project(
        world,
        name="strict",
        fields=[{"name": "s", "kind": "choice", "labels": ["a", "b"], "source": "title"}],
    )
    calls: list[dict[str, Any]] = [
        {"strategy": "random", "n": 0},
        {"strategy": "random", "n": -3},
        {"strategy": "random", "n": 10**9},
        {"strategy": "random", "n": 11},
        {"strategy": "random", "n": 1, "seed": -1},
        {"strategy": "magic", "n": 1},
        {"strategy": "stratified", "n": 1},
        {"strategy": "diverse", "n": 1},
        {"strategy": "random", "n": 1, "by": "bad\udcff"},
    ]
    messages = []
    for kwargs in calls:
        with pytest.raises(InvalidInput) as refused:
            sampling.sample_items(world, "pool", into="batch", **kwargs)
        messages.append(str(refused.value))
    assert messages == [
        "n must be a whole number from 1 to 100,000",
        "n must be a whole number from 1 to 100,000",
        "n must be a whole number from 1 to 100,000",
        "cannot sample 11: the project has 10 items",
        "seed must be a whole number from 0 to 9223372036854775807",
        "strategy must be one of random, stratified, diverse, uncertain, not 'magic'",
        "stratified sampling needs 'by', the key to stratify by",
        "diverse sampling needs 'by', a text key, or 'vectors', a vectors key",
        "by must be 1 to 200 printable characters",
    ]
    with pytest.raises(NotFound):
        sampling.sample_items(world, "pool", strategy="random", n=1, into="nowhere")
    with pytest.raises(InvalidInput):
        sampling.sample_items(world, "pool", strategy="random", n=1, into="pool")
    with pytest.raises(InvalidImport) as strict:
        sampling.sample_items(world, "pool", strategy="random", n=3, into="strict", seed=1)
    assert "payload has no key 'title'" in str(strict.value)
    assert target_items(world) == []


def test_sampled_copies_reach_their_media_files_in_the_target(db: Database, tmp_path: Path) -> None:
    """With the data directory, a copy's file of the source's store is linked into the
    target's store (under from-<source>/ when the name is taken by another file), a file of
    a registered root keeps its folder (registered for the target), and a URL stays."""
    from tests.services.test_yolo_export import SPEC

    from labelworks.domain.spec import spec_from_dict
    from labelworks.services import media_roots
    from labelworks.services import projects as project_service

    data_dir = tmp_path / "data"
    for name in ("shots", "picked"):
        project_service.apply_spec(db, spec_from_dict({**SPEC, "name": name}), guidelines=None)
    source_store = media_roots.store_of(data_dir, "shots")
    (source_store / "cam").mkdir(parents=True)
    (source_store / "cam" / "a.png").write_bytes(b"A")
    (source_store / "b.png").write_bytes(b"B")
    taken = media_roots.store_of(data_dir, "picked")
    taken.mkdir(parents=True)
    (taken / "b.png").write_bytes(b"another B")
    outside = tmp_path / "incoming"
    outside.mkdir()
    (outside / "c.png").write_bytes(b"C")
    prefix, _ = media_roots.prefix_for(data_dir, "shots", outside)
    values = ["cam/a.png", "b.png", f"{prefix}c.png", "https://example.org/d.png"]
    rows = [{"image": v, "w": 8, "h": 8} for v in values]
    ingestion.import_items(db, "shots", jsonl(rows), format="jsonl", source="shots.jsonl")
    sampling.sample_items(
        db, "shots", strategy="random", n=4, into="picked", seed=1, data_dir=data_dir
    )
    with db.read() as conn:
        payloads = conn.execute(select(items.c.payload).where(items.c.project_id == 2)).all()
    copied = sorted(json.loads(p)["image"] for (p,) in payloads)
    reached = {
        v: media_roots.resolve_local(data_dir, "picked", v).read_bytes()
        for v in copied
        if not v.startswith("https://")
    }
    assert copied == sorted(
        ["cam/a.png", "from-shots/b.png", f"{prefix}c.png", "https://example.org/d.png"]
    )
    assert reached == {"cam/a.png": b"A", "from-shots/b.png": b"B", f"{prefix}c.png": b"C"}
    assert (taken / "b.png").read_bytes() == b"another B"
    assert (taken / "cam" / "a.png").stat().st_ino == (source_store / "cam" / "a.png").stat().st_ino
