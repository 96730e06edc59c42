"""The world of the Items table's tests: project 'shop' with twelve items whose metadata,
pre-annotations and annotations make every filter of the table pick a known few.

Items 1..12 hold ``review 0`` .. ``review 11`` (item ``k`` is row ``k - 1``). Their
metadata: ``split`` val for rows 0, 3, 6, 9 (items 1, 4, 7, 10) else train; ``n`` the row
number (row 6 stored as 6.0); ``flagged`` true for rows 0, 4, 8 (items 1, 5, 9); row 5
(item 6) also has a key with a quote and a value with LIKE's wildcards, and a nested object.
Even rows have one pre-annotation of model ``clf`` scored row / 10 (items 1, 3, …, 11 score
0.0, 0.2, …, 1.0). Work, overlap 2 with majority consensus:

- item 1: ann0 (acme) pos note "a", ann1 (acme) pos note "b": complete, agreeing on the
  sentiment, not on the note;
- item 2: ann0 pos, ann2 (globex) neg: complete, disagreeing;
- item 3: ann0 neu: in progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.services.builders import jsonl

from labelworks.domain.access import Actor, Role
from labelworks.domain.spec import spec_from_dict
from labelworks.services import assignment, ingestion
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    "name": "shop",
    "fields": [
        {"name": "sentiment", "kind": "choice", "labels": ["pos", "neg", "neu"]},
        {"name": "note", "kind": "text", "required": False},
    ],
    "overlap": 2,
    "quality": {"consensus": "majority"},
}
ODD_KEY = 'odd key "q"'
ODD_VALUE = "50% off_now"


def metadata(row: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "split": "val" if row % 3 == 0 else "train",
        "n": 6.0 if row == 6 else row,
        "flagged": row % 4 == 0,
    }
    if row == 5:
        out.update({ODD_KEY: ODD_VALUE, "nested": {"a": 1}})
    return out


def rows(n: int = 12) -> list[dict[str, Any]]:
    return [
        {
            "payload": {"text": f"review {row}"},
            "metadata": metadata(row),
            **(
                {
                    "pre_annotations": [
                        {"model": "clf", "score": row / 10, "value": {"sentiment": "pos"}}
                    ]
                }
                if row % 2 == 0
                else {}
            ),
        }
        for row in range(n)
    ]


@dataclass
class Shop:
    db: Database
    ids: dict[str, int]  # user ids: ann0, ann1, ann2, boss, lead (acme manager), reviewer

    def actor(self, who: str) -> Actor:
        role, vendor = {
            "boss": (Role.MANAGER, None),
            "lead": (Role.MANAGER, "acme"),
            "reviewer": (Role.REVIEWER, None),
            "admin": (Role.ADMIN, None),
        }[who]
        return Actor(self.ids[who], f"{who}@example.com", role, vendor)


def label(db: Database, annotator: int, value: dict[str, Any]) -> int:
    """Lease the annotator's next task and submit ``value``; returns the item id."""
    task = assignment.next_task_for(db, "shop", annotator)
    assert task is not None
    assignment.submit_annotation(
        db,
        task.assignment_id,
        annotator,
        value=value,
        seconds=1.0,
        idempotency_key=f"k{task.assignment_id}",
    )
    return task.item_id


def build_shop(db: Database) -> Shop:
    apply_spec(db, spec_from_dict(SPEC), guidelines=None)
    apply_spec(db, spec_from_dict({**SPEC, "name": "other"}), guidelines=None)
    ingestion.import_items(db, "shop", jsonl(rows()), format="jsonl", source="shop.jsonl")
    people = {
        "ann0": ("annotator", "acme", ["shop"]),
        "ann1": ("annotator", "acme", ["shop"]),
        "ann2": ("annotator", "globex", ["shop"]),
        "boss": ("manager", None, ["shop"]),
        "lead": ("manager", "acme", ["shop"]),
        "reviewer": ("reviewer", None, ["shop"]),
        "admin": ("admin", None, []),
        "stranger": ("manager", None, ["other"]),
    }
    ids = {
        who: add_user(
            db, f"{who}@example.com", role=role, vendor=vendor, projects=projects or None
        ).user.id
        for who, (role, vendor, projects) in people.items()
    }
    served = [
        label(db, ids["ann0"], {"sentiment": "pos", "note": "a"}),
        label(db, ids["ann1"], {"sentiment": "pos", "note": "b"}),
        label(db, ids["ann0"], {"sentiment": "pos"}),
        label(db, ids["ann2"], {"sentiment": "neg"}),
        label(db, ids["ann0"], {"sentiment": "neu"}),
    ]
    assert served == [1, 1, 2, 2, 3]
    return Shop(db, ids)
