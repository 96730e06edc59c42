"""labels=final dataset exports write decided and adjudicated final labels only: an item
whose final label still waits for adjudication is exported, per format, as unlabelled."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import Any

import datasets
import pytest
from spacy.tokens import DocBin
from tests.services.builders import jsonl
from tests.services.test_dataset_exports import parse_conll

from labelworks.domain.access import Actor, Role
from labelworks.domain.spec import spec_from_dict
from labelworks.services import projects as project_service
from labelworks.services.adjudication import adjudicate
from labelworks.services.dataset_exports import export_dataset
from labelworks.services.ingestion import import_items
from labelworks.services.users import add_user
from labelworks.storage import consensus as store
from labelworks.storage import projects as project_store
from labelworks.storage.engine import Database

PROJECT = "street"
SPEC: dict[str, Any] = {
    "name": PROJECT,
    "fields": [
        {
            "name": "objects",
            "kind": "boxes",
            "labels": ["car", "person"],
            "width_key": "w",
            "height_key": "h",
        },
        {"name": "entities", "kind": "spans", "labels": ["PER", "LOC"]},
    ],
    "overlap": 1,
    "quality": {"consensus": "majority"},
}
TEXT = "Ada walked in Paris"
# Item 1 is decided by consensus, item 2 waits for adjudication (its value is only the
# method's proposal), item 3 was decided by an expert.
VALUES = {
    1: {
        "objects": [{"x": 10, "y": 10, "width": 20, "height": 20, "label": "car"}],
        "entities": [{"start": 0, "end": 3, "label": "PER"}],
    },
    2: {
        "objects": [{"x": 0, "y": 0, "width": 50, "height": 25, "label": "person"}],
        "entities": [{"start": 14, "end": 19, "label": "LOC"}],
    },
    3: {
        "objects": [{"x": 5, "y": 5, "width": 10, "height": 10, "label": "person"}],
        "entities": [{"start": 14, "end": 19, "label": "LOC"}],
    },
}
STATUSES = {1: "final", 2: "adjudication", 3: "adjudication"}


def _seed(db: Database) -> None:
    project_service.apply_spec(db, spec_from_dict(SPEC), guidelines=None)
    rows = [
        {"external_id": f"s{i}", "payload": {"text": TEXT, "image": f"{c}.jpg", "w": 100, "h": 50}}
        for i, c in ((1, "a"), (2, "b"), (3, "c"))
    ]
    import_items(db, PROJECT, jsonl(rows), format="jsonl", source="street.jsonl")
    with db.write() as conn:
        project = project_store.by_name(conn, PROJECT)
        assert project is not None
        for item, status in STATUSES.items():
            store.record_final(
                conn,
                item_id=item,
                project_id=project.id,
                value=VALUES[item],
                method="majority",
                confidence=0.5,
                fields={"objects": 0.5, "entities": 0.5},
                annotation_ids=[],
                status=status,
                now=datetime(2026, 1, 1, 12, 0, 0),
            )
    expert = add_user(db, "expert@example.com", role="reviewer", projects=[PROJECT]).user
    actor = Actor(expert.id, expert.email, Role.REVIEWER)
    adjudicate(db, PROJECT, 3, value=VALUES[3], note="checked", actor=actor)


def _export(db: Database, tmp_path: Path, fmt: str) -> Path:
    target = tmp_path / f"out-{fmt}"
    export_dataset(db, PROJECT, fmt, target, media_dir=tmp_path / "media")
    return target


def _coco(target: Path) -> Any:
    data = json.loads(target.read_text())
    return (
        [(i["id"], i["file_name"]) for i in data["images"]],
        [(a["image_id"], a["bbox"]) for a in data["annotations"]],
    )


def _yolo(target: Path) -> Any:
    return sorted(p.name for p in (target / "labels").rglob("*.txt"))


def _voc(target: Path) -> Any:
    return [
        (p.name, [o.findtext("name") for o in ET.parse(p).getroot().iter("object")])
        for p in sorted((target / "Annotations").glob("*.xml"))
    ]


def _conll(target: Path) -> Any:
    return parse_conll(target.read_text(encoding="utf-8"), [TEXT, TEXT])


def _docbin(target: Path) -> Any:
    import spacy

    docs = DocBin().from_disk(target).get_docs(spacy.blank("xx").vocab)
    return [(d.user_data["id"], [(e.text, e.label_) for e in d.ents]) for d in docs]


def _hf(target: Path) -> Any:
    rows = datasets.load_from_disk(str(target)).to_list()
    return [(r["id"], r["objects"] is None, r["entities"] is None) for r in rows]


def _labelstudio(target: Path) -> Any:
    return [
        (t["id"], [a["completed_by"]["email"] for a in t["annotations"]])
        for t in json.loads(target.read_text())
    ]


CONSENSUS = "consensus@labelworks.invalid"
CASES = [
    # Formats with no way to say "unlabelled": the waiting item is left out, as any item
    # without a final label is (an image without boxes would teach "nothing here").
    ("coco", _coco, ([(1, "a.jpg"), (3, "c.jpg")], [(1, [10, 10, 20, 20]), (3, [5, 5, 10, 10])])),
    ("yolo", _yolo, ["a.txt", "c.txt"]),
    ("voc", _voc, [("a.xml", ["car"]), ("c.xml", ["person"])]),
    ("conll", _conll, [[(0, 3, "PER")], [(14, 19, "LOC")]]),
    ("docbin", _docbin, [(1, [("Ada", "PER")]), (3, [("Paris", "LOC")])]),
    # Formats that keep unlabelled items: the waiting item is there, with no labels.
    ("hf", _hf, [(1, False, False), (2, True, True), (3, False, False)]),
    ("labelstudio", _labelstudio, [(1, [CONSENSUS]), (2, []), (3, ["expert@example.com"])]),
]  # fmt: skip


@pytest.mark.parametrize(("fmt", "read", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_final_export_leaves_the_label_awaiting_adjudication_out(
    db: Database, tmp_path: Path, fmt: str, read: Any, expected: Any
) -> None:
    """With labels=final each format writes the decided and the adjudicated item's labels
    and treats the item awaiting adjudication as one without a final label."""
    _seed(db)
    assert read(_export(db, tmp_path, fmt)) == expected
