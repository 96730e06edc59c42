"""Near-duplicate items (services.duplicates) on every database: text clusters by MinHash,
image clusters by stored or computed pHash, and keeping one per cluster through the bulk
delete (all or nothing, audited, refused for items someone worked on)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tests.services.builders import add_annotators, jsonl, load_texts, make_project

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import Conflict, InvalidInput, PermissionDenied
from labelworks.pipelines import phash
from labelworks.services import assignment, audit, duplicates, ingestion
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

BASE = (
    "the delivery arrived two days late and the box was crushed on one side, but the "
    "blender inside still works and makes a smooth soup in under a minute"
)
TEXTS = [
    BASE,  # item 1
    "a completely different review about a blender that is loud",  # 2
    BASE.upper() + "!",  # 3: same text shouting
    "short",  # 4
    BASE.replace("two", "three"),  # 5: one word changed
]


@pytest.fixture
def shop(db: Database) -> str:
    name = make_project(db, overlap=1)
    load_texts(db, name, TEXTS)
    return name


def test_text_clusters_with_earliest_representative(db: Database, shop: str) -> None:
    """The three versions of one review form one cluster represented by item 1; the other
    items stand alone; an item without the key is skipped."""
    ingestion.import_items(
        db, shop, jsonl([{"text": ["not", "text"]}]), format="jsonl", source="x.jsonl"
    )
    report = duplicates.find_duplicates(db, shop, text_key="text", threshold=0.8)
    assert duplicates.report_dict(report) == {
        "project": shop,
        "kind": "text",
        "key": "text",
        "threshold": 0.8,
        "max_distance": None,
        "scanned": 6,
        "duplicates": 2,
        "skipped": 1,
        "skipped_items": [{"id": 6, "reason": "no text under 'text' in the payload"}],
        "clusters": [
            {
                "size": 3,
                "representative": 1,
                "members": [
                    {"id": i, "external_id": None, "preview": TEXTS[i - 1]} for i in (1, 3, 5)
                ],
            }
        ],
    }


def test_keep_one_deletes_the_others_and_is_audited(db: Database, shop: str) -> None:
    """Keeping one removes items 3 and 5, leaves 1, 2 and 4, and the audit trail has the
    delete; a second run finds nothing to remove."""
    kept = duplicates.keep_one(db, shop, text_key="text", threshold=0.8)
    again = duplicates.keep_one(db, shop, text_key="text", threshold=0.8)
    events = audit.audit_trail(db, shop, action="items.delete")
    assert (kept.removed, kept.changed and kept.changed.changed) == ([3, 5], 2)
    assert (again.removed, again.changed, again.report.clusters) == ([], None, [])
    assert [(e.details["ids"], e.details["changed"]) for e in events] == [([3, 5], 2)]
    assert duplicates.find_duplicates(db, shop, text_key="text").scanned == 3


def test_keep_one_refuses_worked_items_and_changes_nothing(db: Database, shop: str) -> None:
    """When a duplicate has been leased, keeping one is refused naming it, and every item
    stays."""
    leased = [assignment.next_task_for(db, shop, ann) for ann in add_annotators(db, shop, 3)]
    assert [t.item_id for t in leased if t is not None] == [1, 2, 3]
    with pytest.raises(Conflict) as refused:
        duplicates.keep_one(db, shop, text_key="text", threshold=0.8)
    assert "item 3 is being labelled now" in str(refused.value)
    assert duplicates.find_duplicates(db, shop, text_key="text").scanned == 5


def _png(path: Path, seed: int, size: tuple[int, int] = (64, 48)) -> Image.Image:
    rng = np.random.default_rng(seed)
    image = Image.fromarray((rng.random((size[1], size[0], 3)) * 255).astype("uint8"))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return image


def test_image_clusters_from_files_and_stored_hashes(
    db: Database, shop: str, tmp_path: Path
) -> None:
    """Images cluster by pHash: a resized copy read from the media folder, and an item whose
    stored hash matches; remote, missing and unreadable files are skipped with reasons."""
    root = tmp_path / "media"
    first = _png(root / shop / "a.png", 1)
    first.resize((128, 96)).save(root / shop / "a_big.png")
    _png(root / shop / "b.png", 2)
    (root / shop / "bad.png").write_bytes(b"not a png")
    stored = phash.to_hex(phash.phash(first))
    rows = [
        {"image": "a.png"},
        {"image": "b.png"},
        {"image": "a_big.png"},
        {
            "payload": {"image": "elsewhere.png"},
            "metadata": {"media": {"image": {"phash": stored}}},
        },
        {"image": "https://example.com/x.png"},
        {"image": "../escape.png"},
        {"image": "bad.png"},
    ]
    for i, row in enumerate(rows):
        row.get("payload", row)["text"] = f"picture {i}"
    ingestion.import_items(db, shop, jsonl(rows), format="jsonl", source="i.jsonl")
    report = duplicates.find_duplicates(db, shop, image_key="image", media_root=root)
    assert report.max_distance == 9
    assert [(c.representative, [m.id for m in c.members]) for c in report.clusters] == [
        (6, [6, 8, 9])
    ]
    assert {i: why for i, why in report.skipped.items() if i > 5} == {
        10: "not a file in the project's media folder",
        11: "not a file in the project's media folder",
        12: "the file is not a readable image",
    }
    assert set(report.skipped) == {1, 2, 3, 4, 5, 10, 11, 12}


def test_refusals(db: Database, shop: str) -> None:
    """Both keys or neither, bad thresholds and bad keys are refused; vendors' staff may not
    look for duplicates."""
    cases = [
        {},
        {"text_key": "text", "image_key": "image"},
        {"text_key": "text", "threshold": 0.0},
        {"text_key": "text", "threshold": float("nan")},
        {"text_key": "text", "threshold": 1.5},
        {"text_key": ""},
        {"text_key": "x" * 201},
        {"text_key": "bad\udcff"},
        {"text_key": "line\nbreak"},
    ]
    messages = []
    for kwargs in cases:
        with pytest.raises(InvalidInput) as refused:
            duplicates.find_duplicates(db, shop, **kwargs)  # type: ignore[arg-type]
        messages.append(str(refused.value))
    assert messages == [
        "give a text key or an image key (one of them)",
        "give a text key or an image key (one of them)",
        "threshold must be greater than 0 and at most 1",
        "threshold must be a number greater than 0 and at most 1",
        "threshold must be greater than 0 and at most 1",
        "text key must be 1 to 200 printable characters",
        "text key must be 1 to 200 printable characters",
        "text key must be 1 to 200 printable characters",
        "text key must be 1 to 200 printable characters",
    ]
    lead = add_user(db, "lead@example.com", role="manager", vendor="acme", projects=[shop])
    vendor = Actor(lead.user.id, "lead@example.com", Role.MANAGER, "acme")
    with pytest.raises(PermissionDenied) as walled:
        duplicates.find_duplicates(db, shop, text_key="text", actor=vendor)
    assert str(walled.value) == (
        "finding duplicates reads every vendor's items; vendors' staff may not"
    )


def test_progress_reaches_the_total(db: Database, shop: str) -> None:
    """Progress is reported up to the number of items."""
    seen: list[tuple[int, int]] = []
    duplicates.find_duplicates(db, shop, text_key="text", progress=lambda d, t: seen.append((d, t)))
    assert (seen[0], seen[-1]) == ((0, 5), (5, 5))
