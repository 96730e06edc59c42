"""Adjudication through the service layer, on every database: the queue shows anonymised
annotations with disagreements marked, an expert's decision is recorded with who made it,
and consensus never overrides it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from tests.services.builders import add_annotators, load_texts, make_project

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import InvalidAnnotation, NotFound, PermissionDenied
from labelworks.services import consensus
from labelworks.services.adjudication import adjudicate, adjudication_queue
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.users import add_user
from labelworks.storage import consensus as store
from labelworks.storage.engine import Database

T0 = datetime(2026, 1, 1, 12, 0, 0)
SPLIT = ["positive", "negative", "positive", "negative"]


def _split_item(db: Database) -> tuple[str, int]:
    """A project whose one item ends split 2:2 at its max of 4 annotations."""
    project = make_project(db, quality={"dynamic_overlap": {"min": 2, "max": 4, "confidence": 0.9}})
    load_texts(db, project, ["is it good?"])
    item = 0
    for k, (annotator, answer) in enumerate(
        zip(add_annotators(db, project, 4), SPLIT, strict=True)
    ):
        task = next_task_for(db, project, annotator, now=T0 + timedelta(seconds=k))
        assert task is not None
        item = task.item_id
        submit_annotation(
            db,
            task.assignment_id,
            annotator,
            value={"sentiment": answer},
            seconds=1.0,
            idempotency_key=f"k{k}",
            now=T0 + timedelta(seconds=k),
        )
    return project, item


def test_the_queue_shows_anonymised_annotations_and_marks_disagreement(db: Database) -> None:
    """The split item waits with aliases A-D, its proposal, confidence and a disagreement."""
    project, item = _split_item(db)
    (case,) = adjudication_queue(db, project)
    assert (
        case.item_id,
        case.payload,
        case.proposal,
        case.confidence,
        case.annotations,
        case.disagreements,
    ) == (
        item,
        {"text": "is it good?"},
        {"sentiment": "positive"},
        0.5,
        [(alias, {"sentiment": a}) for alias, a in zip("ABCD", SPLIT, strict=True)],
        {"sentiment": True},
    )


def test_an_experts_decision_stands_and_records_who_made_it(db: Database) -> None:
    """Adjudicating empties the queue; refitting later leaves the expert's label alone."""
    project, item = _split_item(db)
    expert = add_user(db, "expert@example.com", role="reviewer", projects=[project]).user
    actor = Actor(expert.id, expert.email, Role.REVIEWER)
    with pytest.raises(InvalidAnnotation):
        adjudicate(db, project, item, value={"sentiment": "maybe"}, actor=actor)
    adjudicate(db, project, item, value={"sentiment": "negative"}, note="sarcasm", actor=actor)
    consensus.refit_project(db, project)
    with db.read() as conn:
        final = store.final_of(conn, item)
    assert final is not None
    assert (
        adjudication_queue(db, project),
        final.value,
        final.status,
        final.method,
        final.decided_by,
        final.note,
        len(final.annotation_ids),
    ) == ([], {"sentiment": "negative"}, "adjudicated", "adjudication", expert.id, "sarcasm", 4)


def test_vendor_staff_cannot_adjudicate_and_unlabelled_items_are_refused(db: Database) -> None:
    """Vendors' staff see no queue; an item nobody labelled has nothing to adjudicate."""
    project, item = _split_item(db)
    boss = add_user(db, "boss@acme.example", role="manager", vendor="acme", projects=[project]).user
    walled = Actor(boss.id, boss.email, Role.MANAGER, vendor="acme")
    with pytest.raises(PermissionDenied):
        adjudication_queue(db, project, actor=walled)
    load_texts(db, project, ["never labelled"])
    with pytest.raises(NotFound) as missing:
        adjudicate(db, project, item + 1, value={"sentiment": "positive"})
    assert str(missing.value) == f"item {item + 1} has no label to adjudicate yet"
