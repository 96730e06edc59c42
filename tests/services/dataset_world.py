"""A news project with entity spans and a topic, annotated by two in-house annotators and
one of vendor acme, with final labels by majority: the world the dataset export tests use."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.services.builders import jsonl

from labelworks.domain.access import Actor, Role
from labelworks.domain.spec import spec_from_dict
from labelworks.services import projects as project_service
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.ingestion import import_items
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

T0 = datetime(2026, 1, 1, 12, 0, 0)
PROJECT = "news"
SPEC: dict[str, Any] = {
    "name": PROJECT,
    "fields": [
        {"name": "entities", "kind": "spans", "labels": ["PER", "ORG", "LOC"]},
        {"name": "topic", "kind": "choice", "labels": ["politics", "sport"]},
    ],
    "overlap": 3,
    "quality": {"consensus": "majority"},
}
TEXTS = [
    "Angela Merkel met Emmanuel Macron in Paris. They talked.\nBerlin agreed!",
    "FC Barcelona signed a striker from Ajax Amsterdam.",
    "Nobody has read this one yet.",
]
ROWS: list[dict[str, Any]] = [
    {"external_id": "n1", "payload": {"text": TEXTS[0], "year": 2024}, "metadata": {"src": "a"}},
    {"external_id": "n2", "payload": {"text": TEXTS[1], "year": 2025.5}},
    {"external_id": "n3", "payload": {"text": TEXTS[2], "year": None, "extra": [1]}},
]
# Item 1: Merkel (PER), Macron (PER), Paris (LOC), Berlin (LOC); item 2: FC Barcelona (ORG),
# Ajax Amsterdam (ORG).
ITEM1 = [(0, 13, "PER"), (18, 33, "PER"), (37, 42, "LOC"), (57, 63, "LOC")]
ITEM2 = [(0, 12, "ORG"), (35, 49, "ORG")]


def spans(marks: list[tuple[int, int, str]]) -> list[dict[str, Any]]:
    return [{"start": s, "end": e, "label": label} for s, e, label in marks]


def answer(marks: list[tuple[int, int, str]], topic: str) -> dict[str, Any]:
    return {"entities": spans(marks), "topic": topic}


def submit(db: Database, who: int, item: int, value: dict[str, Any], key: str) -> None:
    task = next_task_for(db, PROJECT, who, now=T0)
    assert task is not None and task.item_id == item
    submit_annotation(
        db, task.assignment_id, who, value=value, seconds=2.5, idempotency_key=key, now=T0
    )


def seed(db: Database, tokens: dict[str, str] | None = None) -> dict[str, int]:
    """Items 1 and 2 labelled by ann0, ann1 and acme's annotator (who left Paris out of
    item 1), final labels by majority; item 3 untouched. Returns the ids of
    ann0, ann1, the acme annotator and the acme manager by email; their API tokens go into
    ``tokens`` when given."""
    project_service.apply_spec(db, spec_from_dict(SPEC), guidelines=None)
    import_items(db, PROJECT, jsonl(ROWS), format="jsonl", source="news.jsonl")
    ids: dict[str, int] = {}
    for email, vendor, role in (
        ("ann0@example.com", None, "annotator"),
        ("ann1@example.com", None, "annotator"),
        ("worker@acme.example", "acme", "annotator"),
        ("boss@acme.example", "acme", "manager"),
    ):
        made = add_user(db, email, role=role, vendor=vendor, projects=[PROJECT], with_token=True)
        ids[email] = made.user.id
        if tokens is not None and made.token is not None:
            tokens[email] = made.token
    acme_item1 = [m for m in ITEM1 if m[2] != "LOC" or m[0] != 37]
    for email, first in (
        ("ann0@example.com", ITEM1),
        ("ann1@example.com", ITEM1),
        ("worker@acme.example", acme_item1),
    ):
        submit(db, ids[email], 1, answer(first, "politics"), f"{email}-1")
        submit(db, ids[email], 2, answer(ITEM2, "sport"), f"{email}-2")
    return ids


def acme_manager(db: Database, ids: dict[str, int]) -> Actor:
    return Actor(ids["boss@acme.example"], "boss@acme.example", Role.MANAGER, vendor="acme")
