"""Review through the service layer, on every database: sampling (first N, then the rate),
accept, reject back to the annotator or to others, fix beside the original, outcomes per
annotator, and who may review."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from tests.services.builders import add_annotators, load_texts, make_project

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import Conflict, InvalidInput, PermissionDenied
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.reviews import decide_review, review_queue, review_report
from labelworks.services.users import add_user
from labelworks.storage import consensus as consensus_store
from labelworks.storage.engine import Database
from labelworks.storage.tables import annotations_table, set_aside_annotations

T0 = datetime(2026, 1, 1, 12, 0, 0)


def _work(db: Database, project: str, annotator: int, label: str, k: int) -> int:
    task = next_task_for(db, project, annotator, now=T0 + timedelta(seconds=k))
    assert task is not None
    submit_annotation(
        db,
        task.assignment_id,
        annotator,
        value={"sentiment": label},
        seconds=1.0,
        idempotency_key=f"{annotator}-{k}",
        now=T0 + timedelta(seconds=k),
    )
    return task.item_id


def test_the_first_n_are_reviewed_then_none_at_rate_zero(db: Database) -> None:
    """With first_n 2 and rate 0, exactly each annotator's first two annotations queue."""
    project = make_project(db, overlap=1, quality={"review": {"first_n": 2}})
    load_texts(db, project, [f"t{i}" for i in range(6)])
    a, b = add_annotators(db, project, 2)
    items = [_work(db, project, who, "positive", k) for k, who in enumerate([a, b, a, b, a, b])]
    queued = review_queue(db, project)
    assert [(r.item_id, r.annotator, r.why, r.status) for r in queued] == [
        (items[0], "ann0@example.com", "first_n", "pending"),
        (items[1], "ann1@example.com", "first_n", "pending"),
        (items[2], "ann0@example.com", "first_n", "pending"),
        (items[3], "ann1@example.com", "first_n", "pending"),
    ]


def test_reject_sends_the_item_back_to_its_annotator_as_their_next_task(db: Database) -> None:
    """A rejection needs a reason code; the annotation is kept aside and the same item is
    waiting for its annotator as a live lease."""
    project = make_project(db, overlap=1, quality={"review": {"first_n": 1}})
    load_texts(db, project, ["a", "b"])
    (a,) = add_annotators(db, project, 1)
    item = _work(db, project, a, "neutral", 0)
    (review,) = review_queue(db, project)
    with pytest.raises(InvalidInput) as bad:
        decide_review(db, project, review.id, decision="reject", reason="because")
    decide_review(
        db, project, review.id, decision="reject", reason="wrong label", comment="sarcasm"
    )
    with pytest.raises(Conflict):
        decide_review(db, project, review.id, decision="accept")
    again = next_task_for(db, project, a, now=T0 + timedelta(minutes=1))
    with db.read() as conn:
        aside = conn.execute(
            select(set_aside_annotations.c.item_id, set_aside_annotations.c.reason)
        ).all()
    assert (str(bad.value), again is not None and again.item_id, [tuple(r) for r in aside]) == (
        "reason must be one of: wrong label, incomplete, guideline not followed",
        item,
        [(item, "rejected in review: wrong label")],
    )


def test_reject_to_others_gives_the_item_to_someone_else(db: Database) -> None:
    """With rejected_to: others the item returns to the queue and its annotator never
    gets it again."""
    project = make_project(
        db, overlap=1, quality={"review": {"first_n": 1, "rejected_to": "others"}}
    )
    load_texts(db, project, ["a"])
    a, b = add_annotators(db, project, 2)
    item = _work(db, project, a, "neutral", 0)
    (review,) = review_queue(db, project)
    decide_review(db, project, review.id, decision="reject", reason="incomplete")
    mine = next_task_for(db, project, a, now=T0 + timedelta(minutes=1))
    theirs = next_task_for(db, project, b, now=T0 + timedelta(minutes=1))
    assert (mine, theirs is not None and theirs.item_id) == (None, item)


def test_a_fix_is_kept_beside_the_original_and_decides_the_final_label(db: Database) -> None:
    """The original value stays in the annotation; the fix is what consensus uses."""
    project = make_project(
        db,
        quality={
            "review": {"first_n": 5},
            "dynamic_overlap": {"min": 2, "max": 2, "confidence": 0.5},
        },
    )
    load_texts(db, project, ["a"])
    a, b = add_annotators(db, project, 2)
    item = _work(db, project, a, "neutral", 0)
    _work(db, project, b, "negative", 1)
    first = review_queue(db, project)[0]
    decide_review(db, project, first.id, decision="fix", value={"sentiment": "negative"})
    with db.read() as conn:
        original = (
            conn.execute(select(annotations_table.c.value).order_by(annotations_table.c.id))
            .scalars()
            .first()
        )
        final = consensus_store.final_of(conn, item)
    assert (
        original,
        final is not None and final.value,
        final is not None and final.confidence,
    ) == (
        '{"sentiment":"neutral"}',
        {"sentiment": "negative"},
        1.0,
    )


def test_outcomes_per_annotator_and_who_may_review(db: Database) -> None:
    """Acceptance counts with an interval; nobody reviews their own work; a vendor's
    reviewer sees only their vendor's people."""
    project = make_project(db, overlap=1, quality={"review": {"first_n": 3}})
    load_texts(db, project, ["a", "b", "c"])
    (a,) = add_annotators(db, project, 1)
    for k in range(3):
        _work(db, project, a, "positive", k)
    queued = review_queue(db, project)
    decide_review(db, project, queued[0].id, decision="accept")
    decide_review(db, project, queued[1].id, decision="fix", value={"sentiment": "negative"})
    me = Actor(a, "ann0@example.com", Role.ANNOTATOR)
    reviewer = add_user(
        db, "rev@acme.example", role="reviewer", vendor="acme", projects=[project]
    ).user
    walled = Actor(reviewer.id, reviewer.email, Role.REVIEWER, vendor="acme")
    with pytest.raises(PermissionDenied):
        review_queue(db, project, actor=me)
    (row,) = review_report(db, project)
    assert (
        (row.annotator, row.accepted, row.fixed, row.pending, row.acceptance),
        review_queue(db, project, actor=walled),
    ) == (("ann0@example.com", 1, 1, 1, 0.5), [])
