"""Importing finished annotations (a project's history): round trips, counts, refusals."""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select
from tests.services.builders import add_annotators, jsonl, make_project

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import InvalidImport, Location
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.exports import export_project
from labelworks.services.ingestion import import_items
from labelworks.services.status import project_status
from labelworks.services.users import add_user, list_users
from labelworks.storage.engine import Database
from labelworks.storage.tables import final_labels, memberships, users

T0 = datetime(2026, 1, 1, 12, 0)


def _exported(db: Database, project: str) -> list[dict[str, Any]]:
    out = io.BytesIO()
    export_project(db, project, out, format="jsonl")
    return [json.loads(line) for line in out.getvalue().splitlines()]


def _done(email: str, label: str, *, seconds: float | None = 3.0) -> dict[str, Any]:
    return {
        "annotator": email,
        "value": {"sentiment": label},
        "created_at": "2026-01-01T12:00:00Z",
        "seconds": seconds,
        "guideline_version": 1,
    }


def _work(db: Database, project: str) -> None:
    """Item 1 gets two annotations (complete), item 2 one, item 3 none."""
    import_items(
        db,
        project,
        jsonl([{"text": "one"}, {"text": "two"}, {"text": "three"}]),
        format="jsonl",
        source="seed.jsonl",
    )
    a, b = add_annotators(db, project, 2)
    for who, label, seconds in ((a, "positive", 4.5), (b, "negative", 2.0), (a, "neutral", 1.0)):
        task = next_task_for(db, project, who, now=T0)
        assert task is not None
        submit_annotation(
            db,
            task.assignment_id,
            who,
            value={"sentiment": label},
            seconds=seconds,
            idempotency_key=f"k{who}-{label}",
            now=T0,
        )


def _without_ids(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k not in ("id", "created_at")} for r in records]


def test_export_imports_into_a_new_project_with_its_history(db: Database) -> None:
    """A JSONL export imported into a new project exports again the same, ids and times of
    the items aside, and the new project counts the same work."""
    make_project(db)
    _work(db, "sentiment")
    first = _exported(db, "sentiment")
    make_project(db, name="moved")
    body = io.BytesIO("".join(json.dumps(r) + "\n" for r in first).encode())
    summary = import_items(db, "moved", body, format="jsonl", source="export.jsonl")
    assert (summary.inserted, summary.annotations, summary.created_annotators) == (3, 3, ())
    assert _without_ids(_exported(db, "moved")) == _without_ids(first)
    before, after = project_status(db, "sentiment", now=T0), project_status(db, "moved", now=T0)
    assert (after.items, after.complete, after.annotations) == (3, 1, 3)
    assert [(c.email, c.submitted, c.seconds) for c in after.annotators] == [
        (c.email, c.submitted, c.seconds) for c in before.annotators
    ]


def test_restored_work_is_not_served_again(db: Database) -> None:
    """A complete item leaves the queue, nobody is served an item they annotated, and a
    restored annotation counts towards the overlap."""
    make_project(db)
    a, b, c = add_annotators(db, "sentiment", 3)
    rows = [
        {
            "text": "full",
            "annotations": [
                _done("ann0@example.com", "positive"),
                _done("ann1@example.com", "negative"),
            ],
        },
        {"payload": {"text": "half"}, "annotations": [_done("ann0@example.com", "neutral")]},
    ]
    import_items(db, "sentiment", jsonl(rows), format="jsonl", source="h.jsonl")
    assert next_task_for(db, "sentiment", a, now=T0) is None
    served = next_task_for(db, "sentiment", b, now=T0)
    assert served is not None and served.payload == {"text": "half"}
    # One restored annotation and b's lease fill the overlap of 2.
    assert next_task_for(db, "sentiment", c, now=T0) is None


def test_unknown_annotator_is_refused_naming_line_and_email(db: Database) -> None:
    """An annotation by someone who is not a user refuses the whole import."""
    make_project(db)
    add_annotators(db, "sentiment", 1)
    rows = [
        {"text": "a", "annotations": [_done("ann0@example.com", "positive")]},
        {
            "text": "b",
            "annotations": [
                _done("ann0@example.com", "positive"),
                _done("stranger@example.com", "negative"),
            ],
        },
    ]
    with pytest.raises(InvalidImport) as caught:
        import_items(db, "sentiment", jsonl(rows), format="jsonl", source="h.jsonl")
    assert caught.value.location == Location(
        file="h.jsonl", line=2, field="annotations[1].annotator"
    )
    assert "stranger@example.com" in caught.value.message
    assert project_status(db, "sentiment", now=T0).items == 0


def test_create_annotators_makes_members_without_a_password(db: Database) -> None:
    """With create_annotators, unknown annotators become passwordless annotator members."""
    make_project(db)
    rows = [{"text": "a", "annotations": [_done("New.Person@Example.com", "positive")]}]
    summary = import_items(
        db, "sentiment", jsonl(rows), format="jsonl", source="h.jsonl", create_annotators=True
    )
    assert (summary.annotations, summary.created_annotators) == (1, ("new.person@example.com",))
    with db.read() as conn:
        person = conn.execute(
            select(
                users.c.email, users.c.role, users.c.password_hash, memberships.c.done_count
            ).join(memberships, memberships.c.user_id == users.c.id)
        ).all()
    assert [tuple(p) for p in person] == [("new.person@example.com", "annotator", None, 0)]


@pytest.mark.parametrize(
    ("annotation", "field", "words"),
    [
        (_done("ann0@example.com", "furious"), "annotations[0].value.sentiment", "furious"),
        (
            {**_done("ann0@example.com", "positive"), "seconds": -1},
            "annotations[0].seconds",
            "seconds",
        ),
        (
            {**_done("ann0@example.com", "positive"), "created_at": "yesterday"},
            "annotations[0].created_at",
            "yesterday",
        ),
        ({**_done("ann0@example.com", "positive"), "votes": 2}, "annotations[0].votes", "votes"),
        ({**_done("not-an-email", "positive")}, "annotations[0].annotator", "not-an-email"),
    ],
)
def test_bad_annotations_are_refused_naming_line_and_field(
    db: Database, annotation: dict[str, Any], field: str, words: str
) -> None:
    """A value outside the labels, a negative time, a bad moment, an unknown key or a bad
    address refuses the import at that line and field."""
    make_project(db)
    add_annotators(db, "sentiment", 1)
    rows = [{"text": "fine"}, {"payload": {"text": "x"}, "annotations": [annotation]}]
    with pytest.raises(InvalidImport) as caught:
        import_items(db, "sentiment", jsonl(rows), format="jsonl", source="h.jsonl")
    assert caught.value.location == Location(file="h.jsonl", line=2, field=field)
    assert words in caught.value.message
    assert project_status(db, "sentiment", now=T0).items == 0


def test_same_annotator_twice_on_one_item_is_refused(db: Database) -> None:
    """An item annotated twice by one person is not an export: refused at the second."""
    make_project(db)
    add_annotators(db, "sentiment", 1)
    twice = [_done("ann0@example.com", "positive"), _done("ANN0@example.com", "negative")]
    with pytest.raises(InvalidImport) as caught:
        import_items(
            db,
            "sentiment",
            jsonl([{"text": "x", "annotations": twice}]),
            format="jsonl",
            source="h.jsonl",
        )
    assert caught.value.location == Location(
        file="h.jsonl", line=1, field="annotations[1].annotator"
    )


def test_complete_items_get_final_labels_from_consensus(db: Database) -> None:
    """Items that reach their overlap are decided by the project's consensus method."""
    make_project(db, quality={"consensus": "majority"})
    add_annotators(db, "sentiment", 3)
    rows = [
        {
            "text": "agreed",
            "annotations": [
                _done("ann0@example.com", "positive"),
                _done("ann1@example.com", "positive"),
            ],
        },
        {"text": "open", "annotations": [_done("ann2@example.com", "negative")]},
    ]
    import_items(db, "sentiment", jsonl(rows), format="jsonl", source="h.jsonl")
    with db.read() as conn:
        decided = conn.execute(select(final_labels.c.item_id, final_labels.c.value)).all()
    assert [(i, json.loads(v)) for i, v in decided] == [(1, {"sentiment": "positive"})]


def test_rows_without_history_import_as_before(db: Database) -> None:
    """Plain rows and an empty history restore nothing and create nobody."""
    make_project(db)
    rows = [{"text": "a"}, {"payload": {"text": "b"}, "annotations": []}]
    summary = import_items(db, "sentiment", jsonl(rows), format="jsonl", source="p.jsonl")
    assert (summary.inserted, summary.annotations, summary.created_annotators) == (2, 0, ())
    assert [r["annotations"] for r in _exported(db, "sentiment")] == [[], []]


def test_a_vendor_manager_restores_only_their_vendor_s_work(db: Database) -> None:
    """Behind a vendor wall, another vendor's annotator is refused as unknown, even with
    create_annotators, and the annotators created belong to the manager's vendor."""
    make_project(db)
    boss = add_user(db, "boss@acme.example", role="manager", vendor="acme", projects=["sentiment"])
    add_user(db, "ann@globex.example", role="annotator", vendor="globex", projects=["sentiment"])
    walled = Actor(boss.user.id, boss.user.email, Role.MANAGER, vendor="acme")
    other = [{"text": "x", "annotations": [_done("ann@globex.example", "positive")]}]
    with pytest.raises(InvalidImport) as caught:
        import_items(
            db,
            "sentiment",
            jsonl(other),
            format="jsonl",
            source="h.jsonl",
            actor=walled,
            create_annotators=True,
        )
    assert caught.value.message.startswith(
        "unknown annotator ann@globex.example (you import the work of acme's people only)"
    )
    mine = [{"text": "y", "annotations": [_done("new@acme.example", "positive")]}]
    import_items(
        db,
        "sentiment",
        jsonl(mine),
        format="jsonl",
        source="h.jsonl",
        actor=walled,
        create_annotators=True,
    )
    assert [(u.email, u.vendor) for u, _ in list_users(db) if u.email == "new@acme.example"] == [
        ("new@acme.example", "acme")
    ]
